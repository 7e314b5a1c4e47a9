//! The paritytest AWS emulator.
//!
//! Two faces: an in-process API (`Emulator::start` on 127.0.0.1:0 → URL → `shutdown`) used by the
//! runner, and the standalone server behind `paritytest emulator`. A model-driven protocol layer
//! (awsQuery, restJson1) sits in front of the service handlers in `services/`, which never see
//! HTTP, so the CloudFormation engine can call them in-process through `Emulator::call`.

pub mod service;
pub mod services;

use std::sync::Arc;

pub use service::{AwsError, Caller, HandlerResult, RequestContext, Service};

/// Emulator-wide configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Account used for test credentials (`test`/`test`, anything not mapped to an account).
    pub default_account_id: String,
    pub default_region: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            default_account_id: "000000000000".into(),
            default_region: "us-east-1".into(),
        }
    }
}

/// State shared by all services (configuration; the credential registry that STS and IAM write
/// and the router reads lands with the core).
pub struct Shared {
    pub config: Config,
    /// Access key id → who it belongs to. IAM CreateAccessKey and STS (AssumeRole,
    /// GetSessionToken...) register keys here; the router resolves callers from it, falling back
    /// to the default account (or the 12-digit account named by a numeric test key).
    pub credentials: parking_lot::RwLock<std::collections::HashMap<String, Caller>>,
}

impl Shared {
    pub fn new(config: Config) -> Shared {
        Shared {
            config,
            credentials: parking_lot::RwLock::new(std::collections::HashMap::new()),
        }
    }
}

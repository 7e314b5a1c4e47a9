//! The paritytest AWS emulator.
//!
//! Two faces: an in-process API (`Emulator::start` on 127.0.0.1:0 → URL → `shutdown`) used by the
//! runner, and the standalone server behind `paritytest emulator`. A model-driven protocol layer
//! (awsQuery, restJson1) sits in front of the service handlers in `services/`, which never see
//! HTTP, so the CloudFormation engine can call them in-process through `Emulator::call`.
//!
//! A request's path through the core:
//! - `server`: hyper 1 (HTTP/1.1, keep-alive), body collected, handed to `Emulator::handle_http`;
//! - `admin`: LocalStack's `/_localstack/health` and state reset, moto's `/moto-api/reset`;
//! - `identity`: the SigV4 credential scope (access key, region, service), the caller;
//! - `router`: the service (scope, X-Amz-Target, host, then restJson1 paths or the awsQuery
//!   Action) and the operation; unknown operations answer InvalidAction / UnknownOperation;
//! - `protocol`: the request parsed into handler JSON per the `model`, the handler's JSON (or
//!   `AwsError`) serialized back, each in its protocol's format, with `x-amzn-RequestId`;
//! - handlers (`services/`) are only called for the operations they declare implemented; the
//!   others answer 501 NotImplemented naming service and operation.

// `AwsError` is the handler contract's error type and is returned by value on purpose.
#![allow(clippy::result_large_err)]

/// mimalloc instead of glibc's malloc for every binary that links the emulator (`paritytest`
/// itself, the examples, the tests): a request allocates a few dozen small objects (the handler's
/// JSON, the XML, headers), and glibc's malloc/free cost as much CPU as all of the emulator's own
/// request handling (measured with callgrind on the GetUser benchmark, see benches/emulator.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod admin;
pub mod identity;
pub mod model;
pub mod protocol;
mod response_cache;
pub mod router;
mod server;
pub mod service;
pub mod services;

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde_json::Value;
use tokio::sync::watch;

use crate::identity::CredentialScope;
use crate::protocol::{HttpRequest, HttpResponse};
use crate::router::{Decision, Router};
pub use service::{AwsError, Caller, HandlerResult, RequestContext, Service, SharedHandlerResult};

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

impl Config {
    /// The port `paritytest emulator` listens on by default (LocalStack's edge port, so tools
    /// configured for LocalStack work unchanged).
    pub const STANDALONE_PORT: u16 = 4566;
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

impl Shared {
    /// Forget every registered credential (part of the state reset).
    pub fn reset(&self) {
        self.credentials.write().clear();
    }
}

/// Whether a bind host is a loopback address (the CLI warns before binding anything else).
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind the emulator to {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// One operation of one service model and whether the emulator implements it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationStatus {
    pub service: &'static str,
    pub operation: String,
    pub implemented: bool,
}

/// The emulator: the services behind the router, and the shared state.
pub struct Emulator {
    shared: Arc<Shared>,
    router: Router,
    responses: response_cache::ResponseCache,
}

impl Emulator {
    pub fn new(config: Config) -> Arc<Emulator> {
        Emulator::with_services(config, services::all)
    }

    /// An emulator over a chosen set of handlers (tests substitute their own).
    pub fn with_services(
        config: Config,
        build: impl FnOnce(&Arc<Shared>) -> Vec<Arc<dyn Service>>,
    ) -> Arc<Emulator> {
        let shared = Arc::new(Shared::new(config));
        let router = Router::new(build(&shared));
        Arc::new(Emulator {
            shared,
            router,
            responses: Default::default(),
        })
    }

    /// Bind `config.host:config.port` and serve on the current tokio runtime.
    pub async fn start(config: Config) -> Result<RunningEmulator, StartError> {
        Emulator::new(config).serve().await
    }

    /// Serve this emulator on its configured host and port.
    pub async fn serve(self: &Arc<Self>) -> Result<RunningEmulator, StartError> {
        let config = &self.shared.config;
        let addr = if config.host.contains(':') && !config.host.starts_with('[') {
            format!("[{}]:{}", config.host, config.port)
        } else {
            format!("{}:{}", config.host, config.port)
        };
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, self.clone(), rx));
        Ok(RunningEmulator {
            emulator: self.clone(),
            addr: local,
            shutdown: tx,
            task,
        })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Names of the services served, in a stable order.
    pub fn service_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.router.routes().iter().map(|r| r.name)
    }

    /// Every operation of every served model, and whether a handler implements it (for
    /// `paritytest operations`). Needs no running emulator.
    pub fn implemented_operations() -> Vec<OperationStatus> {
        let shared = Arc::new(Shared::new(Config::default()));
        let router = Router::new(services::all(&shared));
        let mut out = Vec::new();
        for route in router.routes() {
            let implemented = route.handler.implemented_operations();
            for name in route.model().operations.keys() {
                out.push(OperationStatus {
                    service: route.name,
                    operation: name.clone(),
                    implemented: implemented.contains(&name.as_str()),
                });
            }
        }
        out
    }

    /// Forget all state of every service (LocalStack's and moto's reset endpoints).
    pub fn reset(&self) {
        for route in self.router.routes() {
            route.handler.reset();
        }
        self.shared.reset();
    }

    /// A context for in-process calls: the caller behind `access_key_id` (resolved as for an
    /// HTTP request), the region, and a fresh request id. `call` fills in service and operation.
    pub fn context(&self, access_key_id: &str, region: &str) -> RequestContext {
        RequestContext {
            service: "",
            operation: String::new(),
            region: region.to_string(),
            request_id: new_request_id(),
            caller: identity::resolve_caller(&self.shared, access_key_id),
        }
    }

    /// Call an operation in-process (the CloudFormation engine's path): same handlers, same
    /// errors, no HTTP. `ctx` supplies caller, region and request id.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        service: &str,
        operation: &str,
        input: Value,
    ) -> HandlerResult {
        let Some(route) = self.router.route(service) else {
            return Err(AwsError::new(
                "UnknownService",
                format!("The paritytest emulator does not serve {service}"),
                400,
            ));
        };
        if route.model().operation(operation).is_none() {
            return Err(AwsError::new(
                "InvalidAction",
                format!("Could not find operation {operation} of service {service}"),
                400,
            ));
        }
        let ctx = RequestContext {
            service: route.name,
            operation: operation.to_string(),
            ..ctx.clone()
        };
        run_handler(route, &ctx, input).await
    }

    /// Answer one HTTP request (admin endpoints, routing, protocol, handler).
    pub async fn handle_http(&self, req: &HttpRequest<'_>) -> HttpResponse {
        if admin::is_admin_path(req.path) {
            return admin::handle(self, req.method, req.path);
        }
        let request_id = new_request_id();
        let scope = CredentialScope::from_request(req.headers, req.query);
        let (route, op, params) = match self.router.decide(scope.as_ref(), req) {
            Decision::Operation { route, op, params } => (route, op, params),
            Decision::Error { route, error } => {
                return protocol::serialize_error(route.model(), &error, &request_id)
            }
            Decision::NoService => return no_service(req, &request_id),
        };
        let model = route.model();
        let input = match params {
            Some(params) => protocol::query::parse_input(model, op, &params),
            None => protocol::parse_request(model, op, req),
        };
        let input = match input {
            Ok(input) => input,
            Err(error) => return protocol::serialize_error(model, &error, &request_id),
        };
        let (access_key, region) = match &scope {
            Some(s) => (s.access_key_id.as_ref(), s.region.to_string()),
            None => ("", self.shared.config.default_region.clone()),
        };
        let ctx = RequestContext {
            service: route.name,
            operation: op.name.clone(),
            region,
            caller: identity::resolve_caller(&self.shared, access_key),
            request_id,
        };
        match run_shared_handler(route, &ctx, input).await {
            Ok(output) => self
                .responses
                .serialize(model, op, &output, &ctx.request_id),
            Err(error) => protocol::serialize_error(model, &error, &ctx.request_id),
        }
    }
}

/// A request no service claims: answered in the awsQuery error format, which every SDK parses.
fn no_service(req: &HttpRequest<'_>, request_id: &str) -> HttpResponse {
    let mut body = String::from(
        "<ErrorResponse><Error><Type>Sender</Type><Code>UnknownService</Code><Message>",
    );
    protocol::xml::escape_into(
        &mut body,
        &format!(
            "No service of the paritytest emulator matches {} {} (sign the request with SigV4 or use a service host name)",
            req.method, req.path
        ),
    );
    body.push_str("</Message></Error><RequestId>");
    body.push_str(request_id);
    body.push_str("</RequestId></ErrorResponse>");
    HttpResponse {
        status: 400,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            (protocol::REQUEST_ID_HEADER.into(), request_id.to_string()),
        ],
        body: body.into_bytes(),
    }
}

/// A fresh request id in AWS's format (a random UUID).
pub fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Run a handler for an operation it declares; a panicking handler answers InternalFailure
/// instead of dropping the connection.
async fn run_handler(route: &router::Route, ctx: &RequestContext, input: Value) -> HandlerResult {
    if !route.implements(&ctx.operation) {
        return Err(AwsError::not_implemented(route.name, &ctx.operation));
    }
    CatchUnwind(route.handler.handle(ctx, input))
        .await
        .unwrap_or_else(|_| Err(handler_panicked(ctx)))
}

/// `run_handler` for the HTTP path, where the output is only serialized (so may be shared).
async fn run_shared_handler(
    route: &router::Route,
    ctx: &RequestContext,
    input: Value,
) -> SharedHandlerResult {
    if !route.implements(&ctx.operation) {
        return Err(AwsError::not_implemented(route.name, &ctx.operation));
    }
    CatchUnwind(route.handler.handle_shared(ctx, input))
        .await
        .unwrap_or_else(|_| Err(handler_panicked(ctx)))
}

fn handler_panicked(ctx: &RequestContext) -> AwsError {
    AwsError::new(
        "InternalFailure",
        format!(
            "The {} handler failed while processing {}",
            ctx.service, ctx.operation
        ),
        500,
    )
}

/// Catches a panic while polling the inner future (no `futures` dependency for one adapter).
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// A served emulator: its URL, in-process calls (via `Deref`), and shutdown.
pub struct RunningEmulator {
    emulator: Arc<Emulator>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningEmulator {
    /// `http://host:port`, what SDKs take as endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }

    /// Stop accepting, let open requests finish, and wait for the server to stop.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

impl std::ops::Deref for RunningEmulator {
    type Target = Emulator;
    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

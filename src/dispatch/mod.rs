//! Calling any IAM, Lambda, CloudFormation or STS operation from JSON through the official SDK.
//!
//! CONTRACT used by the rest of the runner: the items below keep these names and signatures; new
//! items may be added. The generated code behind them lives in `generated/` (see the generator).

use serde_json::Value;

/// The SDK clients of one target, built once per run.
#[derive(Clone, Debug)]
pub struct Clients {
    _sdk: aws_types::SdkConfig,
}

impl Clients {
    pub fn new(sdk: &aws_types::SdkConfig) -> Clients {
        Clients { _sdk: sdk.clone() }
    }
}

/// What an operation answered, as boto3 would show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Success: the output with AWS member names plus `ResponseMetadata`.
    /// AWS error: `{"Error": {"Code", "Message", "Type"?}, ...modeled error members, "ResponseMetadata": {...}}`.
    pub body: Value,
    pub status: u16,
    /// `Some` for an AWS error (the error code, e.g. `NoSuchEntity`).
    pub error_code: Option<String>,
    /// JSON pointers (RFC 6901) into `body` of every model timestamp member. boto3 gives these as
    /// datetime objects and the snapshot transformers treat them differently from strings
    /// (`<datetime>`), so the snapshot engine needs to know them.
    pub datetimes: Vec<String>,
}

impl Outcome {
    pub fn is_error(&self) -> bool {
        self.error_code.is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("unknown service {service:?}{}", hint(suggestion))]
    UnknownService {
        service: String,
        suggestion: Option<String>,
    },
    #[error("unknown operation {service}.{operation}{}", hint(suggestion))]
    UnknownOperation {
        service: String,
        operation: String,
        suggestion: Option<String>,
    },
    /// Client-side validation, before anything is sent (as boto3 does it).
    #[error("invalid input for {operation} at {path}: {message}")]
    Validation {
        operation: String,
        path: String,
        message: String,
    },
    /// The target answered something the SDK could not parse, or a member the SDK silently
    /// defaulted because the raw body lacked it: a parity failure, never an AWS error.
    #[error("{operation}: the response could not be understood by the SDK ({status}): {error}\nraw body: {raw_body}")]
    Unparseable {
        operation: String,
        status: u16,
        error: String,
        raw_body: String,
    },
    /// Could not reach the target, credentials, timeouts.
    #[error("{operation}: could not reach the target: {message}")]
    Transport { operation: String, message: String },
}

fn hint(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

/// One dispatchable operation.
#[derive(Debug, Clone, Copy)]
pub struct OperationInfo {
    pub service: &'static str,
    pub name: &'static str,
}

/// Every dispatchable operation, by service then name.
pub fn operations() -> &'static [OperationInfo] {
    &[]
}

/// Operations present in the model but not dispatchable, with the reason.
pub fn left_out() -> &'static [(&'static str, &'static str, &'static str)] {
    &[]
}

/// Validates `input` against the operation's input shape without sending anything.
pub fn validate(service: &str, operation: &str, _input: &Value) -> Result<(), DispatchError> {
    Err(DispatchError::UnknownOperation {
        service: service.into(),
        operation: operation.into(),
        suggestion: None,
    })
}

/// Calls `service.operation` with `input` (AWS member names) and returns what the target answered.
pub async fn call(
    _clients: &Clients,
    service: &str,
    operation: &str,
    _input: &Value,
) -> Result<Outcome, DispatchError> {
    Err(DispatchError::UnknownOperation {
        service: service.into(),
        operation: operation.into(),
        suggestion: None,
    })
}

//! Calling any IAM, Lambda, CloudFormation or STS operation from JSON through the official SDK.
//!
//! CONTRACT used by the rest of the runner: the items below keep these names and signatures; new
//! items may be added. The generated code behind them lives in `generated/` (see the generator,
//! `cargo run -p paritytest-codegen`).
//!
//! Input: AWS member names as boto3 takes them. Blobs are plain text (sent as UTF-8) or
//! `{base64: "..."}`; timestamps ISO 8601 text or epoch seconds. Output: as boto3 shows it (see
//! `Outcome`).

mod capture;
mod clients;
mod convert;
#[rustfmt::skip]
mod generated;
mod model;
mod response;
mod validate;
mod xml;

pub use clients::{endpoint_config, lite_http_client};
use serde_json::{Map, Value};

/// The input JSON Schema of every operation (`iam.CreateUser` → definition), with the `call`
/// enum and its per-operation docs; generated, see its `$comment`.
pub const INPUT_SCHEMAS: &str = include_str!("generated/input_schemas.json");

/// The SDK clients of one target, built once per run.
#[derive(Clone, Debug)]
pub struct Clients {
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    cloudformation: aws_sdk_cloudformation::Client,
    sts: aws_sdk_sts::Client,
}

impl Clients {
    pub fn new(sdk: &aws_types::SdkConfig) -> Clients {
        Clients {
            iam: aws_sdk_iam::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
        }
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
    generated::OPERATIONS
}

/// Operations present in the model but not dispatchable, with the reason.
pub fn left_out() -> &'static [(&'static str, &'static str, &'static str)] {
    generated::LEFT_OUT
}

/// The closest candidate to a misspelt name: same name in another case, or a close one.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(name) {
            return Some(c.to_string());
        }
        let score = strsim::jaro_winkler(&name.to_ascii_lowercase(), &c.to_ascii_lowercase());
        if score >= 0.85 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// The model of `service` and the operation's entry, or the matching "unknown" error.
fn resolve(
    service: &str,
    operation: &str,
) -> Result<(&'static model::ServiceModel, &'static model::OperationModel), DispatchError> {
    let Some(svc) = model::service(service) else {
        let names = generated::MODELS.iter().map(|(n, _)| *n);
        return Err(DispatchError::UnknownService {
            service: service.into(),
            suggestion: did_you_mean(service, names),
        });
    };
    match svc.operations.get(operation) {
        Some(op) => Ok((svc, op)),
        None => Err(DispatchError::UnknownOperation {
            service: service.into(),
            operation: operation.into(),
            suggestion: did_you_mean(operation, svc.operations.keys().map(String::as_str))
                .map(|s| format!("{service}.{s}")),
        }),
    }
}

/// Validates `input` against the operation's input shape without sending anything.
pub fn validate(service: &str, operation: &str, input: &Value) -> Result<(), DispatchError> {
    let (svc, op) = resolve(service, operation)?;
    let empty = Value::Object(Map::new());
    let input = if input.is_null() { &empty } else { input };
    let problems = validate::check(svc, op.input.as_deref(), input);
    let more = problems.len().saturating_sub(1);
    match problems.into_iter().next() {
        None => Ok(()),
        Some(first) => Err(DispatchError::Validation {
            operation: format!("{service}.{operation}"),
            path: first.path,
            message: match more {
                0 => first.message,
                n => format!(
                    "{} (and {n} more problem{})",
                    first.message,
                    if n == 1 { "" } else { "s" }
                ),
            },
        }),
    }
}

/// Calls `service.operation` with `input` (AWS member names) and returns what the target answered.
pub async fn call(
    clients: &Clients,
    service: &str,
    operation: &str,
    input: &Value,
) -> Result<Outcome, DispatchError> {
    validate(service, operation, input)?;
    let (svc, _) = resolve(service, operation)?;
    let empty = Value::Object(Map::new());
    let input = if input.is_null() { &empty } else { input };
    let qualified = || format!("{service}.{operation}");
    let invalid = |e: convert::ConvError| DispatchError::Validation {
        operation: qualified(),
        path: e.path,
        message: e.message,
    };
    let fields = convert::Fields::of(input, "").map_err(invalid)?;
    let cap = convert::Capture::default();
    let started = match service {
        "iam" => generated::iam::start(&clients.iam, operation, &fields, cap.clone()),
        "lambda" => generated::lambda::start(&clients.lambda, operation, &fields, cap.clone()),
        "cloudformation" => generated::cloudformation::start(
            &clients.cloudformation,
            operation,
            &fields,
            cap.clone(),
        ),
        "sts" => generated::sts::start(&clients.sts, operation, &fields, cap.clone()),
        _ => Ok(None),
    }
    .map_err(invalid)?;
    let Some(future) = started else {
        return Err(DispatchError::UnknownOperation {
            service: service.into(),
            operation: operation.into(),
            suggestion: None,
        });
    };
    let answer = future.await;
    let call = response::Call {
        service,
        operation,
        model: svc,
    };
    call.outcome(answer, cap.take())
}

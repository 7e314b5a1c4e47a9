//! The contract between the protocol layer and the service handlers.
//!
//! Handlers see typed-by-model JSON, never HTTP: the protocol layer parses a request (awsQuery
//! form, restJson1 URI/query/headers/body) into a JSON object keyed by the model's member names,
//! and serializes the JSON object a handler returns back into the wire shape the model dictates.
//! The same entry point serves the CloudFormation engine in-process (see `Emulator::call`).
//!
//! Value conventions for handler inputs and outputs:
//! - structures: JSON objects keyed by model member names (`UserName`, `Code`);
//! - lists and maps: JSON arrays and objects;
//! - timestamps: RFC 3339 strings (`2024-05-01T12:00:00Z`), formatted per protocol on the way out;
//! - blobs: base64 strings;
//! - integers/longs as JSON integers, booleans as JSON booleans, doubles as JSON numbers.
//! - members absent from the object are absent on the wire.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

/// Who is calling: resolved by the router from the SigV4 access key before a handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: String,
    pub account_id: String,
    /// The principal's ARN, e.g. `arn:aws:iam::123456789012:root` or an assumed-role session ARN.
    pub arn: String,
    /// What GetCallerIdentity shows as UserId.
    pub user_id: String,
}

/// Per-request facts a handler may use.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub service: &'static str,
    pub operation: String,
    pub region: String,
    pub request_id: String,
    pub caller: Caller,
}

impl RequestContext {
    pub fn account_id(&self) -> &str {
        &self.caller.account_id
    }
}

/// An AWS error as the protocol layer will serialize it (code, message, Sender/Receiver type,
/// HTTP status, and any modeled error members such as Lambda's `Type`).
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// true → `<Type>Sender</Type>` (client fault), false → Receiver.
    pub sender_fault: bool,
    /// Extra modeled members of the error shape (e.g. Lambda's `Type: "User"`).
    pub fields: Map<String, Value>,
}

impl AwsError {
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: u16) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: status < 500,
            fields: Map::new(),
        }
    }
    pub fn with_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(name.to_string(), value.into());
        self
    }
    /// Answer for an operation that is routed but has no handler yet.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        AwsError::new(
            "NotImplemented",
            format!("The operation {operation} of service {service} is not implemented by the paritytest emulator yet"),
            501,
        )
    }
    /// The generic validation error (used when model-level input validation fails).
    pub fn validation(message: impl Into<String>) -> Self {
        AwsError::new("ValidationError", message, 400)
    }
}

pub type HandlerResult = Result<Value, AwsError>;
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = HandlerResult> + Send + 'a>>;
/// An output the caller only reads, so a service may hand out a value it keeps (see
/// `Service::handle_shared`).
pub type SharedHandlerResult = Result<Arc<Value>, AwsError>;
pub type SharedHandlerFuture<'a> = Pin<Box<dyn Future<Output = SharedHandlerResult> + Send + 'a>>;

/// One AWS service behind the protocol layer. State lives inside the implementation, keyed by
/// account (IAM) or account and region (regional services).
pub trait Service: Send + Sync + 'static {
    /// The model's service name as used in the SigV4 scope and in `paritytest` (`iam`, `sts`,
    /// `lambda`, `cloudformation`).
    fn name(&self) -> &'static str;

    /// Handle one operation. `input` is a JSON object per the conventions above.
    fn handle<'a>(&'a self, ctx: &'a RequestContext, input: Value) -> HandlerFuture<'a>;

    /// Handle one operation whose output is only serialized (the HTTP path). A service may
    /// answer a stored, shared output here instead of building a fresh one; it must then answer
    /// exactly what `handle` would. The default wraps `handle`.
    fn handle_shared<'a>(
        &'a self,
        ctx: &'a RequestContext,
        input: Value,
    ) -> SharedHandlerFuture<'a> {
        Box::pin(async move { self.handle(ctx, input).await.map(Arc::new) })
    }

    /// Operations this service really implements (the rest answer 501 NotImplemented).
    fn implemented_operations(&self) -> &'static [&'static str];

    /// Forget all state (the LocalStack / moto reset endpoints).
    fn reset(&self);
}

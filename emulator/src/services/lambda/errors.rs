//! Lambda's error answers. Lambda's modeled errors carry `Type: "User"` next to the message; the
//! protocol layer picks the message member's casing (`Message` / `message`) from the error shape.
//! The recordings show a few answers without `Type` and one without any message.

use serde_json::Value;

use crate::service::AwsError;

fn user(code: &str, message: impl Into<String>, status: u16) -> AwsError {
    AwsError::new(code, message, status).with_field("Type", "User")
}

pub fn not_found(message: impl Into<String>) -> AwsError {
    user("ResourceNotFoundException", message, 404)
}

pub fn function_not_found(arn: &str) -> AwsError {
    not_found(format!("Function not found: {arn}"))
}

/// The generic 404 AWS uses for sub-resources (policies, URL configs...).
pub fn resource_missing() -> AwsError {
    not_found("The resource you requested does not exist.")
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    user("InvalidParameterValueException", message, 400)
}

pub fn conflict(message: impl Into<String>) -> AwsError {
    user("ResourceConflictException", message, 409)
}

pub fn precondition(api: &str) -> AwsError {
    user(
        "PreconditionFailedException",
        format!(
            "The Revision Id provided does not match the latest Revision Id. Call the {api} API to retrieve the latest Revision Id"
        ),
        412,
    )
}

/// Model-level constraint failures: Lambda answers these as ValidationException without `Type`.
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", message, 400)
}

pub fn too_many_requests(message: impl Into<String>, reason: &str) -> AwsError {
    user("TooManyRequestsException", message, 429).with_field("Reason", reason)
}

pub fn too_large(message: impl Into<String>) -> AwsError {
    user("RequestTooLargeException", message, 413)
}

/// An error AWS sends without the `Type` member (the protocol layer leaves null members out).
pub fn untyped(code: &str, message: impl Into<String>, status: u16) -> AwsError {
    AwsError::new(code, message, status).with_field("Type", Value::Null)
}

/// Creating a function in another account: AWS's 403 body is `{"Message": null}`.
pub fn access_denied() -> AwsError {
    AwsError::new("AccessDeniedException", "", 403).with_field("Message", Value::Null)
}

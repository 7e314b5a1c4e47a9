//! IAM's error codes, HTTP statuses and message texts (as the AWS recordings show them).

use crate::service::AwsError;

pub(crate) fn no_such_entity(message: impl Into<String>) -> AwsError {
    AwsError::new("NoSuchEntity", message, 404)
}

pub(crate) fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::new("EntityAlreadyExists", message, 409)
}

pub(crate) fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new("DeleteConflict", message, 409)
}

pub(crate) fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new("LimitExceeded", message, 409)
}

pub(crate) fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidInput", message, 400)
}

pub(crate) fn malformed_policy(message: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicyDocument", message, 400)
}

pub(crate) fn unmodifiable(message: impl Into<String>) -> AwsError {
    AwsError::new("UnmodifiableEntity", message, 400)
}

pub(crate) fn no_such_user(name: &str) -> AwsError {
    no_such_entity(format!("The user with name {name} cannot be found."))
}

pub(crate) fn no_such_role(name: &str) -> AwsError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

pub(crate) fn no_such_group(name: &str) -> AwsError {
    no_such_entity(format!("The group with name {name} cannot be found."))
}

pub(crate) fn no_such_instance_profile(name: &str) -> AwsError {
    no_such_entity(format!("Instance Profile {name} cannot be found."))
}

pub(crate) fn not_attachable(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

pub(crate) fn policy_not_found(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} was not found."))
}

pub(crate) fn invalid_arn() -> AwsError {
    AwsError::validation("Invalid ARN:  Could not be parsed!")
}

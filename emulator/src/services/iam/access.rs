//! A user's credentials: access keys (registered with the emulator so calls signed with them are
//! attributed to the user), console login profiles and service-specific credentials.

use serde_json::{json, Value};

use super::errors::{already_exists, limit_exceeded, no_such_entity};
use super::ids::{access_key_id, entity_id, now, random_token, secret_access_key};
use super::input::wire_name;
use super::pagination::page;
use super::state::{key, AccessKey, LoginProfile, ServiceCredential};
use super::users::{caller_user_name, user, user_mut};
use super::Call;
use crate::service::{AwsError, Caller, HandlerResult};

const ACCESS_KEYS_PER_USER: usize = 2;
const SERVICE_CREDENTIALS_PER_SERVICE: usize = 2;
/// Services that issue service-specific credentials (user name/password pairs).
const CREDENTIAL_SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

fn target_user<'a>(call: &'a Call) -> Result<&'a str, AwsError> {
    match call.input.str("UserName") {
        Some(name) => Ok(name),
        None => caller_user_name(call),
    }
}

fn no_such_key(id: &str) -> AwsError {
    no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

fn status(call: &Call) -> Result<bool, AwsError> {
    match call.input.req("Status")? {
        "Active" => Ok(true),
        "Inactive" => Ok(false),
        _ => Err(AwsError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must satisfy enum value set",
            wire_name("Status")
        ))),
    }
}

pub(crate) fn create_access_key(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let account_id = account.id.clone();
    let user = user_mut(&mut account, name)?;
    if user.access_keys.len() >= ACCESS_KEYS_PER_USER {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"
        )));
    }
    let key_id = access_key_id("AKIA");
    let secret = secret_access_key();
    let created = now();
    user.access_keys.push(AccessKey {
        id: key_id.clone(),
        active: true,
        created: created.clone(),
    });
    let caller = Caller {
        access_key_id: key_id.clone(),
        account_id,
        arn: user.arn.clone(),
        user_id: user.id.clone(),
    };
    let user_name = user.name.clone();
    let user_key = key(&user.name);
    account.access_key_owners.insert(key_id.clone(), user_key);
    call.shared
        .credentials
        .write()
        .insert(key_id.clone(), caller);
    Ok(json!({"AccessKey": {
        "UserName": user_name,
        "AccessKeyId": key_id,
        "Status": "Active",
        "SecretAccessKey": secret,
        "CreateDate": created,
    }}))
}

pub(crate) fn list_access_keys(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let account = call.account();
    let account = account.read();
    let user = user(&account, name)?;
    let items = user
        .access_keys
        .iter()
        .map(|k| json!({"UserName": user.name, "AccessKeyId": k.id, "Status": k.status(), "CreateDate": k.created}))
        .collect();
    Ok(Value::Object(page(items, call.input, "AccessKeyMetadata")?))
}

pub(crate) fn update_access_key(call: &Call) -> HandlerResult {
    let key_id = call.input.req("AccessKeyId")?;
    let active = status(call)?;
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let access_key = user
        .access_keys
        .iter_mut()
        .find(|k| k.id == key_id)
        .ok_or_else(|| no_such_key(key_id))?;
    access_key.active = active;
    Ok(json!({}))
}

pub(crate) fn delete_access_key(call: &Call) -> HandlerResult {
    let key_id = call.input.req("AccessKeyId")?;
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let before = user.access_keys.len();
    user.access_keys.retain(|k| k.id != key_id);
    if user.access_keys.len() == before {
        return Err(no_such_key(key_id));
    }
    account.access_key_owners.remove(key_id);
    call.shared.credentials.write().remove(key_id);
    Ok(json!({}))
}

pub(crate) fn access_key_last_used(call: &Call) -> HandlerResult {
    let key_id = call.input.req("AccessKeyId")?;
    let account = call.account();
    let account = account.read();
    let owner = account
        .access_key_owners
        .get(key_id)
        .and_then(|k| account.users.get(k))
        .ok_or_else(|| no_such_key(key_id))?;
    Ok(json!({
        "UserName": owner.name,
        "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
    }))
}

fn no_login_profile(name: &str) -> AwsError {
    no_such_entity(format!("Login Profile for User {name} cannot be found."))
}

fn login_profile_json(user: &str, profile: &LoginProfile) -> Value {
    json!({"LoginProfile": {
        "UserName": user,
        "CreateDate": profile.created,
        "PasswordResetRequired": profile.reset_required,
    }})
}

pub(crate) fn create_login_profile(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let reset_required = call.input.bool("PasswordResetRequired").unwrap_or(false);
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    if user.login_profile.is_some() {
        return Err(already_exists(format!(
            "Login Profile for user {} already exists.",
            user.name
        )));
    }
    let profile = LoginProfile {
        created: now(),
        reset_required,
    };
    let out = login_profile_json(&user.name, &profile);
    user.login_profile = Some(profile);
    Ok(out)
}

pub(crate) fn get_login_profile(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let account = call.account();
    let account = account.read();
    let user = user(&account, name)?;
    let profile = user
        .login_profile
        .as_ref()
        .ok_or_else(|| no_login_profile(&user.name))?;
    Ok(login_profile_json(&user.name, profile))
}

pub(crate) fn update_login_profile(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let reset_required = call.input.bool("PasswordResetRequired");
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let user_name = user.name.clone();
    let profile = user
        .login_profile
        .as_mut()
        .ok_or_else(|| no_login_profile(&user_name))?;
    if let Some(reset_required) = reset_required {
        profile.reset_required = reset_required;
    }
    Ok(json!({}))
}

pub(crate) fn delete_login_profile(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    if user.login_profile.take().is_none() {
        return Err(no_login_profile(&user.name));
    }
    Ok(json!({}))
}

fn unsupported_service(service: &str) -> AwsError {
    no_such_entity(format!(
        "No such service {service} is supported for Service Specific Credentials"
    ))
}

/// `ServiceSpecificCredentialId` must match `[\w]+`; AWS leaves the value out of this message.
fn credential_id<'a>(call: &'a Call) -> Result<&'a str, AwsError> {
    let id = call.input.req("ServiceSpecificCredentialId")?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(id)
}

/// Service passwords look like base64 but are 59 random characters and a trailing `=`.
fn service_password() -> String {
    format!("{}=", random_token(59))
}

fn no_such_credential(id: &str) -> AwsError {
    no_such_entity(format!("No such credential {id} exists"))
}

pub(crate) fn create_service_credential(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let service = call.input.req("ServiceName")?;
    let account = call.account();
    let mut account = account.write();
    let account_id = account.id.clone();
    let user = user_mut(&mut account, name)?;
    if !CREDENTIAL_SERVICES.contains(&service) {
        return Err(unsupported_service(service));
    }
    if user
        .service_credentials
        .iter()
        .filter(|c| c.service == service)
        .count()
        >= SERVICE_CREDENTIALS_PER_SERVICE
    {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {SERVICE_CREDENTIALS_PER_SERVICE}"
        )));
    }
    let credential = ServiceCredential {
        id: entity_id("ACCA"),
        service: service.to_string(),
        service_user_name: format!("{}-at-{account_id}", user.name),
        password: service_password(),
        active: true,
        created: now(),
    };
    let out = json!({"ServiceSpecificCredential": credential.to_json(&user.name, true)});
    user.service_credentials.push(credential);
    Ok(out)
}

pub(crate) fn list_service_credentials(call: &Call) -> HandlerResult {
    let name = target_user(call)?;
    let service = call.input.str("ServiceName");
    let account = call.account();
    let account = account.read();
    let user = user(&account, name)?;
    if let Some(service) = service {
        if !CREDENTIAL_SERVICES.contains(&service) {
            return Err(unsupported_service(service));
        }
    }
    let items: Vec<Value> = user
        .service_credentials
        .iter()
        .filter(|c| service.is_none_or(|s| s == c.service))
        .map(|c| c.to_json(&user.name, false))
        .collect();
    Ok(json!({"ServiceSpecificCredentials": items}))
}

pub(crate) fn update_service_credential(call: &Call) -> HandlerResult {
    let id = credential_id(call)?;
    let active = status(call)?;
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let credential = user
        .service_credentials
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| no_such_credential(id))?;
    credential.active = active;
    Ok(json!({}))
}

pub(crate) fn reset_service_credential(call: &Call) -> HandlerResult {
    let id = credential_id(call)?;
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let user_name = user.name.clone();
    let credential = user
        .service_credentials
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| no_such_credential(id))?;
    credential.password = service_password();
    Ok(json!({"ServiceSpecificCredential": credential.to_json(&user_name, true)}))
}

pub(crate) fn delete_service_credential(call: &Call) -> HandlerResult {
    let id = credential_id(call)?;
    let name = target_user(call)?;
    let account = call.account();
    let mut account = account.write();
    let user = user_mut(&mut account, name)?;
    let before = user.service_credentials.len();
    user.service_credentials.retain(|c| c.id != id);
    if user.service_credentials.len() == before {
        return Err(no_such_credential(id));
    }
    Ok(json!({}))
}

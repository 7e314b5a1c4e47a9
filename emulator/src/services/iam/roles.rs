//! Roles: trust policies, maximum session duration, descriptions, permissions boundaries.

use serde_json::{json, Value};

use super::errors::{already_exists, delete_conflict, no_such_role};
use super::ids::{entity_id, now};
use super::input::constraint_error;
use super::pagination::{page, path_matches};
use super::policies::{adjust_usage, protected_role, require_boundary_policy};
use super::policy_document::{validate, Kind};
use super::state::{key, Account, Document, Permissions, Role, View};
use super::tagging::read_tags;
use super::Call;
use crate::service::{AwsError, HandlerResult};

pub(crate) const NAME_MAX: usize = 64;
const TRUST_POLICY_SIZE: usize = 2048;
const DESCRIPTION_MAX: usize = 1000;

pub(crate) fn role<'a>(account: &'a Account, name: &str) -> Result<&'a Role, AwsError> {
    account
        .roles
        .get(&key(name))
        .ok_or_else(|| no_such_role(name))
}

/// A role the caller may change (service-linked roles are AWS's).
fn role_mut<'a>(account: &'a mut Account, name: &str) -> Result<&'a mut Role, AwsError> {
    let role = account
        .roles
        .get_mut(&key(name))
        .ok_or_else(|| no_such_role(name))?;
    if role.service_linked {
        return Err(protected_role(&role.name));
    }
    Ok(role)
}

fn max_session_duration(call: &Call) -> Result<Option<i64>, AwsError> {
    match call.input.int("MaxSessionDuration") {
        None => Ok(None),
        Some(d) if d < 3600 => Err(constraint_error(
            Some(&d.to_string()),
            "MaxSessionDuration",
            "Member must have value greater than or equal to 3600",
        )),
        Some(d) if d > 43200 => Err(constraint_error(
            Some(&d.to_string()),
            "MaxSessionDuration",
            "Member must have value less than or equal to 43200",
        )),
        Some(d) => Ok(Some(d)),
    }
}

fn description<'a>(call: &'a Call) -> Result<Option<&'a str>, AwsError> {
    match call.input.str("Description") {
        Some(d) if d.chars().count() > DESCRIPTION_MAX => Err(constraint_error(
            Some(d),
            "Description",
            "Member must have length less than or equal to 1000",
        )),
        other => Ok(other),
    }
}

pub(crate) fn trust_policy(text: &str) -> Result<Document, AwsError> {
    validate(text, Kind::Trust, "ACLSizePerRole", TRUST_POLICY_SIZE)?;
    Ok(Document::new(text))
}

pub(crate) fn create(call: &Call) -> HandlerResult {
    let name = call.input.name("RoleName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let trust = trust_policy(call.input.req("AssumeRolePolicyDocument")?)?;
    let description = description(call)?;
    let max_session = max_session_duration(call)?.unwrap_or(3600);
    let tags = read_tags(call.input)?;
    let boundary = call.input.str("PermissionsBoundary");
    let account = call.account();
    let mut account = account.write();
    if account.roles.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "Role with name {name} already exists."
        )));
    }
    if let Some(arn) = boundary {
        require_boundary_policy(&account, arn)?;
        adjust_usage(&mut account, arn, 0, 1);
    }
    let role = Role {
        name: name.to_string(),
        id: entity_id("AROA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:role{path}{name}", account.id),
        created: now(),
        trust_policy: trust,
        description: description.map(str::to_string),
        max_session_duration: max_session,
        tags,
        boundary: boundary.map(str::to_string),
        permissions: Permissions::default(),
        instance_profiles: Default::default(),
        service_linked: false,
    };
    let out = json!({"Role": role.to_json(View::Created)});
    account.roles.insert(key(name), role);
    Ok(out)
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let account = call.account();
    let account = account.read();
    Ok(json!({"Role": role(&account, name)?.to_json(View::Get)}))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account
        .roles
        .values()
        .filter(|r| path_matches(&r.path, call.input))
        .map(|r| r.to_json(View::Listed))
        .collect();
    Ok(Value::Object(page(items, call.input, "Roles")?))
}

pub(crate) fn update(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let description = description(call)?;
    let max_session = max_session_duration(call)?;
    let account = call.account();
    let mut account = account.write();
    let role = role_mut(&mut account, name)?;
    if let Some(description) = description {
        role.description = Some(description.to_string());
    }
    if let Some(max_session) = max_session {
        role.max_session_duration = max_session;
    }
    Ok(json!({}))
}

pub(crate) fn update_description(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let description = call.input.req("Description")?;
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(constraint_error(
            Some(description),
            "Description",
            "Member must have length less than or equal to 1000",
        ));
    }
    let account = call.account();
    let mut account = account.write();
    let role = role_mut(&mut account, name)?;
    role.description = Some(description.to_string());
    Ok(json!({"Role": role.to_json(View::Described)}))
}

pub(crate) fn update_trust_policy(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let trust = trust_policy(call.input.req("PolicyDocument")?)?;
    let account = call.account();
    let mut account = account.write();
    role_mut(&mut account, name)?.trust_policy = trust;
    Ok(json!({}))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let account = call.account();
    let mut account = account.write();
    let role = role(&account, name)?;
    if role.service_linked {
        return Err(protected_role(&role.name));
    }
    if !role.instance_profiles.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    if !role.permissions.inline.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !role.permissions.attached.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if let Some(role) = account.roles.remove(&key(name)) {
        if let Some(arn) = &role.boundary {
            adjust_usage(&mut account, arn, 0, -1);
        }
    }
    Ok(json!({}))
}

pub(crate) fn put_boundary(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let arn = call.input.req("PermissionsBoundary")?;
    let account = call.account();
    let mut account = account.write();
    role_mut(&mut account, name)?;
    require_boundary_policy(&account, arn)?;
    let previous = role_mut(&mut account, name)?
        .boundary
        .replace(arn.to_string());
    if let Some(previous) = previous {
        adjust_usage(&mut account, &previous, 0, -1);
    }
    adjust_usage(&mut account, arn, 0, 1);
    Ok(json!({}))
}

pub(crate) fn delete_boundary(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let account = call.account();
    let mut account = account.write();
    if let Some(previous) = role_mut(&mut account, name)?.boundary.take() {
        adjust_usage(&mut account, &previous, 0, -1);
    }
    Ok(json!({}))
}

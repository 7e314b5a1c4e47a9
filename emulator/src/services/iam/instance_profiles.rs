//! Instance profiles and the (single) role each holds.

use serde_json::{json, Value};

use super::errors::{
    already_exists, delete_conflict, limit_exceeded, no_such_instance_profile, no_such_role,
};
use super::ids::{entity_id, now};
use super::pagination::{page, path_matches};
use super::state::{key, InstanceProfile};
use super::tagging::read_tags;
use super::Call;
use crate::service::HandlerResult;

const NAME_MAX: usize = 128;
const ROLES_PER_PROFILE: usize = 1;

pub(crate) fn create(call: &Call) -> HandlerResult {
    let name = call.input.name("InstanceProfileName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    if account.instance_profiles.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "Instance Profile {name} already exists."
        )));
    }
    let profile = InstanceProfile {
        name: name.to_string(),
        id: entity_id("AIPA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:instance-profile{path}{name}", account.id),
        created: now(),
        roles: Vec::new(),
        tags,
    };
    let out = json!({"InstanceProfile": profile.to_json(&account.roles, true)});
    account.instance_profiles.insert(key(name), profile);
    Ok(out)
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let name = call.input.req("InstanceProfileName")?;
    let account = call.account();
    let account = account.read();
    let profile = account
        .instance_profiles
        .get(&key(name))
        .ok_or_else(|| no_such_instance_profile(name))?;
    Ok(json!({"InstanceProfile": profile.to_json(&account.roles, true)}))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account
        .instance_profiles
        .values()
        .filter(|p| path_matches(&p.path, call.input))
        .map(|p| p.to_json(&account.roles, false))
        .collect();
    Ok(Value::Object(page(items, call.input, "InstanceProfiles")?))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("InstanceProfileName")?;
    let account = call.account();
    let mut account = account.write();
    let profile = account
        .instance_profiles
        .get(&key(name))
        .ok_or_else(|| no_such_instance_profile(name))?;
    if !profile.roles.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    account.instance_profiles.remove(&key(name));
    Ok(json!({}))
}

pub(crate) fn add_role(call: &Call) -> HandlerResult {
    let name = call.input.req("InstanceProfileName")?;
    let role_name = call.input.req("RoleName")?;
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let profile = account
        .instance_profiles
        .get_mut(&key(name))
        .ok_or_else(|| no_such_instance_profile(name))?;
    let role = account
        .roles
        .get_mut(&key(role_name))
        .ok_or_else(|| no_such_role(role_name))?;
    if profile.roles.contains(&key(role_name)) {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
        )));
    }
    if profile.roles.len() >= ROLES_PER_PROFILE {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
        )));
    }
    profile.roles.push(key(role_name));
    role.instance_profiles.insert(key(name));
    Ok(json!({}))
}

pub(crate) fn remove_role(call: &Call) -> HandlerResult {
    let name = call.input.req("InstanceProfileName")?;
    let role_name = call.input.req("RoleName")?;
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let profile = account
        .instance_profiles
        .get_mut(&key(name))
        .ok_or_else(|| no_such_instance_profile(name))?;
    let role_key = key(role_name);
    if !profile.roles.contains(&role_key) {
        return Err(no_such_role(role_name));
    }
    profile.roles.retain(|r| *r != role_key);
    if let Some(role) = account.roles.get_mut(&role_key) {
        role.instance_profiles.remove(&key(name));
    }
    Ok(json!({}))
}

pub(crate) fn list_for_role(call: &Call) -> HandlerResult {
    let role_name = call.input.req("RoleName")?;
    let account = call.account();
    let account = account.read();
    let role = account
        .roles
        .get(&key(role_name))
        .ok_or_else(|| no_such_role(role_name))?;
    let items = role
        .instance_profiles
        .iter()
        .filter_map(|p| account.instance_profiles.get(p))
        .map(|p| p.to_json(&account.roles, false))
        .collect();
    Ok(Value::Object(page(items, call.input, "InstanceProfiles")?))
}

//! Users: create, read, list, rename, delete, permissions boundaries.

use serde_json::{json, Value};

use super::errors::{already_exists, delete_conflict, no_such_user};
use super::ids::{entity_id, now};
use super::pagination::{page, path_matches};
use super::policies::{adjust_usage, require_boundary_policy};
use super::state::{key, Account, Permissions, User, View};
use super::tagging::read_tags;
use super::Call;
use crate::service::{AwsError, HandlerResult};

pub(crate) const NAME_MAX: usize = 64;

pub(crate) fn user_mut<'a>(account: &'a mut Account, name: &str) -> Result<&'a mut User, AwsError> {
    account
        .users
        .get_mut(&key(name))
        .ok_or_else(|| no_such_user(name))
}

pub(crate) fn user<'a>(account: &'a Account, name: &str) -> Result<&'a User, AwsError> {
    account
        .users
        .get(&key(name))
        .ok_or_else(|| no_such_user(name))
}

/// The user a request without UserName acts on: the calling IAM user. Root and role sessions
/// have no user to default to.
pub(crate) fn caller_user_name<'a>(call: &'a Call) -> Result<&'a str, AwsError> {
    let arn = &call.caller().arn;
    match arn.split_once(":user/") {
        Some((_, path_and_name)) => Ok(path_and_name.rsplit('/').next().unwrap_or(path_and_name)),
        None => Err(AwsError::validation(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

pub(crate) fn create(call: &Call) -> HandlerResult {
    let name = call.input.name("UserName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let tags = read_tags(call.input)?;
    let boundary = call.input.str("PermissionsBoundary");
    let account = call.account();
    let mut account = account.write();
    if account.users.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "User with name {name} already exists."
        )));
    }
    if let Some(arn) = boundary {
        require_boundary_policy(&account, arn)?;
        adjust_usage(&mut account, arn, 0, 1);
    }
    let user = User {
        name: name.to_string(),
        id: entity_id("AIDA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:user{path}{name}", account.id),
        created: now(),
        tags,
        boundary: boundary.map(str::to_string),
        permissions: Permissions::default(),
        groups: Default::default(),
        login_profile: None,
        access_keys: Vec::new(),
        service_credentials: Vec::new(),
        mfa_devices: Vec::new(),
    };
    let out = user_output(user.to_json(View::Created));
    account.users.insert(key(name), user);
    Ok(out)
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let name = match call.input.str("UserName") {
        Some(name) => name,
        None if call.caller().arn.ends_with(":root") => return Ok(root_user(call)),
        None => caller_user_name(call)?,
    };
    let account = call.account();
    let account = account.read();
    Ok(user_output(user(&account, name)?.to_json(View::Get)))
}

/// `{"User": user}`; not `json!`, which would serialize the finished value a second time.
fn user_output(user: Value) -> Value {
    let mut out = serde_json::Map::with_capacity(1);
    out.insert("User".into(), user);
    Value::Object(out)
}

/// GetUser for the account's root credentials: no name or path, the account id as UserId.
fn root_user(call: &Call) -> Value {
    let created = call.account().read().created.clone();
    json!({"User": {
        "UserId": call.account_id(),
        "Arn": call.caller().arn,
        "CreateDate": created,
    }})
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account
        .users
        .values()
        .filter(|u| path_matches(&u.path, call.input))
        .map(|u| u.to_json(View::Listed))
        .collect();
    Ok(Value::Object(page(items, call.input, "Users")?))
}

pub(crate) fn update(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let new_name = call.input.str("NewUserName");
    if let Some(new_name) = new_name {
        super::input::check_name(new_name, "NewUserName", NAME_MAX)?;
    }
    let new_path = match call.input.str("NewPath") {
        Some(path) => {
            super::input::check_path(path)?;
            Some(path)
        }
        None => None,
    };
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let old_key = key(name);
    if !account.users.contains_key(&old_key) {
        return Err(no_such_user(name));
    }
    if let Some(new_name) = new_name {
        let new_key = key(new_name);
        if new_key != old_key && account.users.contains_key(&new_key) {
            return Err(already_exists(format!(
                "User with name {new_name} already exists."
            )));
        }
    }
    let Some(mut user) = account.users.remove(&old_key) else {
        return Err(no_such_user(name));
    };
    if let Some(path) = new_path {
        user.path = path.to_string();
    }
    if let Some(new_name) = new_name {
        user.name = new_name.to_string();
    }
    user.arn = format!("arn:aws:iam::{}:user{}{}", account.id, user.path, user.name);
    let new_key = key(&user.name);
    if new_key != old_key {
        for group in user.groups.iter() {
            if let Some(group) = account.groups.get_mut(group) {
                for member in group.members.iter_mut().filter(|m| **m == old_key) {
                    *member = new_key.clone();
                }
            }
        }
        for owner in account
            .access_key_owners
            .values_mut()
            .filter(|o| **o == old_key)
        {
            *owner = new_key.clone();
        }
    }
    account.users.insert(new_key, user);
    Ok(json!({}))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let account = call.account();
    let mut account = account.write();
    let user = user(&account, name)?;
    let conflict = if user.login_profile.is_some() {
        Some("Cannot delete entity, must delete login profile first.")
    } else if !user.mfa_devices.is_empty() {
        Some("Cannot delete entity, must delete MFA device first.")
    } else if !user.access_keys.is_empty() {
        Some("Cannot delete entity, must delete access keys first.")
    } else if !user.permissions.attached.is_empty() {
        Some("Cannot delete entity, must detach all policies first.")
    } else if !user.permissions.inline.is_empty() {
        Some("Cannot delete entity, must delete policies first.")
    } else if !user.service_credentials.is_empty() || !user.groups.is_empty() {
        Some("Cannot delete entity, must remove referenced objects first.")
    } else {
        None
    };
    if let Some(message) = conflict {
        return Err(delete_conflict(message));
    }
    if let Some(user) = account.users.remove(&key(name)) {
        if let Some(arn) = &user.boundary {
            adjust_usage(&mut account, arn, 0, -1);
        }
    }
    Ok(json!({}))
}

pub(crate) fn put_boundary(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let arn = call.input.req("PermissionsBoundary")?;
    let account = call.account();
    let mut account = account.write();
    user(&account, name)?;
    require_boundary_policy(&account, arn)?;
    let previous = user_mut(&mut account, name)?
        .boundary
        .replace(arn.to_string());
    if let Some(previous) = previous {
        adjust_usage(&mut account, &previous, 0, -1);
    }
    adjust_usage(&mut account, arn, 0, 1);
    Ok(json!({}))
}

pub(crate) fn delete_boundary(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let account = call.account();
    let mut account = account.write();
    if let Some(previous) = user_mut(&mut account, name)?.boundary.take() {
        adjust_usage(&mut account, &previous, 0, -1);
    }
    Ok(json!({}))
}

//! Groups and group membership.

use serde_json::{json, Value};

use super::errors::{already_exists, delete_conflict, no_such_group, no_such_user};
use super::ids::{entity_id, now};
use super::pagination::{page, path_matches};
use super::state::{key, Group, Permissions, View};
use super::users::user;
use super::Call;
use crate::service::HandlerResult;

const NAME_MAX: usize = 128;

pub(crate) fn create(call: &Call) -> HandlerResult {
    let name = call.input.name("GroupName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let account = call.account();
    let mut account = account.write();
    if account.groups.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "Group with name {name} already exists."
        )));
    }
    let group = Group {
        name: name.to_string(),
        id: entity_id("AGPA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:group{path}{name}", account.id),
        created: now(),
        permissions: Permissions::default(),
        members: Vec::new(),
    };
    let out = json!({"Group": group.to_json()});
    account.groups.insert(key(name), group);
    Ok(out)
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let name = call.input.req("GroupName")?;
    let account = call.account();
    let account = account.read();
    let group = account
        .groups
        .get(&key(name))
        .ok_or_else(|| no_such_group(name))?;
    let users = group
        .members
        .iter()
        .filter_map(|m| account.users.get(m))
        .map(|u| u.to_json(View::Listed))
        .collect();
    let mut out = page(users, call.input, "Users")?;
    out.insert("Group".into(), group.to_json());
    Ok(Value::Object(out))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account
        .groups
        .values()
        .filter(|g| path_matches(&g.path, call.input))
        .map(|g| g.to_json())
        .collect();
    Ok(Value::Object(page(items, call.input, "Groups")?))
}

pub(crate) fn update(call: &Call) -> HandlerResult {
    let name = call.input.req("GroupName")?;
    let new_name = call.input.str("NewGroupName");
    if let Some(new_name) = new_name {
        super::input::check_name(new_name, "NewGroupName", NAME_MAX)?;
    }
    let new_path = call.input.str("NewPath");
    if let Some(path) = new_path {
        super::input::check_path(path)?;
    }
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let old_key = key(name);
    if let Some(new_name) = new_name {
        if key(new_name) != old_key && account.groups.contains_key(&key(new_name)) {
            return Err(already_exists(format!(
                "Group with name {new_name} already exists."
            )));
        }
    }
    let mut group = account
        .groups
        .remove(&old_key)
        .ok_or_else(|| no_such_group(name))?;
    if let Some(path) = new_path {
        group.path = path.to_string();
    }
    if let Some(new_name) = new_name {
        group.name = new_name.to_string();
    }
    group.arn = format!(
        "arn:aws:iam::{}:group{}{}",
        account.id, group.path, group.name
    );
    let new_key = key(&group.name);
    for member in &group.members {
        if let Some(user) = account.users.get_mut(member) {
            user.groups.remove(&old_key);
            user.groups.insert(new_key.clone());
        }
    }
    account.groups.insert(new_key, group);
    Ok(json!({}))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("GroupName")?;
    let account = call.account();
    let mut account = account.write();
    let group = account
        .groups
        .get(&key(name))
        .ok_or_else(|| no_such_group(name))?;
    if !group.permissions.attached.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !group.permissions.inline.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !group.members.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    account.groups.remove(&key(name));
    Ok(json!({}))
}

pub(crate) fn add_user(call: &Call) -> HandlerResult {
    let group_name = call.input.req("GroupName")?;
    let user_name = call.input.req("UserName")?;
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let group = account
        .groups
        .get_mut(&key(group_name))
        .ok_or_else(|| no_such_group(group_name))?;
    let user = account
        .users
        .get_mut(&key(user_name))
        .ok_or_else(|| no_such_user(user_name))?;
    let user_key = key(user_name);
    if !group.members.contains(&user_key) {
        group.members.push(user_key);
    }
    user.groups.insert(key(group_name));
    Ok(json!({}))
}

pub(crate) fn remove_user(call: &Call) -> HandlerResult {
    let group_name = call.input.req("GroupName")?;
    let user_name = call.input.req("UserName")?;
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let group = account
        .groups
        .get_mut(&key(group_name))
        .ok_or_else(|| no_such_group(group_name))?;
    let user = account
        .users
        .get_mut(&key(user_name))
        .ok_or_else(|| no_such_user(user_name))?;
    let user_key = key(user_name);
    group.members.retain(|m| *m != user_key);
    user.groups.remove(&key(group_name));
    Ok(json!({}))
}

pub(crate) fn list_for_user(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let account = call.account();
    let account = account.read();
    let user = user(&account, name)?;
    let items = user
        .groups
        .iter()
        .filter_map(|g| account.groups.get(g))
        .map(|g| g.to_json())
        .collect();
    Ok(Value::Object(page(items, call.input, "Groups")?))
}

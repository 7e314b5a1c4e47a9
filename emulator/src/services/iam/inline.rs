//! Inline policies embedded in users, groups and roles.

use serde_json::{json, Value};

use super::errors::{limit_exceeded, no_such_entity};
use super::pagination::page;
use super::policies::Principal;
use super::policy_document::{validate, Kind};
use super::state::{key, Document};
use super::Call;
use crate::service::{AwsError, HandlerResult};

const NAME_MAX: usize = 128;

/// Aggregate inline policy size per principal kind (characters, whitespace excluded).
fn size_quota(principal: Principal) -> usize {
    match principal {
        Principal::User => 2048,
        Principal::Group => 5120,
        Principal::Role => 10240,
    }
}

fn not_found(principal: Principal, policy: &str) -> AwsError {
    no_such_entity(format!(
        "The {} policy with name {policy} cannot be found.",
        principal.label().to_ascii_lowercase()
    ))
}

fn size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

pub(crate) fn put(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let policy_name = call.input.name("PolicyName", NAME_MAX)?;
    let text = call.input.req("PolicyDocument")?;
    validate(text, Kind::Inline, "PolicySize", usize::MAX)?;
    let account = call.account();
    let mut account = account.write();
    let permissions = principal.permissions_mut(&mut account, name)?;
    let others: usize = permissions
        .inline
        .iter()
        .filter(|(k, _)| **k != key(policy_name))
        .map(|(_, (_, doc))| size(&doc.text))
        .sum();
    let quota = size_quota(principal);
    if others + size(text) > quota {
        return Err(limit_exceeded(format!(
            "Maximum policy size of {quota} bytes exceeded for {} {name}",
            principal.label().to_ascii_lowercase()
        )));
    }
    permissions.inline.insert(
        key(policy_name),
        (policy_name.to_string(), Document::new(text)),
    );
    Ok(json!({}))
}

pub(crate) fn get(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let policy_name = call.input.req("PolicyName")?;
    let account = call.account();
    let account = account.read();
    let permissions = principal.permissions(&account, name)?;
    let (stored_name, document) = permissions
        .inline
        .get(&key(policy_name))
        .ok_or_else(|| not_found(principal, policy_name))?;
    let owner = match principal {
        Principal::User => account.users.get(&key(name)).map(|u| u.name.as_str()),
        Principal::Group => account.groups.get(&key(name)).map(|g| g.name.as_str()),
        Principal::Role => account.roles.get(&key(name)).map(|r| r.name.as_str()),
    };
    let mut out = serde_json::Map::new();
    out.insert(principal.name_member().into(), json!(owner.unwrap_or(name)));
    out.insert("PolicyName".into(), json!(stored_name));
    out.insert("PolicyDocument".into(), json!(document.encoded));
    Ok(Value::Object(out))
}

pub(crate) fn delete(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let policy_name = call.input.req("PolicyName")?;
    let account = call.account();
    let mut account = account.write();
    let permissions = principal.permissions_mut(&mut account, name)?;
    permissions
        .inline
        .remove(&key(policy_name))
        .ok_or_else(|| not_found(principal, policy_name))?;
    Ok(json!({}))
}

pub(crate) fn list(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let account = call.account();
    let account = account.read();
    let permissions = principal.permissions(&account, name)?;
    let names = permissions.inline.values().map(|(n, _)| json!(n)).collect();
    Ok(Value::Object(page(names, call.input, "PolicyNames")?))
}

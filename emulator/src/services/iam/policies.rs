//! Managed policies: customer managed policies with versions, AWS managed policies, attaching
//! them to users, groups and roles, and the per-account usage counts.

use serde_json::{json, Value};

use super::aws_managed::{catalog, is_aws_managed};
use super::errors::{
    already_exists, delete_conflict, invalid_arn, limit_exceeded, no_such_entity, no_such_group,
    no_such_role, no_such_user, not_attachable, policy_not_found, unmodifiable,
};
use super::ids::{entity_id, now};
use super::pagination::{page, path_matches};
use super::policy_document::{validate, Kind};
use super::state::{key, Account, Document, ManagedPolicy, Permissions, PolicyVersion};
use super::tagging::read_tags;
use super::Call;
use crate::service::{AwsError, HandlerResult};

const NAME_MAX: usize = 128;
const MAX_VERSIONS: usize = 5;
const MANAGED_POLICY_SIZE: usize = 6144;
const ATTACHED_MAX: usize = 10;

/// The three kinds of IAM identity that hold policies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principal {
    User,
    Group,
    Role,
}

impl Principal {
    pub fn name_member(self) -> &'static str {
        match self {
            Principal::User => "UserName",
            Principal::Group => "GroupName",
            Principal::Role => "RoleName",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Principal::User => "User",
            Principal::Group => "Group",
            Principal::Role => "Role",
        }
    }

    /// The permissions of the named principal, or NoSuchEntity.
    pub fn permissions<'a>(
        self,
        account: &'a Account,
        name: &str,
    ) -> Result<&'a Permissions, AwsError> {
        let k = key(name);
        match self {
            Principal::User => account
                .users
                .get(&k)
                .map(|u| &u.permissions)
                .ok_or_else(|| no_such_user(name)),
            Principal::Group => account
                .groups
                .get(&k)
                .map(|g| &g.permissions)
                .ok_or_else(|| no_such_group(name)),
            Principal::Role => account
                .roles
                .get(&k)
                .map(|r| &r.permissions)
                .ok_or_else(|| no_such_role(name)),
        }
    }

    /// Mutable access for changes: service-linked roles refuse them.
    pub fn permissions_mut<'a>(
        self,
        account: &'a mut Account,
        name: &str,
    ) -> Result<&'a mut Permissions, AwsError> {
        let k = key(name);
        match self {
            Principal::User => account
                .users
                .get_mut(&k)
                .map(|u| &mut u.permissions)
                .ok_or_else(|| no_such_user(name)),
            Principal::Group => account
                .groups
                .get_mut(&k)
                .map(|g| &mut g.permissions)
                .ok_or_else(|| no_such_group(name)),
            Principal::Role => {
                let role = account
                    .roles
                    .get_mut(&k)
                    .ok_or_else(|| no_such_role(name))?;
                if role.service_linked {
                    return Err(protected_role(&role.name));
                }
                Ok(&mut role.permissions)
            }
        }
    }
}

pub(crate) fn protected_role(name: &str) -> AwsError {
    unmodifiable(format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    ))
}

/// ARN syntax: `arn:partition:service:region:account:resource`.
pub(crate) fn check_arn(arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
    {
        Ok(())
    } else {
        Err(invalid_arn())
    }
}

/// The managed policy an ARN names (AWS managed or one of this account's).
pub(crate) fn find<'a>(account: &'a Account, arn: &str) -> Option<&'a ManagedPolicy> {
    if is_aws_managed(arn) {
        return catalog().get(arn);
    }
    let name = arn.rsplit('/').next()?;
    account.policies.get(&key(name)).filter(|p| p.arn == arn)
}

fn find_local_mut<'a>(account: &'a mut Account, arn: &str) -> Option<&'a mut ManagedPolicy> {
    let name = arn.rsplit('/').next()?;
    account
        .policies
        .get_mut(&key(name))
        .filter(|p| p.arn == arn)
}

/// Count (or uncount) an attachment or permissions-boundary use of a policy in this account.
pub(crate) fn adjust_usage(account: &mut Account, arn: &str, attachments: i64, boundaries: i64) {
    let usage = account.usage.entry(arn.to_string()).or_default();
    usage.attachments = (usage.attachments as i64 + attachments).max(0) as u32;
    usage.boundaries = (usage.boundaries as i64 + boundaries).max(0) as u32;
}

/// A permissions boundary must name an existing managed policy.
pub(crate) fn require_boundary_policy(account: &Account, arn: &str) -> Result<(), AwsError> {
    if !arn.contains(":policy/") {
        return Err(super::errors::invalid_input(format!(
            "ARN {arn} is not valid."
        )));
    }
    match find(account, arn) {
        Some(_) => Ok(()),
        None => Err(no_such_entity(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        ))),
    }
}

fn policy_arn<'a>(call: &'a Call) -> Result<&'a str, AwsError> {
    let arn = call.input.req("PolicyArn")?;
    check_arn(arn)?;
    Ok(arn)
}

pub(crate) fn create(call: &Call) -> HandlerResult {
    let name = call.input.name("PolicyName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let text = call.input.req("PolicyDocument")?;
    validate(text, Kind::Managed, "PolicySize", MANAGED_POLICY_SIZE)?;
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    if account.policies.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        )));
    }
    let created = now();
    let policy = ManagedPolicy {
        name: name.to_string(),
        id: entity_id("ANPA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:policy{path}{name}", account.id),
        description: call.input.str("Description").map(str::to_string),
        created: created.clone(),
        updated: created.clone(),
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: Document::new(text),
            created,
        }],
        next_version: 2,
        tags,
    };
    // CreatePolicy answers without the description (GetPolicy has it) and with tags only if any.
    let mut rendered = policy.to_json(Default::default(), true);
    if let Some(out) = rendered.as_object_mut() {
        out.remove("Description");
        if policy.tags.is_empty() {
            out.remove("Tags");
        }
    }
    account.policies.insert(key(name), policy);
    Ok(json!({"Policy": rendered}))
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let account = call.account();
    let account = account.read();
    let policy = find(&account, arn).ok_or_else(|| policy_not_found(arn))?;
    Ok(json!({"Policy": policy.to_json(account.usage(arn), true)}))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let scope = call.input.str("Scope").unwrap_or("All");
    let only_attached = call.input.bool("OnlyAttached").unwrap_or(false);
    let usage_filter = call.input.str("PolicyUsageFilter");
    let account = call.account();
    let account = account.read();
    let aws = catalog().values().filter(|_| scope != "Local");
    let local = account.policies.values().filter(|_| scope != "AWS");
    let items = aws
        .chain(local)
        .filter(|p| path_matches(&p.path, call.input))
        .filter_map(|p| {
            let usage = account.usage(&p.arn);
            let used = match usage_filter {
                Some("PermissionsPolicy") => usage.attachments > 0,
                Some("PermissionsBoundary") => usage.boundaries > 0,
                _ => usage.attachments > 0 || usage.boundaries > 0,
            };
            (!only_attached || used).then(|| p.to_json(usage, false))
        })
        .collect();
    Ok(Value::Object(page(items, call.input, "Policies")?))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let account = call.account();
    let mut account = account.write();
    let usage = account.usage(arn);
    let policy = find_local_mut(&mut account, arn).ok_or_else(|| policy_not_found(arn))?;
    if usage.attachments > 0 || usage.boundaries > 0 {
        return Err(delete_conflict(
            "Cannot delete a policy attached to entities.",
        ));
    }
    if policy.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's non-default versions.",
        ));
    }
    let name = key(&policy.name);
    account.policies.remove(&name);
    account.usage.remove(arn);
    Ok(json!({}))
}

fn no_such_version(arn: &str, version: &str) -> AwsError {
    no_such_entity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

pub(crate) fn create_version(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let text = call.input.req("PolicyDocument")?;
    validate(text, Kind::Managed, "PolicySize", MANAGED_POLICY_SIZE)?;
    let set_default = call.input.bool("SetAsDefault").unwrap_or(false);
    let account = call.account();
    let mut account = account.write();
    let policy = find_local_mut(&mut account, arn).ok_or_else(|| policy_not_found(arn))?;
    if policy.versions.len() >= MAX_VERSIONS {
        return Err(limit_exceeded(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ));
    }
    let version = PolicyVersion {
        id: format!("v{}", policy.next_version),
        document: Document::new(text),
        created: now(),
    };
    policy.next_version += 1;
    if set_default {
        policy.default_version = version.id.clone();
        policy.updated = version.created.clone();
    }
    let rendered = policy.version_json(&version, false);
    policy.versions.push(version);
    Ok(json!({"PolicyVersion": rendered}))
}

pub(crate) fn get_version(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let version_id = call.input.req("VersionId")?;
    let account = call.account();
    let account = account.read();
    let policy = find(&account, arn).ok_or_else(|| no_such_version(arn, version_id))?;
    let version = policy
        .version(version_id)
        .ok_or_else(|| no_such_version(arn, version_id))?;
    Ok(json!({"PolicyVersion": policy.version_json(version, true)}))
}

pub(crate) fn list_versions(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let account = call.account();
    let account = account.read();
    let policy = find(&account, arn).ok_or_else(|| policy_not_found(arn))?;
    // Newest first, as IAM lists them.
    let items = policy
        .versions
        .iter()
        .rev()
        .map(|v| policy.version_json(v, false))
        .collect();
    Ok(Value::Object(page(items, call.input, "Versions")?))
}

pub(crate) fn delete_version(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let version_id = call.input.req("VersionId")?;
    let account = call.account();
    let mut account = account.write();
    let policy = find_local_mut(&mut account, arn).ok_or_else(|| policy_not_found(arn))?;
    let index = policy
        .versions
        .iter()
        .position(|v| v.id == version_id)
        .ok_or_else(|| no_such_version(arn, version_id))?;
    if policy.default_version == version_id {
        return Err(delete_conflict(
            "Cannot delete the default version of a policy.",
        ));
    }
    policy.versions.remove(index);
    Ok(json!({}))
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
fn valid_version_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('v') else {
        return false;
    };
    let (number, suffix) = rest.split_once('.').unwrap_or((rest, ""));
    !number.is_empty()
        && !number.starts_with('0')
        && number.bytes().all(|b| b.is_ascii_digit())
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn set_default_version(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let version_id = call.input.req("VersionId")?;
    if !valid_version_id(version_id) {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        ));
    }
    let account = call.account();
    let mut account = account.write();
    let policy = find_local_mut(&mut account, arn).ok_or_else(|| policy_not_found(arn))?;
    if policy.version(version_id).is_none() {
        return Err(no_such_version(arn, version_id));
    }
    policy.default_version = version_id.to_string();
    policy.updated = now();
    Ok(json!({}))
}

pub(crate) fn attach(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let arn = policy_arn(call)?;
    let account = call.account();
    let mut account = account.write();
    principal.permissions(&account, name)?;
    if find(&account, arn).is_none() {
        return Err(not_attachable(arn));
    }
    let permissions = principal.permissions_mut(&mut account, name)?;
    if permissions.attached.iter().any(|a| a == arn) {
        return Ok(json!({}));
    }
    if permissions.attached.len() >= ATTACHED_MAX {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PoliciesPer{}: {ATTACHED_MAX}",
            principal.label()
        )));
    }
    permissions.attached.push(arn.to_string());
    adjust_usage(&mut account, arn, 1, 0);
    Ok(json!({}))
}

pub(crate) fn detach(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let arn = policy_arn(call)?;
    let account = call.account();
    let mut account = account.write();
    let permissions = principal.permissions_mut(&mut account, name)?;
    let index = permissions
        .attached
        .iter()
        .position(|a| a == arn)
        .ok_or_else(|| policy_not_found(arn))?;
    permissions.attached.remove(index);
    adjust_usage(&mut account, arn, -1, 0);
    Ok(json!({}))
}

/// `{PolicyName, PolicyArn}` of each attached policy.
pub(crate) fn attached_json(arns: &[String]) -> Vec<Value> {
    arns.iter()
        .map(|arn| json!({"PolicyName": arn.rsplit('/').next().unwrap_or(arn), "PolicyArn": arn}))
        .collect()
}

pub(crate) fn list_attached(call: &Call, principal: Principal) -> HandlerResult {
    let name = call.input.req(principal.name_member())?;
    let account = call.account();
    let account = account.read();
    let permissions = principal.permissions(&account, name)?;
    let prefix = call.input.str("PathPrefix").unwrap_or("/");
    let arns: Vec<String> = permissions
        .attached
        .iter()
        .filter(|arn| find(&account, arn).is_some_and(|p| p.path.starts_with(prefix)))
        .cloned()
        .collect();
    Ok(Value::Object(page(
        attached_json(&arns),
        call.input,
        "AttachedPolicies",
    )?))
}

pub(crate) fn list_entities(call: &Call) -> HandlerResult {
    let arn = policy_arn(call)?;
    let filter = call.input.str("EntityFilter");
    let boundary_use = call.input.str("PolicyUsageFilter") == Some("PermissionsBoundary");
    let account = call.account();
    let account = account.read();
    find(&account, arn).ok_or_else(|| policy_not_found(arn))?;
    let wants = |kind: &str| filter.is_none() || filter == Some(kind);
    let uses = |permissions: &Permissions, boundary: Option<&String>| {
        if boundary_use {
            boundary.is_some_and(|b| b == arn)
        } else {
            permissions.attached.iter().any(|a| a == arn)
        }
    };
    let in_path = |path: &str| path_matches(path, call.input);
    let users: Vec<Value> = account
        .users
        .values()
        .filter(|u| wants("User") && in_path(&u.path) && uses(&u.permissions, u.boundary.as_ref()))
        .map(|u| json!({"UserName": u.name, "UserId": u.id}))
        .collect();
    let groups: Vec<Value> = account
        .groups
        .values()
        .filter(|g| wants("Group") && in_path(&g.path) && uses(&g.permissions, None))
        .map(|g| json!({"GroupName": g.name, "GroupId": g.id}))
        .collect();
    let roles: Vec<Value> = account
        .roles
        .values()
        .filter(|r| wants("Role") && in_path(&r.path) && uses(&r.permissions, r.boundary.as_ref()))
        .map(|r| json!({"RoleName": r.name, "RoleId": r.id}))
        .collect();
    Ok(json!({
        "PolicyGroups": groups,
        "PolicyUsers": users,
        "PolicyRoles": roles,
        "IsTruncated": false,
    }))
}

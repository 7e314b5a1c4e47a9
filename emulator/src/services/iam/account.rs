//! Account-wide views and settings: aliases, the authorization details dump, the summary.

use serde_json::{json, Map, Value};

use super::errors::no_such_entity;
use super::input::constraint_error;
use super::pagination::page;
use super::policies::{attached_json, find};
use super::state::{tags_json, ManagedPolicy, Permissions, Usage};
use super::Call;
use crate::service::HandlerResult;

fn valid_alias(alias: &str) -> bool {
    let bytes = alias.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
        && !alias.contains("--")
}

pub(crate) fn create_alias(call: &Call) -> HandlerResult {
    let alias = call.input.req("AccountAlias")?;
    if !valid_alias(alias) {
        return Err(constraint_error(
            Some(alias),
            "AccountAlias",
            "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        ));
    }
    let account = call.account();
    let mut account = account.write();
    // An account has at most one alias; a new one replaces it.
    account.aliases = vec![alias.to_string()];
    Ok(json!({}))
}

pub(crate) fn delete_alias(call: &Call) -> HandlerResult {
    let alias = call.input.req("AccountAlias")?;
    let account = call.account();
    let mut account = account.write();
    if !account.aliases.iter().any(|a| a == alias) {
        return Err(no_such_entity(format!(
            "The account alias {alias} cannot be found."
        )));
    }
    account.aliases.retain(|a| a != alias);
    Ok(json!({}))
}

pub(crate) fn list_aliases(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account.aliases.iter().map(|a| json!(a)).collect();
    Ok(Value::Object(page(items, call.input, "AccountAliases")?))
}

fn inline_json(permissions: &Permissions) -> Vec<Value> {
    permissions
        .inline
        .values()
        .map(|(name, doc)| json!({"PolicyName": name, "PolicyDocument": doc.encoded}))
        .collect()
}

fn policy_detail(policy: &ManagedPolicy, usage: Usage) -> Value {
    let mut out = policy.to_json(usage, false);
    let versions: Vec<Value> = policy
        .versions
        .iter()
        .map(|v| policy.version_json(v, true))
        .collect();
    if let Some(out) = out.as_object_mut() {
        out.insert("PolicyVersionList".into(), Value::Array(versions));
    }
    out
}

/// Everything in one answer (no pagination: IsTruncated is always false).
pub(crate) fn authorization_details(call: &Call) -> HandlerResult {
    let filters = call.input.strings("Filter");
    let wants = |f: &str| filters.is_empty() || filters.iter().any(|x| x == f);
    let account = call.account();
    let account = account.read();
    let mut out = Map::new();
    if wants("User") {
        let users: Vec<Value> = account
            .users
            .values()
            .map(|u| {
                let mut detail = u.to_json(super::state::View::Listed);
                detail["UserPolicyList"] = json!(inline_json(&u.permissions));
                detail["GroupList"] = json!(u
                    .groups
                    .iter()
                    .filter_map(|g| account.groups.get(g).map(|g| g.name.clone()))
                    .collect::<Vec<_>>());
                detail["AttachedManagedPolicies"] = json!(attached_json(&u.permissions.attached));
                detail["Tags"] = tags_json(&u.tags);
                if let Some(arn) = &u.boundary {
                    detail["PermissionsBoundary"] =
                        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn});
                }
                detail
            })
            .collect();
        out.insert("UserDetailList".into(), Value::Array(users));
    }
    if wants("Group") {
        let groups: Vec<Value> = account
            .groups
            .values()
            .map(|g| {
                let mut detail = g.to_json();
                detail["GroupPolicyList"] = json!(inline_json(&g.permissions));
                detail["AttachedManagedPolicies"] = json!(attached_json(&g.permissions.attached));
                detail
            })
            .collect();
        out.insert("GroupDetailList".into(), Value::Array(groups));
    }
    if wants("Role") {
        let roles: Vec<Value> = account
            .roles
            .values()
            .map(|r| {
                let mut detail = r.to_json(super::state::View::Listed);
                detail["InstanceProfileList"] = json!(r
                    .instance_profiles
                    .iter()
                    .filter_map(|p| account.instance_profiles.get(p))
                    .map(|p| p.to_json(&account.roles, false))
                    .collect::<Vec<_>>());
                detail["RolePolicyList"] = json!(inline_json(&r.permissions));
                detail["AttachedManagedPolicies"] = json!(attached_json(&r.permissions.attached));
                detail["Tags"] = tags_json(&r.tags);
                detail["RoleLastUsed"] = json!({});
                if let Some(arn) = &r.boundary {
                    detail["PermissionsBoundary"] =
                        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn});
                }
                detail
            })
            .collect();
        out.insert("RoleDetailList".into(), Value::Array(roles));
    }
    let mut policies = Vec::new();
    if wants("AWSManagedPolicy") {
        // Only the AWS managed policies this account uses, not the whole catalogue.
        let mut used: Vec<&String> = account
            .usage
            .iter()
            .filter(|(arn, u)| {
                super::aws_managed::is_aws_managed(arn) && (u.attachments > 0 || u.boundaries > 0)
            })
            .map(|(arn, _)| arn)
            .collect();
        used.sort();
        for arn in used {
            if let Some(policy) = find(&account, arn) {
                policies.push(policy_detail(policy, account.usage(arn)));
            }
        }
    }
    if wants("LocalManagedPolicy") {
        for policy in account.policies.values() {
            policies.push(policy_detail(policy, account.usage(&policy.arn)));
        }
    }
    if wants("AWSManagedPolicy") || wants("LocalManagedPolicy") {
        out.insert("Policies".into(), Value::Array(policies));
    }
    out.insert("IsTruncated".into(), json!(false));
    Ok(Value::Object(out))
}

pub(crate) fn summary(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let versions_in_use: usize = account.policies.values().map(|p| p.versions.len()).sum();
    let providers = account.oidc_providers.len() + account.saml_providers.len();
    Ok(json!({"SummaryMap": {
        "Users": account.users.len(),
        "UsersQuota": 5000,
        "Groups": account.groups.len(),
        "GroupsQuota": 300,
        "Roles": account.roles.len(),
        "RolesQuota": 1000,
        "Policies": account.policies.len(),
        "PoliciesQuota": 1500,
        "PolicyVersionsInUse": versions_in_use,
        "PolicyVersionsInUseQuota": 10000,
        "InstanceProfiles": account.instance_profiles.len(),
        "InstanceProfilesQuota": 1000,
        "Providers": providers,
        "ServerCertificates": account.server_certificates.len(),
        "ServerCertificatesQuota": 20,
        "MFADevices": 0,
        "MFADevicesInUse": 0,
        "AccountMFAEnabled": 0,
        "AccountAccessKeysPresent": 0,
        "AccountSigningCertificatesPresent": 0,
        "AccessKeysPerUserQuota": 2,
        "AttachedPoliciesPerUserQuota": 10,
        "AttachedPoliciesPerGroupQuota": 10,
        "AttachedPoliciesPerRoleQuota": 10,
        "GroupsPerUserQuota": 10,
        "SigningCertificatesPerUserQuota": 2,
        "UserPolicySizeQuota": 2048,
        "GroupPolicySizeQuota": 5120,
        "RolePolicySizeQuota": 10240,
        "PolicySizeQuota": 6144,
        "AssumeRolePolicySizeQuota": 2048,
        "VersionsPerPolicyQuota": 5,
        "GlobalEndpointTokenVersion": 1,
    }}))
}

/// UpdateAccountPasswordPolicy replaces the whole policy; omitted members take their defaults.
pub(crate) fn update_password_policy(call: &Call) -> HandlerResult {
    let input = call.input;
    let min_length = input.int("MinimumPasswordLength").unwrap_or(6);
    if !(6..=128).contains(&min_length) {
        return Err(constraint_error(
            Some(&min_length.to_string()),
            "MinimumPasswordLength",
            if min_length < 6 {
                "Member must have value greater than or equal to 6"
            } else {
                "Member must have value less than or equal to 128"
            },
        ));
    }
    let mut policy = Map::new();
    policy.insert("MinimumPasswordLength".into(), json!(min_length));
    for member in [
        "RequireSymbols",
        "RequireNumbers",
        "RequireUppercaseCharacters",
        "RequireLowercaseCharacters",
        "AllowUsersToChangePassword",
    ] {
        policy.insert(member.into(), json!(input.bool(member).unwrap_or(false)));
    }
    let max_age = input.int("MaxPasswordAge").filter(|age| *age > 0);
    policy.insert("ExpirePasswords".into(), json!(max_age.is_some()));
    if let Some(age) = max_age {
        policy.insert("MaxPasswordAge".into(), json!(age));
    }
    if let Some(reuse) = input.int("PasswordReusePrevention") {
        policy.insert("PasswordReusePrevention".into(), json!(reuse));
    }
    if let Some(hard) = input.bool("HardExpiry") {
        policy.insert("HardExpiry".into(), json!(hard));
    }
    let account = call.account();
    account.write().password_policy = Some(Value::Object(policy));
    Ok(json!({}))
}

fn no_password_policy(account_id: &str) -> crate::service::AwsError {
    no_such_entity(format!(
        "The Password Policy with domain name {account_id} cannot be found."
    ))
}

pub(crate) fn get_password_policy(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    match &account.password_policy {
        Some(policy) => Ok(json!({"PasswordPolicy": policy})),
        None => Err(no_password_policy(&account.id)),
    }
}

pub(crate) fn delete_password_policy(call: &Call) -> HandlerResult {
    let account = call.account();
    let mut account = account.write();
    if account.password_policy.take().is_none() {
        return Err(no_such_entity(
            "The account policy with name PasswordPolicy cannot be found.",
        ));
    }
    Ok(json!({}))
}

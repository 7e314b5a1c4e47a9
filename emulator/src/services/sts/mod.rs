//! STS: caller identity and temporary credentials (AssumeRole, GetSessionToken,
//! GetFederationToken, AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
//!
//! Every issued ASIA key is registered in `Shared.credentials`, so later calls signed with it are
//! attributed to the session (assumed role, federated user, or the calling user).

mod federation;
mod trust;

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use super::iam::input::{constraint_error, is_name_char, Input};
use super::iam::{
    access_key_id, random_token, secret_access_key, state_for, timestamp, IamState, RoleInfo,
};
use crate::service::{AwsError, Caller, HandlerFuture, HandlerResult, RequestContext, Service};
use crate::Shared;

const OPERATIONS: &[&str] = &[
    "GetCallerIdentity",
    "AssumeRole",
    "GetSessionToken",
    "GetFederationToken",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetAccessKeyInfo",
];

/// Session policies (inline plus managed ARNs) may not exceed this many characters.
const SESSION_POLICY_MAX: usize = 2048;
const MAX_SESSION_TAGS: usize = 50;

pub struct Sts {
    shared: Arc<Shared>,
    /// Keys this service registered, forgotten on reset.
    issued: Mutex<HashSet<String>>,
}

impl Sts {
    pub fn new(shared: Arc<Shared>) -> Self {
        Sts {
            shared,
            issued: Mutex::new(HashSet::new()),
        }
    }

    fn iam(&self) -> Option<Arc<IamState>> {
        state_for(&self.shared)
    }
}

pub(crate) fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message, 400)
}

fn access_denied(message: impl Into<String>) -> AwsError {
    AwsError::new("AccessDenied", message, 403)
}

impl Sts {
    /// Mint ASIA credentials valid for `seconds`, registered for `arn`/`user_id` in `account_id`;
    /// returns the model's `Credentials` structure.
    pub(crate) fn issue(&self, account_id: &str, arn: &str, user_id: &str, seconds: i64) -> Value {
        let key_id = access_key_id("ASIA");
        let expiration = timestamp(OffsetDateTime::now_utc() + Duration::seconds(seconds));
        let caller = Caller {
            access_key_id: key_id.clone(),
            account_id: account_id.to_string(),
            arn: arn.to_string(),
            user_id: user_id.to_string(),
        };
        self.shared
            .credentials
            .write()
            .insert(key_id.clone(), caller);
        self.issued.lock().insert(key_id.clone());
        json!({
            "AccessKeyId": key_id,
            "SecretAccessKey": secret_access_key(),
            "SessionToken": format!("FwoGZXIvYXdzE{}", random_token(300)),
            "Expiration": expiration,
        })
    }
}

/// `RoleSessionName`-style values: `[\w+=,.@-]*`, 2 to 64 characters.
pub(crate) fn session_name<'a>(
    input: Input<'a>,
    member: &str,
    max: usize,
) -> Result<&'a str, AwsError> {
    let name = input.req(member)?;
    if !name.chars().all(is_name_char) {
        return Err(constraint_error(
            Some(name),
            member,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let len = name.chars().count();
    if len < 2 {
        return Err(constraint_error(
            Some(name),
            member,
            "Member must have length greater than or equal to 2",
        ));
    }
    if len > max {
        return Err(constraint_error(
            Some(name),
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(name)
}

/// STS's ARN check: six colon-separated parts with partition, service and resource present.
pub(crate) fn check_arn(arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty();
    if valid {
        Ok(())
    } else {
        Err(AwsError::validation(format!("{arn} is invalid")))
    }
}

/// Requested duration within `[900, max]`, defaulting to `default`.
pub(crate) fn duration(
    input: Input,
    default: i64,
    max: i64,
    over_max: &str,
) -> Result<i64, AwsError> {
    match input.int("DurationSeconds") {
        None => Ok(default),
        Some(d) if d < 900 => Err(constraint_error(
            Some(&d.to_string()),
            "DurationSeconds",
            "Member must have value greater than or equal to 900",
        )),
        Some(d) if d > max => Err(AwsError::validation(
            over_max.replace("{d}", &d.to_string()),
        )),
        Some(d) => Ok(d),
    }
}

/// Session policy size as the percentage of the packed limit AWS reports (PackedPolicySize).
/// AWS packs (compresses) the policy and tags in an undocumented way; the share of the
/// plaintext limit used is the closest documented measure.
pub(crate) fn packed_policy_size(input: Input) -> Result<Option<i64>, AwsError> {
    let policy = input.str("Policy");
    let arns: usize = match input.get("PolicyArns") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|p| {
                p.get("arn")
                    .or_else(|| p.get("Arn"))
                    .and_then(Value::as_str)
            })
            .map(str::len)
            .sum(),
        _ => 0,
    };
    let tags = input
        .get("Tags")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if policy.is_none() && arns == 0 && tags == 0 {
        return Ok(None);
    }
    let plain = policy.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count()) + arns;
    if let Some(policy) = policy {
        if serde_json::from_str::<Value>(policy).map_or(true, |v| !v.is_object()) {
            return Err(AwsError::new(
                "MalformedPolicyDocument",
                "The policy is not in the valid JSON format.",
                400,
            ));
        }
    }
    if plain > SESSION_POLICY_MAX {
        return Err(AwsError::new(
            "PackedPolicyTooLarge",
            "Packed size of session policies and session tags consumes 100% of allotted space, please use smaller policies and tags.",
            400,
        ));
    }
    Ok(Some(
        ((plain * 100).div_ceil(SESSION_POLICY_MAX) as i64) + tags as i64,
    ))
}

/// Session tags and transitive keys: case-insensitively unique, transitive keys among them.
fn check_session_tags(input: Input) -> Result<(), AwsError> {
    let tags: Vec<&str> = match input.get("Tags") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|t| t.get("Key").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    };
    for (i, key) in tags.iter().enumerate() {
        if tags[..i].iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(invalid_parameter(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    if tags.len() > MAX_SESSION_TAGS {
        return Err(constraint_error(
            None,
            "Tags",
            "Member must have length less than or equal to 50",
        ));
    }
    for key in input.strings("TransitiveTagKeys") {
        if !tags.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
            return Err(invalid_parameter(
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    Ok(())
}

/// The assumed-role session principal: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub(crate) fn assumed_role_user(role: &RoleInfo, session: &str) -> (String, String, Value) {
    let account = role.arn.split(':').nth(4).unwrap_or_default();
    let arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{session}",
        role.name
    );
    let id = format!("{}:{session}", role.id);
    let json = json!({"AssumedRoleId": id, "Arn": arn});
    (arn, id, json)
}

pub(crate) fn role_account(role: &RoleInfo) -> &str {
    role.arn.split(':').nth(4).unwrap_or_default()
}

impl Sts {
    fn get_caller_identity(&self, ctx: &RequestContext) -> HandlerResult {
        Ok(json!({
            "UserId": ctx.caller.user_id,
            "Account": ctx.caller.account_id,
            "Arn": ctx.caller.arn,
        }))
    }

    fn assume_role(&self, ctx: &RequestContext, input: Input) -> HandlerResult {
        let session = session_name(input, "RoleSessionName", 64)?;
        let role_arn = input.req("RoleArn")?;
        check_arn(role_arn)?;
        check_session_tags(input)?;
        let packed = packed_policy_size(input)?;
        let denied = || {
            access_denied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                ctx.caller.arn
            ))
        };
        let role = self
            .iam()
            .and_then(|iam| iam.role_by_arn(role_arn))
            .ok_or_else(denied)?;
        if !trust::allows(&role.trust_policy, &ctx.caller, "sts:AssumeRole") {
            return Err(denied());
        }
        // Role chaining (a role session assuming a role) is limited to one hour.
        let chained = ctx.caller.arn.contains(":assumed-role/");
        let (max, over_max) = if chained {
            (3600, "The requested DurationSeconds exceeds the 1 hour session limit for roles assuming other roles.")
        } else {
            (
                role.max_session_duration,
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        };
        let seconds = duration(input, 3600, max, over_max)?;
        let (arn, user_id, user_json) = assumed_role_user(&role, session);
        let issued = self.issue(role_account(&role), &arn, &user_id, seconds);
        let mut out = Map::new();
        out.insert("Credentials".into(), issued);
        out.insert("AssumedRoleUser".into(), user_json);
        if let Some(packed) = packed {
            out.insert("PackedPolicySize".into(), json!(packed));
        }
        if let Some(source) = input.str("SourceIdentity") {
            out.insert("SourceIdentity".into(), json!(source));
        }
        Ok(Value::Object(out))
    }

    fn get_session_token(&self, ctx: &RequestContext, input: Input) -> HandlerResult {
        if ctx.caller.access_key_id.starts_with("ASIA") && ctx.caller.arn.contains(":assumed-role/")
        {
            return Err(access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let max = if ctx.caller.arn.ends_with(":root") {
            3600
        } else {
            129600
        };
        let seconds = duration(
            input,
            43200.min(max),
            max,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles.",
        )?;
        let caller = &ctx.caller;
        let issued = self.issue(&caller.account_id, &caller.arn, &caller.user_id, seconds);
        Ok(json!({"Credentials": issued}))
    }

    fn get_federation_token(&self, ctx: &RequestContext, input: Input) -> HandlerResult {
        let name = session_name(input, "Name", 32)?;
        check_session_tags(input)?;
        let seconds = duration(
            input,
            43200,
            129600,
            "The requested DurationSeconds exceeds the allowed maximum.",
        )?;
        let packed = packed_policy_size(input)?.unwrap_or(0);
        let account = &ctx.caller.account_id;
        let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
        let user_id = format!("{account}:{name}");
        let issued = self.issue(account, &arn, &user_id, seconds);
        Ok(json!({
            "Credentials": issued,
            "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
            "PackedPolicySize": packed,
        }))
    }

    fn get_access_key_info(&self, ctx: &RequestContext, input: Input) -> HandlerResult {
        let key_id = input.req("AccessKeyId")?;
        let account = self
            .shared
            .credentials
            .read()
            .get(key_id)
            .map(|c| c.account_id.clone())
            .unwrap_or_else(|| ctx.caller.account_id.clone());
        Ok(json!({"Account": account}))
    }

    fn dispatch(&self, ctx: &RequestContext, input: Input) -> HandlerResult {
        match ctx.operation.as_str() {
            "GetCallerIdentity" => self.get_caller_identity(ctx),
            "AssumeRole" => self.assume_role(ctx, input),
            "GetSessionToken" => self.get_session_token(ctx, input),
            "GetFederationToken" => self.get_federation_token(ctx, input),
            "AssumeRoleWithWebIdentity" => federation::web_identity(self, input),
            "AssumeRoleWithSAML" => federation::saml(self, input),
            "GetAccessKeyInfo" => self.get_access_key_info(ctx, input),
            other => Err(AwsError::not_implemented("sts", other)),
        }
    }

    pub(crate) fn role(&self, arn: &str, operation: &str) -> Result<RoleInfo, AwsError> {
        check_arn(arn)?;
        self.iam()
            .and_then(|iam| iam.role_by_arn(arn))
            .ok_or_else(|| access_denied(format!("Not authorized to perform sts:{operation}")))
    }
}

impl Service for Sts {
    fn name(&self) -> &'static str {
        "sts"
    }

    fn handle<'a>(&'a self, ctx: &'a RequestContext, input: Value) -> HandlerFuture<'a> {
        Box::pin(async move { self.dispatch(ctx, Input(&input)) })
    }

    fn implemented_operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn reset(&self) {
        let issued = std::mem::take(&mut *self.issued.lock());
        let mut credentials = self.shared.credentials.write();
        for key in issued {
            credentials.remove(&key);
        }
    }
}

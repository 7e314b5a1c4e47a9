//! Policy document validation with AWS's MalformedPolicyDocument messages.
//!
//! Identity policies (managed and inline) and trust policies (a role's AssumeRolePolicyDocument)
//! share the grammar but not the rules: trust policies name a Principal and no Resource,
//! identity policies the reverse.

use serde_json::{Map, Value};

use super::errors::{limit_exceeded, malformed_policy};
use crate::service::AwsError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A customer managed policy version: must use policy language version 2012-10-17.
    Managed,
    /// An inline policy of a user, group or role.
    Inline,
    /// A role's trust policy.
    Trust,
}

const TOP_LEVEL: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];

fn syntax_error() -> AwsError {
    malformed_policy("Syntax errors in policy.")
}

/// Validate `text` as a policy of `kind`; `quota` is the size limit (IAM counts characters
/// without whitespace) and `quota_name` the quota the LimitExceeded message names.
pub(crate) fn validate(
    text: &str,
    kind: Kind,
    quota_name: &str,
    quota: usize,
) -> Result<(), AwsError> {
    let size = text.chars().filter(|c| !c.is_whitespace()).count();
    if size > quota {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for {quota_name}: {quota}"
        )));
    }
    let document: Value = serde_json::from_str(text).map_err(|_| match kind {
        Kind::Trust => malformed_policy("This policy contains invalid Json"),
        Kind::Managed | Kind::Inline => syntax_error(),
    })?;
    let document = document.as_object().ok_or_else(syntax_error)?;
    if document.keys().any(|k| !TOP_LEVEL.contains(&k.as_str())) {
        return Err(syntax_error());
    }
    let version = match document.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => Some(v.as_str()),
        Some(_) => return Err(syntax_error()),
    };
    if matches!(document.get("Id"), Some(id) if !id.is_string()) {
        return Err(syntax_error());
    }
    let statements: Vec<&Map<String, Value>> = match document.get("Statement") {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(many)) if !many.is_empty() => many
            .iter()
            .map(|s| s.as_object().ok_or_else(syntax_error))
            .collect::<Result<_, _>>()?,
        _ => return Err(syntax_error()),
    };
    for statement in &statements {
        check_statement_syntax(statement)?;
    }
    if kind == Kind::Managed && version != Some("2012-10-17") {
        return Err(malformed_policy(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }
    let mut sids = Vec::new();
    for statement in &statements {
        if let Some(Value::String(sid)) = statement.get("Sid") {
            if !sid.is_empty() {
                if sids.contains(&sid) {
                    return Err(malformed_policy(
                        "Statement IDs (SID) in a single policy must be unique.",
                    ));
                }
                sids.push(sid);
            }
        }
    }
    for statement in &statements {
        check_statement_rules(statement, kind)?;
    }
    Ok(())
}

fn is_string_or_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

fn check_statement_syntax(statement: &Map<String, Value>) -> Result<(), AwsError> {
    if statement
        .keys()
        .any(|k| !STATEMENT_KEYS.contains(&k.as_str()))
    {
        return Err(syntax_error());
    }
    let both = |a: &str, b: &str| statement.contains_key(a) && statement.contains_key(b);
    if both("Action", "NotAction")
        || both("Resource", "NotResource")
        || both("Principal", "NotPrincipal")
    {
        return Err(syntax_error());
    }
    match statement.get("Effect") {
        Some(Value::String(e))
            if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {}
        _ => return Err(syntax_error()),
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if matches!(statement.get(key), Some(v) if !is_string_or_strings(v)) {
            return Err(syntax_error());
        }
    }
    if matches!(statement.get("Sid"), Some(s) if !s.is_string()) {
        return Err(syntax_error());
    }
    if let Some(condition) = statement.get("Condition") {
        let operators = condition.as_object().ok_or_else(syntax_error)?;
        for entries in operators.values() {
            let entries = entries.as_object().ok_or_else(syntax_error)?;
            if !entries
                .values()
                .all(|v| v.is_string() || v.is_array() || v.is_boolean() || v.is_number())
            {
                return Err(syntax_error());
            }
        }
    }
    Ok(())
}

/// The values of a string-or-list element.
fn values<'a>(statement: &'a Map<String, Value>, key: &str) -> Option<Vec<&'a str>> {
    match statement.get(key)? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn check_statement_rules(statement: &Map<String, Value>, kind: Kind) -> Result<(), AwsError> {
    // IAM's legacy parser is case-sensitive about the effect.
    if !matches!(
        statement.get("Effect").and_then(Value::as_str),
        Some("Allow" | "Deny")
    ) {
        return Err(malformed_policy("The policy failed legacy parsing"));
    }
    let actions = values(statement, "Action").or_else(|| values(statement, "NotAction"));
    match &actions {
        Some(list) if !list.is_empty() => {}
        _ => return Err(malformed_policy("Policy statement must contain actions.")),
    }
    let has_principal =
        statement.contains_key("Principal") || statement.contains_key("NotPrincipal");
    let resources = values(statement, "Resource").or_else(|| values(statement, "NotResource"));
    match kind {
        Kind::Trust => {
            if resources.is_some() {
                return Err(malformed_policy("Has prohibited field Resource"));
            }
            if !has_principal {
                return Err(malformed_policy("Missing required field Principal"));
            }
        }
        Kind::Managed | Kind::Inline => {
            if has_principal {
                return Err(malformed_policy(
                    "Policy document should not specify a principal.",
                ));
            }
            match &resources {
                Some(list) if !list.is_empty() => {}
                _ => return Err(malformed_policy("Policy statement must contain resources.")),
            }
            for resource in resources.into_iter().flatten() {
                if resource != "*" && !resource.contains(':') {
                    return Err(malformed_policy(format!(
                        "Resource {resource} must be in ARN format or \"*\"."
                    )));
                }
            }
        }
    }
    for action in actions.into_iter().flatten() {
        if kind == Kind::Trust && !TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action)) {
            return Err(malformed_policy(
                "AssumeRole policy may only specify STS AssumeRole actions.",
            ));
        }
        check_action(action)?;
    }
    Ok(())
}

/// The actions a trust policy may name.
const TRUST_ACTIONS: &[&str] = &[
    "*",
    "sts:*",
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

fn check_action(action: &str) -> Result<(), AwsError> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => Err(malformed_policy(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        )),
        (Some(_), Some(_)) => Err(malformed_policy(
            "Actions/Condition can contain only one colon.",
        )),
        (Some(_), None) => {
            if vendor.is_empty()
                || !vendor
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '*')
            {
                Err(malformed_policy(format!("Vendor {vendor} is not valid")))
            } else {
                Ok(())
            }
        }
    }
}

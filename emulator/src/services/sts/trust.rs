//! Does a role's trust policy let this caller call sts:AssumeRole? Allow statements naming the
//! caller (or its account) grant it, Deny statements naming it refuse it. Conditions are not
//! evaluated (a statement with conditions applies as if they held).

use serde_json::Value;

use crate::service::Caller;

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) => action.starts_with(prefix),
        None => pattern == action,
    }
}

/// Does one `AWS` principal entry name this caller?
fn names_caller(entry: &str, caller: &Caller) -> bool {
    if entry == "*" {
        return true;
    }
    let account = &caller.account_id;
    if entry == account || entry == format!("arn:aws:iam::{account}:root") {
        return true;
    }
    if entry == caller.arn {
        return true;
    }
    // A role ARN names every session of that role.
    if let Some(rest) = caller
        .arn
        .strip_prefix(&format!("arn:aws:sts::{account}:assumed-role/"))
    {
        let role_name = rest.split('/').next().unwrap_or_default();
        if let Some(role_resource) = entry.strip_prefix(&format!("arn:aws:iam::{account}:role/")) {
            return role_resource.rsplit('/').next() == Some(role_name);
        }
    }
    false
}

fn statement_names_caller(statement: &Value, caller: &Caller) -> bool {
    match statement.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(principals)) => strings(principals.get("AWS"))
            .iter()
            .any(|entry| names_caller(entry, caller)),
        _ => false,
    }
}

/// Whether `caller` may perform `action` (e.g. `sts:AssumeRole`) per the trust policy text.
pub(super) fn allows(trust_policy: &str, caller: &Caller, action: &str) -> bool {
    let Ok(document) = serde_json::from_str::<Value>(trust_policy) else {
        return false;
    };
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return false,
    };
    let applies = |s: &&Value| {
        strings(s.get("Action"))
            .iter()
            .any(|a| action_matches(a, action))
            && statement_names_caller(s, caller)
    };
    let effect = |s: &&Value| s.get("Effect").and_then(Value::as_str).map(str::to_string);
    let matching: Vec<&Value> = statements.into_iter().filter(applies).collect();
    !matching
        .iter()
        .any(|s| effect(s).as_deref() == Some("Deny"))
        && matching
            .iter()
            .any(|s| effect(s).as_deref() == Some("Allow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(arn: &str) -> Caller {
        Caller {
            access_key_id: "AKIA".into(),
            account_id: "111111111111".into(),
            arn: arn.into(),
            user_id: "x".into(),
        }
    }

    #[test]
    fn account_user_and_role_principals() {
        let account = r#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "111111111111"}}]}"#;
        assert!(allows(
            account,
            &caller("arn:aws:iam::111111111111:user/u"),
            "sts:AssumeRole"
        ));
        assert!(!allows(
            account,
            &caller("arn:aws:iam::111111111111:user/u"),
            "sts:AssumeRoleWithSAML"
        ));
        let service = r#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}"#;
        assert!(!allows(
            service,
            &caller("arn:aws:iam::111111111111:root"),
            "sts:AssumeRole"
        ));
        let role = r#"{"Statement": [{"Effect": "Allow", "Action": ["sts:*"], "Principal": {"AWS": ["arn:aws:iam::111111111111:role/ops/deployer"]}}]}"#;
        assert!(allows(
            role,
            &caller("arn:aws:sts::111111111111:assumed-role/deployer/s1"),
            "sts:AssumeRole"
        ));
        assert!(!allows(
            role,
            &caller("arn:aws:sts::111111111111:assumed-role/other/s1"),
            "sts:AssumeRole"
        ));
        let denied = r#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}, {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::111111111111:user/u"}}]}"#;
        assert!(!allows(
            denied,
            &caller("arn:aws:iam::111111111111:user/u"),
            "sts:AssumeRole"
        ));
        assert!(allows(
            denied,
            &caller("arn:aws:iam::111111111111:user/v"),
            "sts:AssumeRole"
        ));
    }
}

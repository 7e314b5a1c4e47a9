//! Resource-based policies of functions, versions and aliases (AddPermission and friends), and
//! the statement shapes shared with layer version policies.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::input::Input;
use super::names::Violations;
use super::state::{new_revision, Function, Policy};
use super::{errors, function_ref, lookup, qualified_arn, unqualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

static STATEMENT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9-_]+$").expect("valid regex"));
static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{12}$").expect("valid regex"));

pub fn check_statement_id(sid: &str) -> Result<(), AwsError> {
    if STATEMENT_ID.is_match(sid) && sid.len() <= 100 {
        return Ok(());
    }
    let mut v = Violations::default();
    v.push(
        sid,
        "statementId",
        "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
    );
    v.into_result()
}

/// The `Principal` element AWS writes for a given principal string.
pub fn principal(p: &str) -> Result<Value, AwsError> {
    if p == "*" {
        Ok(json!("*"))
    } else if ACCOUNT.is_match(p) {
        Ok(json!({"AWS": format!("arn:aws:iam::{p}:root")}))
    } else if p.starts_with("arn:") {
        Ok(json!({"AWS": p}))
    } else if p.ends_with(".amazonaws.com") || p.ends_with(".amazon.com") {
        Ok(json!({"Service": p}))
    } else {
        Err(errors::invalid_parameter(
            "The provided principal was invalid. Please check the principal and try again.",
        ))
    }
}

pub fn document(statements: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Id": "default", "Statement": statements}).to_string()
}

/// Which revision a qualifier's policy is guarded by, and a way to bump it.
fn revision_of<'a>(f: &'a mut Function, qualifier: &str) -> Option<&'a mut String> {
    if qualifier == "$LATEST" {
        return Some(&mut f.latest.revision_id);
    }
    if let Ok(n) = qualifier.parse::<u64>() {
        return f.versions.get_mut(&n).map(|v| &mut v.revision_id);
    }
    f.aliases.get_mut(qualifier).map(|a| &mut a.revision_id)
}

/// The revision a RevisionId precondition is checked against: the policy's own once it exists
/// (GetPolicy answers it), else the function's or alias's.
fn policy_revision(f: &mut Function, qualifier: &str) -> Option<String> {
    match f.policies.get(qualifier) {
        Some(p) => Some(p.revision_id.clone()),
        None => revision_of(f, qualifier).cloned(),
    }
}

/// A policy change is a change of the function (or alias): both get the new RevisionId.
fn bump_revision(f: &mut Function, qualifier: &str) {
    let rev = new_revision();
    if let Some(cur) = revision_of(f, qualifier) {
        *cur = rev.clone();
    }
    if let Some(p) = f.policies.get_mut(qualifier) {
        p.revision_id = rev;
    }
}

/// Check that the qualifier exists, answering with AWS's per-kind 404s.
fn check_qualifier(ctx: &RequestContext, f: &Function, qualifier: &str) -> Result<(), AwsError> {
    if f.has_qualifier(qualifier) || qualifier == "$LATEST" {
        return Ok(());
    }
    if qualifier.parse::<u64>().is_ok() || qualifier.contains('$') {
        Err(errors::function_not_found(&qualified_arn(
            ctx, &f.name, qualifier,
        )))
    } else {
        Err(errors::not_found(format!(
            "Cannot find alias arn: {}",
            qualified_arn(ctx, &f.name, qualifier)
        )))
    }
}

pub fn add(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let sid = input.req_str("StatementId")?;
    check_statement_id(sid)?;
    let fref = function_ref(ctx, input)?;
    if fref.qualifier.as_deref() == Some("$LATEST") {
        return Err(errors::invalid_parameter(
            "We currently do not support adding policies for $LATEST.",
        ));
    }
    let principal = principal(input.req_str("Principal")?)?;
    let action = input.req_str("Action")?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let qualifier = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        check_qualifier(ctx, f, &qualifier)?;
        let resource = match &fref.qualifier {
            Some(q) => qualified_arn(ctx, &f.name, q),
            None => unqualified_arn(ctx, &f.name),
        };
        if let Some(r) = input.str("RevisionId") {
            if policy_revision(f, &qualifier).is_some_and(|cur| cur != r) {
                return Err(errors::precondition("GetPolicy"));
            }
        }
        let policy = f.policies.entry(qualifier.clone()).or_default();
        if policy.statements.iter().any(|s| s["Sid"] == sid) {
            return Err(errors::conflict(format!(
                "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
            )));
        }
        let mut string_equals = Map::new();
        if let Some(a) = input.str("SourceAccount") {
            string_equals.insert("AWS:SourceAccount".into(), a.into());
        }
        if let Some(t) = input.str("EventSourceToken") {
            string_equals.insert("lambda:EventSourceToken".into(), t.into());
        }
        if let Some(t) = input.str("FunctionUrlAuthType") {
            string_equals.insert("lambda:FunctionUrlAuthType".into(), t.into());
        }
        if let Some(o) = input.str("PrincipalOrgID") {
            string_equals.insert("aws:PrincipalOrgID".into(), o.into());
        }
        let mut condition = Map::new();
        if !string_equals.is_empty() {
            condition.insert("StringEquals".into(), Value::Object(string_equals));
        }
        if let Some(arn) = input.str("SourceArn") {
            condition.insert("ArnLike".into(), json!({"AWS:SourceArn": arn}));
        }
        let mut statement = Map::new();
        statement.insert("Sid".into(), sid.into());
        statement.insert("Effect".into(), "Allow".into());
        statement.insert("Principal".into(), principal);
        statement.insert("Action".into(), action.into());
        statement.insert("Resource".into(), resource.into());
        if !condition.is_empty() {
            statement.insert("Condition".into(), Value::Object(condition));
        }
        let statement = Value::Object(statement);
        policy.statements.push(statement.clone());
        bump_revision(f, &qualifier);
        Ok(json!({"Statement": statement.to_string()}))
    })
}

pub fn remove(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let sid = input.req_str("StatementId")?;
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(errors::not_found(format!(
                "No policy found for: {}",
                unqualified_arn(ctx, &fref.name)
            )));
        };
        let qualifier = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        check_qualifier(ctx, f, &qualifier)?;
        if let Some(r) = input.str("RevisionId") {
            if policy_revision(f, &qualifier).is_some_and(|cur| cur != r) {
                return Err(errors::precondition("GetPolicy"));
            }
        }
        let Some(policy) = f.policies.get_mut(&qualifier) else {
            return Err(errors::not_found(
                "No policy is associated with the given resource.",
            ));
        };
        let before = policy.statements.len();
        policy.statements.retain(|s| s["Sid"] != sid);
        if policy.statements.len() == before {
            return Err(errors::not_found(format!(
                "Statement {sid} is not found in resource policy."
            )));
        }
        if policy.statements.is_empty() {
            f.policies.remove(&qualifier);
        }
        bump_revision(f, &qualifier);
        Ok(json!({}))
    })
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(errors::resource_missing());
        };
        let qualifier = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        let Some(Policy {
            statements,
            revision_id,
        }) = f.policies.get(&qualifier)
        else {
            return Err(errors::resource_missing());
        };
        Ok(json!({"Policy": document(statements), "RevisionId": revision_id}))
    })
}

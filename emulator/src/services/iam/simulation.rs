//! The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy): identity policies
//! evaluated per action and resource. An explicit Deny wins, then an Allow; otherwise the
//! request is implicitly denied. Condition blocks are not evaluated (statements with conditions
//! match as if the conditions held), so MissingContextValues stays empty.

use serde_json::{json, Value};

use super::aws_managed::is_aws_managed;
use super::errors::{invalid_input, no_such_entity};
use super::pagination::page;
use super::policies::find;
use super::state::{key, Account, Permissions};
use super::Call;
use crate::service::{AwsError, HandlerResult};

/// One policy taking part in a simulation.
struct Source {
    id: String,
    kind: &'static str,
    text: String,
}

/// A statement's place in its document: 1-based line and column of its opening brace, and of
/// the position just past its closing brace.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    start: (usize, usize),
    end: (usize, usize),
}

/// Spans of the statement objects in a policy document, in document order (the value of
/// `Statement` is one object or an array of them).
fn statement_spans(text: &str) -> Vec<Span> {
    let Some(at) = text.find("\"Statement\"") else {
        return Vec::new();
    };
    // Line and column of every character, 1-based.
    let mut positions = Vec::with_capacity(text.len());
    let (mut line, mut col) = (1usize, 1usize);
    for c in text.chars() {
        positions.push((c, line, col));
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    let skip = text[..at].chars().count() + "\"Statement\"".len();
    let mut chars = positions
        .into_iter()
        .skip(skip)
        .skip_while(|(c, _, _)| c.is_whitespace() || *c == ':');
    let (is_array, mut depth) = match chars.next() {
        Some(('[', _, _)) => (true, 0usize),
        Some(('{', l, c)) => return close_object(chars, (l, c)).into_iter().collect(),
        _ => return Vec::new(),
    };
    let mut spans = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut start = (0, 0);
    for (c, l, col) in chars {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                if depth == 0 && c == '{' {
                    start = (l, col);
                }
                depth += 1;
            }
            '}' | ']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                if depth == 0 && c == '}' {
                    spans.push(Span {
                        start,
                        end: (l, col + 1),
                    });
                }
            }
            _ => {}
        }
    }
    debug_assert!(is_array);
    spans
}

/// The span of the object opened at `start`, given the characters after its brace.
fn close_object(
    chars: impl Iterator<Item = (char, usize, usize)>,
    start: (usize, usize),
) -> Option<Span> {
    let mut depth = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for (c, l, col) in chars {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(Span {
                        start,
                        end: (l, col + 1),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// IAM wildcard matching: `*` any run, `?` one character.
fn wildcard(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            value.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(value: Option<&Value>) -> Option<Vec<&str>> {
    match value? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn statement_applies(statement: &Value, action: &str, resource: &str) -> bool {
    let action_ok = match (
        strings(statement.get("Action")),
        strings(statement.get("NotAction")),
    ) {
        (Some(actions), _) => actions.iter().any(|a| wildcard(a, action, true)),
        (None, Some(not)) => !not.iter().any(|a| wildcard(a, action, true)),
        _ => false,
    };
    let resource_ok = match (
        strings(statement.get("Resource")),
        strings(statement.get("NotResource")),
    ) {
        (Some(resources), _) => resources.iter().any(|r| wildcard(r, resource, false)),
        (None, Some(not)) => !not.iter().any(|r| wildcard(r, resource, false)),
        _ => false,
    };
    action_ok && resource_ok
}

/// Decision and matched statements for one action on one resource.
fn evaluate(sources: &[Source], action: &str, resource: &str) -> (&'static str, Vec<Value>) {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for source in sources {
        let Ok(document) = serde_json::from_str::<Value>(&source.text) else {
            continue;
        };
        let statements: Vec<&Value> = match document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        let spans = statement_spans(&source.text);
        for (i, statement) in statements.iter().enumerate() {
            if !statement_applies(statement, action, resource) {
                continue;
            }
            let mut matched = json!({"SourcePolicyId": source.id, "SourcePolicyType": source.kind});
            if let Some(span) = spans.get(i) {
                // AWS reports the column just past the opening brace (as it does past the closing
                // one): the recorded simulate_principle_policy entries show 41 for a `{` at 40.
                matched["StartPosition"] =
                    json!({"Line": span.start.0, "Column": span.start.1 + 1});
                matched["EndPosition"] = json!({"Line": span.end.0, "Column": span.end.1});
            }
            match statement.get("Effect").and_then(Value::as_str) {
                Some("Deny") => denies.push(matched),
                Some("Allow") => allows.push(matched),
                _ => {}
            }
        }
    }
    if !denies.is_empty() {
        ("explicitDeny", denies)
    } else if !allows.is_empty() {
        ("allowed", allows)
    } else {
        ("implicitDeny", Vec::new())
    }
}

fn input_sources(call: &Call) -> Vec<Source> {
    call.input
        .strings("PolicyInputList")
        .into_iter()
        .enumerate()
        .map(|(i, text)| Source {
            id: format!("PolicyInputList.{}", i + 1),
            kind: "IAM Policy",
            text,
        })
        .collect()
}

fn principal_sources(
    account: &Account,
    permissions: &Permissions,
    kind: &'static str,
    out: &mut Vec<Source>,
) {
    for (name, document) in permissions.inline.values() {
        out.push(Source {
            id: name.clone(),
            kind,
            text: document.text.clone(),
        });
    }
    for arn in &permissions.attached {
        if let Some(policy) = find(account, arn) {
            if let Some(version) = policy.version(&policy.default_version) {
                out.push(Source {
                    id: policy.name.clone(),
                    // The model's enum says `user-managed`, but AWS answers "IAM Policy" for a
                    // customer managed policy attached to the principal (the recordings).
                    kind: if is_aws_managed(arn) {
                        "aws-managed"
                    } else {
                        "IAM Policy"
                    },
                    text: version.document.text.clone(),
                });
            }
        }
    }
}

/// The identity policies of the user, group or role an ARN names.
fn sources_of(account: &Account, arn: &str) -> Result<Vec<Source>, AwsError> {
    let missing = || no_such_entity(format!("Entity {arn} does not exist."));
    let resource = arn.splitn(6, ':').nth(5).ok_or_else(missing)?;
    let (kind, rest) = resource.split_once('/').ok_or_else(missing)?;
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let mut out = Vec::new();
    match kind {
        "user" => {
            let user = account.users.get(&key(name)).ok_or_else(missing)?;
            principal_sources(account, &user.permissions, "user", &mut out);
            for group in user.groups.iter().filter_map(|g| account.groups.get(g)) {
                principal_sources(account, &group.permissions, "group", &mut out);
            }
        }
        "group" => {
            let group = account.groups.get(&key(name)).ok_or_else(missing)?;
            principal_sources(account, &group.permissions, "group", &mut out);
        }
        "role" => {
            let role = account.roles.get(&key(name)).ok_or_else(missing)?;
            principal_sources(account, &role.permissions, "role", &mut out);
        }
        _ => {
            return Err(invalid_input(format!(
                "Invalid Entity Arn: {arn} does not clearly define entity type and name."
            )))
        }
    }
    Ok(out)
}

fn simulate(call: &Call, sources: Vec<Source>) -> HandlerResult {
    let actions = call.input.strings("ActionNames");
    if actions.is_empty() {
        return Err(super::input::constraint_error(
            None,
            "ActionNames",
            "Member must not be null",
        ));
    }
    let mut resources = call.input.strings("ResourceArns");
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    let results: Vec<Value> = actions
        .iter()
        .map(|action| {
            let per_resource: Vec<(&String, &'static str, Vec<Value>)> = resources
                .iter()
                .map(|r| {
                    let (decision, matched) = evaluate(&sources, action, r);
                    (r, decision, matched)
                })
                .collect();
            // The overall decision: any explicit deny, else allowed only if every resource is.
            let overall = if per_resource.iter().any(|(_, d, _)| *d == "explicitDeny") {
                "explicitDeny"
            } else if per_resource.iter().all(|(_, d, _)| *d == "allowed") {
                "allowed"
            } else {
                "implicitDeny"
            };
            let all_matched: Vec<Value> = per_resource.iter().flat_map(|(_, _, m)| m.clone()).collect();
            let specific: Vec<Value> = per_resource
                .iter()
                .map(|(r, d, m)| {
                    json!({"EvalResourceName": r, "EvalResourceDecision": d, "MatchedStatements": m, "MissingContextValues": []})
                })
                .collect();
            let mut result = json!({
                "EvalActionName": action,
                "EvalDecision": overall,
                "EvalDecisionDetails": {},
                "MatchedStatements": all_matched,
                "MissingContextValues": [],
                "OrganizationsDecisionDetail": {"AllowedByOrganizations": true},
                "ResourceSpecificResults": specific,
            });
            if resources.len() == 1 {
                result["EvalResourceName"] = json!(resources[0]);
            }
            result
        })
        .collect();
    Ok(Value::Object(page(
        results,
        call.input,
        "EvaluationResults",
    )?))
}

pub(crate) fn principal(call: &Call) -> HandlerResult {
    let arn = call.input.req("PolicySourceArn")?;
    let account = call.account();
    let mut sources = {
        let account = account.read();
        sources_of(&account, arn)?
    };
    sources.extend(input_sources(call));
    simulate(call, sources)
}

pub(crate) fn custom(call: &Call) -> HandlerResult {
    let sources = input_sources(call);
    if sources.is_empty() {
        return Err(super::input::constraint_error(
            None,
            "PolicyInputList",
            "Member must not be null",
        ));
    }
    simulate(call, sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_statement_braces() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#;
        let spans = statement_spans(text);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].start, (1, 41));
        assert_eq!(&text[40..41], "{");
        assert_eq!(spans[0].end, (1, 103));
    }

    #[test]
    fn spans_of_a_single_statement_object_and_multiline_documents() {
        let text = "{\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"a:b\", \"Resource\": \"}\"}\n}";
        let spans = statement_spans(text);
        assert_eq!(
            spans,
            vec![Span {
                start: (2, 16),
                end: (2, 69)
            }]
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("s3:Get*", "S3:GetObject", true));
        assert!(wildcard(
            "arn:aws:s3:::b?cket/*",
            "arn:aws:s3:::bucket/key",
            false
        ));
        assert!(!wildcard(
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::bucket2",
            false
        ));
        assert!(wildcard("*", "", false));
    }
}

/// The condition keys the policies use, each once (first spelling kept), in document order.
fn context_keys(sources: &[Source]) -> Value {
    let mut keys: Vec<String> = Vec::new();
    for source in sources {
        let Ok(document) = serde_json::from_str::<Value>(&source.text) else {
            continue;
        };
        let statements: Vec<&Value> = match document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        for condition in statements
            .iter()
            .filter_map(|s| s.get("Condition")?.as_object())
        {
            for entries in condition.values().filter_map(Value::as_object) {
                for key in entries.keys() {
                    if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                        keys.push(key.clone());
                    }
                }
            }
        }
    }
    json!({"ContextKeyNames": keys})
}

pub(crate) fn context_keys_for_custom(call: &Call) -> HandlerResult {
    let sources = input_sources(call);
    if sources.is_empty() {
        return Err(super::input::constraint_error(
            None,
            "PolicyInputList",
            "Member must not be null",
        ));
    }
    Ok(context_keys(&sources))
}

pub(crate) fn context_keys_for_principal(call: &Call) -> HandlerResult {
    let arn = call.input.req("PolicySourceArn")?;
    let account = call.account();
    let mut sources = {
        let account = account.read();
        sources_of(&account, arn)?
    };
    sources.extend(input_sources(call));
    Ok(context_keys(&sources))
}

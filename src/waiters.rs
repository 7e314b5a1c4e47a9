//! The SDK waiters of the pinned service models (`models/*/waiters-2.json`), by their SDK names
//! (`function_active_v2`): the operation to poll, its delay, attempts and acceptors.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiter {
    pub operation: String,
    pub delay: u64,
    pub max_attempts: u64,
    pub acceptors: Vec<Acceptor>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Acceptor {
    pub state: AcceptorState,
    pub matcher: String,
    #[serde(default)]
    pub argument: Option<String>,
    pub expected: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcceptorState {
    Success,
    Failure,
    Retry,
}

#[derive(Deserialize)]
struct WaiterFile {
    waiters: indexmap::IndexMap<String, Waiter>,
}

/// (service, sdk name, model name, waiter)
type Entry = (&'static str, String, String, Waiter);

const FILES: &[(&str, &str)] = &[
    ("iam", include_str!("../models/iam/waiters-2.json")),
    ("lambda", include_str!("../models/lambda/waiters-2.json")),
    (
        "cloudformation",
        include_str!("../models/cloudformation/waiters-2.json"),
    ),
];

fn all() -> &'static [Entry] {
    static ALL: OnceLock<Vec<Entry>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        for (service, text) in FILES {
            let file: WaiterFile =
                serde_json::from_str(text).expect("pinned waiter models are valid JSON");
            for (name, w) in file.waiters {
                out.push((*service, snake(&name), name, w));
            }
        }
        out
    })
}

/// The SDK's snake_case of a waiter name: `FunctionActiveV2` → `function_active_v2`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() || (c.is_ascii_digit() && i > 0 && !chars[i - 1].is_ascii_digit())
        {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || next_lower) && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Looks up `service.sdk_name`.
pub fn find(service: &str, name: &str) -> Option<&'static Waiter> {
    all()
        .iter()
        .find(|(s, n, _, _)| *s == service && n == name)
        .map(|(_, _, _, w)| w)
}

/// Every waiter as `service.sdk_name`.
pub fn names() -> Vec<String> {
    all()
        .iter()
        .map(|(s, n, _, _)| format!("{s}.{n}"))
        .collect()
}

/// Evaluates the JMESPath subset the pinned waiters use (`A.B`, `List[].Field`): the projected
/// values, and whether the expression projected a list.
pub fn select(argument: &str, body: &Value) -> Option<(Vec<Value>, bool)> {
    let mut current = vec![body.clone()];
    let mut projected = false;
    for part in argument.split('.') {
        let (field, flatten) = match part.strip_suffix("[]") {
            Some(f) => (f, true),
            None => (part, false),
        };
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let mut next = Vec::new();
        for v in current {
            match v.get(field) {
                Some(Value::Array(items)) if flatten => next.extend(items.iter().cloned()),
                Some(x) if !flatten => next.push(x.clone()),
                _ => {}
            }
        }
        projected |= flatten;
        current = next;
    }
    Some((current, projected))
}

/// The outcome of one poll against a waiter's acceptors, in model order.
pub fn evaluate(
    w: &Waiter,
    status: u16,
    error_code: Option<&str>,
    body: &Value,
) -> Option<AcceptorState> {
    for a in &w.acceptors {
        let hit = match a.matcher.as_str() {
            "status" => a.expected.as_u64() == Some(u64::from(status)),
            "error" => match &a.expected {
                Value::Bool(b) => error_code.is_some() == *b,
                Value::String(code) => error_code == Some(code.as_str()),
                _ => false,
            },
            m if error_code.is_none() => {
                let Some((vals, projected)) =
                    a.argument.as_deref().and_then(|arg| select(arg, body))
                else {
                    continue;
                };
                match m {
                    "path" => {
                        if projected {
                            Value::Array(vals) == a.expected
                        } else {
                            vals.first() == Some(&a.expected)
                        }
                    }
                    "pathAll" => !vals.is_empty() && vals.iter().all(|v| *v == a.expected),
                    "pathAny" => vals.contains(&a.expected),
                    _ => false,
                }
            }
            _ => false,
        };
        if hit {
            return Some(a.state);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sdk_names() {
        assert_eq!(snake("FunctionActiveV2"), "function_active_v2");
        assert_eq!(snake("StackCreateComplete"), "stack_create_complete");
        assert!(find("lambda", "function_active_v2").is_some());
        assert!(find("iam", "role_exists").is_some());
    }

    #[test]
    fn every_pinned_acceptor_argument_is_in_the_supported_subset() {
        for (s, n, _, w) in all() {
            for a in &w.acceptors {
                if let Some(arg) = &a.argument {
                    assert!(select(arg, &json!({})).is_some(), "{s}.{n}: {arg}");
                }
            }
        }
    }

    #[test]
    fn acceptors() {
        let w = find("cloudformation", "stack_create_complete").unwrap();
        let done = json!({"Stacks": [{"StackStatus": "CREATE_COMPLETE"}]});
        let failed = json!({"Stacks": [{"StackStatus": "ROLLBACK_COMPLETE"}]});
        let busy = json!({"Stacks": [{"StackStatus": "CREATE_IN_PROGRESS"}]});
        assert_eq!(evaluate(w, 200, None, &done), Some(AcceptorState::Success));
        assert_eq!(
            evaluate(w, 200, None, &failed),
            Some(AcceptorState::Failure)
        );
        assert_eq!(evaluate(w, 200, None, &busy), None);
        let w = find("iam", "role_exists").unwrap();
        assert_eq!(
            evaluate(w, 404, Some("NoSuchEntity"), &json!({})),
            Some(AcceptorState::Retry)
        );
    }
}

//! Client-side validation before anything is sent, as boto3's ParamValidator does it: unknown
//! members (with a did-you-mean), types, integer range, `min` constraints, required members at
//! any depth, one member per union. Enum values are not checked (boto3 does not either).

use super::convert::{blob_bytes, child_path, kind, parse_timestamp};
use super::model::ServiceModel;
use serde_json::Value;

/// One problem: where (`Tags[0].Key`) and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub path: String,
    pub message: String,
}

/// Every problem of `input` against `shape`, in member order.
pub(crate) fn check(model: &ServiceModel, shape: Option<&str>, input: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    match shape {
        Some(shape) => walk(model, shape, input, "", &mut problems),
        None => {
            if let Value::Object(map) = input {
                for k in map.keys() {
                    problems.push(Problem {
                        path: k.clone(),
                        message: "unknown member: this operation takes no input".into(),
                    });
                }
            }
        }
    }
    problems
}

fn walk(model: &ServiceModel, shape_name: &str, v: &Value, path: &str, out: &mut Vec<Problem>) {
    let Some(shape) = model.shape(shape_name) else {
        return;
    };
    let mut fail = |message: String| {
        out.push(Problem {
            path: if path.is_empty() {
                "input".into()
            } else {
                path.to_string()
            },
            message,
        })
    };
    let min = shape.min;
    match shape.kind.as_str() {
        "structure" => {
            let Value::Object(map) = v else {
                return fail(format!("expected an object, got {}", kind(v)));
            };
            for (k, x) in map {
                let p = child_path(path, k);
                match shape.members.get(k) {
                    Some(_) if x.is_null() => out.push(Problem {
                        path: p,
                        message: "null is not a valid value (omit the member instead)".into(),
                    }),
                    Some(m) => walk(model, &m.shape, x, &p, out),
                    None => {
                        let hint = super::did_you_mean(k, shape.members.keys().map(String::as_str))
                            .map(|s| format!("; did you mean {s}?"))
                            .unwrap_or_default();
                        let valid: Vec<&str> = shape.members.keys().map(String::as_str).collect();
                        out.push(Problem {
                            path: p,
                            message: format!("unknown member{hint} (valid: {})", valid.join(", ")),
                        });
                    }
                }
            }
            for r in &shape.required {
                if map.get(r).is_none_or(Value::is_null) {
                    out.push(Problem {
                        path: child_path(path, r),
                        message: "missing required member".into(),
                    });
                }
            }
            if shape.union {
                let set = map.values().filter(|x| !x.is_null()).count();
                if set != 1 {
                    let names: Vec<&str> = shape.members.keys().map(String::as_str).collect();
                    out.push(Problem {
                        path: if path.is_empty() {
                            "input".into()
                        } else {
                            path.to_string()
                        },
                        message: format!(
                            "exactly one of {} must be set, found {set}",
                            names.join(", ")
                        ),
                    });
                }
            }
        }
        "list" => {
            let Value::Array(items) = v else {
                return fail(format!("expected a list, got {}", kind(v)));
            };
            if let Some(min) = min.filter(|m| (items.len() as i64) < *m) {
                fail(format!("invalid length {}, minimum {min}", items.len()));
            }
            if let Some(member) = &shape.member {
                for (i, x) in items.iter().enumerate() {
                    walk(model, member, x, &format!("{path}[{i}]"), out);
                }
            }
        }
        "map" => {
            let Value::Object(map) = v else {
                return fail(format!("expected an object (map), got {}", kind(v)));
            };
            if let Some(value) = &shape.value {
                for (k, x) in map {
                    walk(model, value, x, &child_path(path, k), out);
                }
            }
        }
        "string" => match v {
            Value::String(s) => {
                let len = s.chars().count() as i64;
                if let Some(min) = min.filter(|m| len < *m) {
                    fail(format!("invalid length {len}, minimum {min}"));
                }
            }
            other => fail(format!("expected a string, got {}", kind(other))),
        },
        "integer" | "long" => {
            let Some(i) = v.as_i64() else {
                return fail(match v {
                    Value::Number(n) if n.is_u64() => {
                        format!("{n} is out of range for a 64-bit integer")
                    }
                    _ => format!("expected an integer, got {}", kind(v)),
                });
            };
            if shape.kind == "integer" && i32::try_from(i).is_err() {
                return fail(format!("{i} is out of range for a 32-bit integer"));
            }
            if let Some(min) = min.filter(|m| i < *m) {
                fail(format!("invalid range {i}, minimum {min}"));
            }
        }
        "float" | "double" if !v.is_number() => fail(format!("expected a number, got {}", kind(v))),
        "boolean" if !v.is_boolean() => fail(format!("expected a boolean, got {}", kind(v))),
        "timestamp" if parse_timestamp(v).is_none() => fail(format!(
            "expected an ISO 8601 timestamp (2024-01-31T12:00:00Z) or epoch seconds, got {}",
            match v {
                Value::String(s) => format!("{s:?}"),
                other => kind(other).to_string(),
            }
        )),
        "blob" => {
            if let Err(m) = blob_bytes(v) {
                fail(m);
            }
        }
        _ => {}
    }
}

//! Comparing recorded and observed content, and the failure report (§5), in a deterministic
//! order: recorded keys first in their order, then keys only the observed side has.

use indexmap::IndexMap;
use serde_json::Value;

use crate::pyjson;

/// One difference between the recorded and the observed value of a match key.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    /// Only the observed side has it.
    Added { path: String, actual: Value },
    /// Only the recording has it.
    Removed { path: String, expected: Value },
    /// Both have it, with different values (or types: `1` vs `"1"`, `1` vs `1.0`).
    Changed {
        path: String,
        expected: Value,
        actual: Value,
    },
}

impl Difference {
    pub fn path(&self) -> &str {
        match self {
            Difference::Added { path, .. }
            | Difference::Removed { path, .. }
            | Difference::Changed { path, .. } => path,
        }
    }
}

/// The outcome of verifying a session against a recorded entry.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// One item per failing match key, in match order.
    pub failures: Vec<KeyFailure>,
}

#[derive(Debug, Clone)]
pub struct KeyFailure {
    pub key: String,
    /// Human-readable report for this key (paths, expected vs actual, diff), uncoloured;
    /// [`VerifyReport::render`] colours it.
    pub lines: Vec<String>,
    pub differences: Vec<Difference>,
    /// Unified diff of the transformed documents, for larger changes.
    pub unified_diff: Option<String>,
    /// The key was matched in this run but has no recorded value.
    pub missing_from_recording: bool,
}

/// From this many differences on, the report adds a unified diff of the whole value.
const DIFF_THRESHOLD: usize = 4;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Skip paths that would silence every difference (`$..a.b`; list indices dropped).
    pub fn suggested_skip_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for failure in &self.failures {
            for d in &failure.differences {
                let p = skip_path(d.path());
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("{code}{text}{RESET}")
            } else {
                text.to_string()
            }
        };
        let mut out = String::new();
        for failure in &self.failures {
            out.push_str(&paint(BOLD, &format!(">> match key: {}", failure.key)));
            out.push('\n');
            if failure.missing_from_recording {
                out.push_str("\tthis key has no recorded value (record it first)\n");
            }
            for d in &failure.differences {
                let line = match d {
                    Difference::Added { path, actual } => {
                        paint(GREEN, &format!("(+) {path} ( {} )", show(actual)))
                    }
                    Difference::Removed { path, expected } => {
                        paint(RED, &format!("(-) {path} ( {} )", show(expected)))
                    }
                    Difference::Changed {
                        path,
                        expected,
                        actual,
                    } => paint(
                        YELLOW,
                        &format!(
                            "(~) {path} {} → {} ... (expected → actual)",
                            show_typed(expected, actual),
                            show_typed(actual, expected)
                        ),
                    ),
                };
                out.push('\t');
                out.push_str(&line);
                out.push('\n');
            }
            if let Some(diff) = &failure.unified_diff {
                for line in diff.lines() {
                    let coloured = match line.chars().next() {
                        Some('-') if !line.starts_with("---") => paint(RED, line),
                        Some('+') if !line.starts_with("+++") => paint(GREEN, line),
                        _ => line.to_string(),
                    };
                    out.push('\t');
                    out.push_str(&coloured);
                    out.push('\n');
                }
            }
        }
        let paths = self.suggested_skip_paths();
        if !paths.is_empty() {
            out.push_str("Ignore list (please keep in mind list indices might not work and should be replaced):\n");
            let quoted: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
            out.push_str(&format!("[{}]\n", quoted.join(", ")));
        }
        out
    }
}

fn show(v: &Value) -> String {
    pyjson::dumps_compact(v)
}

/// A value, with its type when the other side has the same text but another type.
fn show_typed(v: &Value, other: &Value) -> String {
    if type_name(v) != type_name(other) || show(v) == show(other) {
        format!("{} (type: {})", show(v), type_name(v))
    } else {
        show(v)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `/a/[2]/b` → `$..a..b`; trailing indices dropped; special keys single-quoted.
fn skip_path(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    while segments.last().is_some_and(|s| is_index(s)) {
        segments.pop();
    }
    let mut out = String::from("$");
    let mut descend = true;
    for seg in segments {
        if is_index(seg) {
            descend = true;
            continue;
        }
        out.push_str(if descend { ".." } else { "." });
        descend = false;
        let name = unescape_pointer(seg);
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push_str(&name);
        } else {
            out.push_str(&format!("'{name}'"));
        }
    }
    out
}

fn is_index(seg: &str) -> bool {
    seg.starts_with('[') && seg.ends_with(']')
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Compares every observed match key with its recording.
pub(crate) fn compare(
    observed: &IndexMap<String, Value>,
    recorded: &IndexMap<String, Value>,
) -> VerifyReport {
    let mut report = VerifyReport::default();
    for (key, actual) in observed {
        report
            .failures
            .extend(compare_key(key, actual, recorded.get(key)));
    }
    report
}

/// Compares one observed match key with its recording, if any.
pub(crate) fn compare_key(
    key: &str,
    actual: &Value,
    expected: Option<&Value>,
) -> Option<KeyFailure> {
    let Some(expected) = expected else {
        return Some(KeyFailure {
            key: key.to_string(),
            lines: vec![format!("match key {key:?} has no recorded value")],
            differences: Vec::new(),
            unified_diff: None,
            missing_from_recording: true,
        });
    };
    let mut differences = Vec::new();
    diff_values("", expected, actual, &mut differences);
    if differences.is_empty() {
        return None;
    }
    let unified_diff = (differences.len() >= DIFF_THRESHOLD).then(|| {
        let exp = pyjson::dumps_pretty(expected) + "\n";
        let act = pyjson::dumps_pretty(actual) + "\n";
        similar::TextDiff::from_lines(&exp, &act)
            .unified_diff()
            .context_radius(3)
            .header("recorded", "observed")
            .to_string()
    });
    let failure = KeyFailure {
        key: key.to_string(),
        lines: Vec::new(),
        differences,
        unified_diff,
        missing_from_recording: false,
    };
    let mut single = VerifyReport {
        failures: vec![failure],
    };
    let lines = single
        .render(false)
        .lines()
        .take_while(|l| !l.starts_with("Ignore list"))
        .map(str::to_string)
        .collect();
    single.failures[0].lines = lines;
    Some(single.failures.remove(0))
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.is_f64() == y.is_f64()
                && if x.is_f64() {
                    x.as_f64() == y.as_f64()
                } else {
                    x == y
                }
        }
        _ => a == b,
    }
}

/// serde_json's `==` (dict order ignored, list order kept, `1` and `1.0` different), which is
/// what DeepDiff checks here. serde_json looks every key of one map up in the other (a hash per
/// key); a recording and the transformed response list the keys in the same order, so the maps
/// are compared entry by entry while the keys line up, and by lookup only from the first
/// difference in order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            for (i, ((kx, vx), (ky, vy))) in x.iter().zip(y.iter()).enumerate() {
                if kx != ky {
                    // Same length, unique keys: equal iff every remaining key of `x` maps to
                    // an equal value in `y` (the keys before `i` pair up already).
                    return x
                        .iter()
                        .skip(i)
                        .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)));
                }
                if !json_eq(vx, vy) {
                    return false;
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_eq(v, w))
        }
        _ => a == b,
    }
}

fn diff_values(path: &str, expected: &Value, actual: &Value, out: &mut Vec<Difference>) {
    // Allocates nothing, so equal subtrees are skipped cheaply.
    if json_eq(expected, actual) {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}/{}", escape_pointer(k));
                match a.get(k) {
                    Some(av) => diff_values(&p, ev, av, out),
                    None => out.push(Difference::Removed {
                        path: p,
                        expected: ev.clone(),
                    }),
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    let p = format!("{path}/{}", escape_pointer(k));
                    out.push(Difference::Added {
                        path: p,
                        actual: av.clone(),
                    });
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                let p = format!("{path}/[{i}]");
                match (e.get(i), a.get(i)) {
                    (Some(ev), Some(av)) => diff_values(&p, ev, av, out),
                    (Some(ev), None) => out.push(Difference::Removed {
                        path: p,
                        expected: ev.clone(),
                    }),
                    (None, Some(av)) => out.push(Difference::Added {
                        path: p,
                        actual: av.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        _ if same(expected, actual) => {}
        _ => out.push(Difference::Changed {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            expected: expected.clone(),
            actual: actual.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The in-order comparison says what serde_json's `==` says, key order aside.
    #[test]
    fn json_eq_equals_serde_json_equality() {
        let values = [
            json!({"a": 1, "b": [1, {"c": 2}]}),
            json!({"b": [1, {"c": 2}], "a": 1}),
            json!({"a": 1, "b": [1, {"c": 2.0}]}),
            json!({"a": 1, "b": [{"c": 2}, 1]}),
            json!({"a": 1, "c": [1, {"c": 2}]}),
            json!({"a": 1}),
            json!({"a": "1", "b": [1, {"c": 2}]}),
            json!({"x": {"a": 1, "b": 2}, "y": 3}),
            json!({"y": 3, "x": {"b": 2, "a": 1}}),
            json!({"y": 3, "x": {"b": 2, "a": 2}}),
            json!([1, 2]),
            json!(null),
        ];
        let mut equal = 0;
        for a in &values {
            for b in &values {
                assert_eq!(json_eq(a, b), a == b, "{a} vs {b}");
                equal += (a == b) as usize;
            }
        }
        assert!(equal > values.len(), "some pairs equal in another order");
    }
}

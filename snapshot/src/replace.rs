//! The text replacements of one match key's value (§3): LocalStack dumps the value to JSON
//! text, replaces in that text, and parses it back.
//!
//! That is what [`exact`] does. Dumping and parsing 10 MB is most of the cost of a run, so
//! [`token_local`] replaces inside each string leaf instead, when that provably gives the same
//! tree. It does when no replaced text nor replacement contains `"` or `\` and the only regex
//! is the built-in ISO 8601 one (no anchors, no `"`, never empty): then no match can cross a
//! `"`, so the text splits at every `"` into runs that are replaced independently, and no
//! replacement can move a string's delimiters. Runs inside strings are the leaves' escaped
//! forms; the runs between strings (punctuation, numbers, `true`...) and the keys must stay
//! unchanged, else the key takes the exact path.

use std::borrow::Cow;
use std::cell::RefCell;

use serde_json::Value;

use crate::transform::TextReplacer;
use crate::{datetime, pyjson, redact, SnapshotError};

/// The replacements of one run, with the secrets the redaction scrubs from the text afterwards.
pub(crate) struct Replacer<'a> {
    text: TextReplacer<'a>,
    /// `(key, value)` of the secrets; empty when the redaction is off.
    secrets: &'a [(String, String)],
    /// [`Replacer::is_token_local`], computed once.
    token_local: bool,
    /// Plain object keys the replacements leave unchanged: the same few keys recur in every
    /// value, and a lookup costs less than scanning each again.
    unchanged_keys: RefCell<FastSet<String>>,
}

type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

impl<'a> Replacer<'a> {
    pub(crate) fn new(text: TextReplacer<'a>, secrets: &'a [(String, String)]) -> Self {
        let mut r = Replacer {
            text,
            secrets,
            token_local: false,
            unchanged_keys: RefCell::default(),
        };
        r.token_local = r.is_token_local();
        r
    }

    /// The sequential text replacements, then the secret scrub, over `text`.
    fn apply(&self, text: &mut String) {
        self.text.apply(text);
        redact::scrub_text(text, self.secrets);
    }

    /// Whether [`Replacer::apply`] may change `text` (false means it certainly does not).
    fn may_change(&self, text: &str) -> bool {
        self.text.may_match(text) || redact::may_scrub(text, self.secrets)
    }

    /// Whether replacing per `"`-separated run is the same as replacing in the whole text.
    fn is_token_local(&self) -> bool {
        self.text.is_token_local() && redact::scrub_is_token_local(self.secrets)
    }

    /// One match key's value after the replacements, by the fastest exact route.
    pub(crate) fn replace(&self, key: &str, mut value: Value) -> Result<Value, SnapshotError> {
        if self.token_local && token_local(self, &mut value) {
            return Ok(value);
        }
        self.exact(key, value)
    }

    /// LocalStack's route: dump, replace in the text, parse.
    pub(crate) fn exact(&self, key: &str, mut value: Value) -> Result<Value, SnapshotError> {
        datetime::render_all(&mut value, &datetime::python_str);
        let mut text = pyjson::dumps_compact(&value);
        drop(value);
        self.apply(&mut text);
        serde_json::from_str(&text).map_err(|e| {
            SnapshotError::Transformer(format!(
                "match key {key:?}: the text replacements produced invalid JSON ({e})"
            ))
        })
    }
}

/// Replaces inside the string leaves of `value` (keys, numbers and punctuation must stay
/// unchanged). Returns false, with `value` untouched, when the exact route is needed. Only
/// valid when [`Replacer::is_token_local`].
fn token_local(r: &Replacer<'_>, value: &mut Value) -> bool {
    // First, read-only: everything that can send the key to the exact route.
    let mut skeleton = String::with_capacity(512);
    if !check(r, value, &mut skeleton) {
        return false;
    }
    if r.text.may_match_runs(&skeleton) || redact::may_scrub(&skeleton, r.secrets) {
        let mut replaced = skeleton.clone();
        r.apply(&mut replaced);
        if replaced != skeleton {
            return false;
        }
    }
    rewrite(r, value);
    true
}

/// True when a string's JSON escaped form is the string itself.
fn is_plain(s: &str) -> bool {
    // A table: every key and string leaf is tested, twice.
    const PLAIN: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = b' ';
        while b <= b'~' {
            table[b as usize] = b != b'"' && b != b'\\';
            b += 1;
        }
        table
    };
    s.bytes().all(|b| PLAIN[b as usize])
}

/// The escaped form of a string without its quotes.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    pyjson::write_str(&mut out, s);
    out.pop();
    out.remove(0);
    out
}

/// A leaf's escaped text after the replacements, parsed back; `None` when that is not a valid
/// JSON string (the exact route then reports the invalid JSON).
fn replaced_escaped(r: &Replacer<'_>, s: &str) -> Option<String> {
    let mut text = escaped(s);
    if !r.may_change(&text) {
        return Some(s.to_string());
    }
    r.apply(&mut text);
    text.insert(0, '"');
    text.push('"');
    serde_json::from_str(&text).ok()
}

/// Writes the text between strings (`""` stands for each string) and checks that keys stay
/// unchanged and that non-plain leaves still parse after the replacements.
fn check(r: &Replacer<'_>, value: &Value, skeleton: &mut String) -> bool {
    match value {
        Value::String(s) => {
            skeleton.push_str("\"\"");
            // Plain leaves (datetimes render plain) cannot break: replacements add no `"`/`\`.
            datetime::decode_str(s).is_some() || is_plain(s) || replaced_escaped(r, s).is_some()
        }
        Value::Array(items) => {
            skeleton.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    skeleton.push_str(", ");
                }
                if !check(r, item, skeleton) {
                    return false;
                }
            }
            skeleton.push(']');
            true
        }
        Value::Object(map) => {
            skeleton.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    skeleton.push_str(", ");
                }
                if !key_unchanged(r, k) {
                    return false;
                }
                skeleton.push_str("\"\": ");
                if !check(r, item, skeleton) {
                    return false;
                }
            }
            skeleton.push('}');
            true
        }
        scalar => {
            pyjson::write_compact(skeleton, scalar);
            true
        }
    }
}

/// Whether the replacements leave the escaped form of object key `k` unchanged.
fn key_unchanged(r: &Replacer<'_>, k: &str) -> bool {
    let plain = is_plain(k);
    if plain && r.unchanged_keys.borrow().contains(k) {
        return true;
    }
    let key_text = if plain {
        Cow::Borrowed(k)
    } else {
        Cow::Owned(escaped(k))
    };
    if r.may_change(&key_text) {
        let mut replaced = key_text.to_string();
        r.apply(&mut replaced);
        if replaced != key_text {
            return false;
        }
    }
    if plain {
        r.unchanged_keys.borrow_mut().insert(k.to_string());
    }
    true
}

/// Renders datetimes and replaces inside every string leaf (after [`check`] passed).
fn rewrite(r: &Replacer<'_>, value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(dt) = datetime::decode_str(s) {
                *s = datetime::python_str(dt);
            }
            if is_plain(s) {
                // The escaped form is the string, and stays plain: replace in place (cheap
                // when nothing matches, so no separate `may_change` scan).
                r.apply(s);
            } else if let Some(replaced) = replaced_escaped(r, s) {
                *s = replaced;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(r, v)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite(r, v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::Replacement;
    use regex::Regex;
    use serde_json::Map;

    /// xorshift: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn word(&mut self, alphabet: &[&str], max: u64) -> String {
            (0..self.next(max + 1))
                .map(|_| alphabet[self.next(alphabet.len() as u64) as usize])
                .collect()
        }
    }

    /// Few letters so that patterns collide, JSON punctuation, escapes, non-ASCII, digits and
    /// pieces of ISO dates.
    const ALPHABET: &[&str] = &[
        "a",
        "b",
        "1",
        "2",
        "\"",
        "\\",
        ":",
        ",",
        " ",
        "{",
        "]",
        "é",
        "\n",
        "u",
        "0",
        "T",
        "-",
        "2024-01-31T10:11:12Z",
        "\u{FDD0}datetime:1700000000000000000",
    ];

    fn random_value(rng: &mut Rng, depth: u32) -> Value {
        match rng.next(if depth > 3 { 4 } else { 6 }) {
            0 => Value::from(rng.next(300) as i64 - 20),
            1 => [Value::Null, Value::Bool(true), Value::from(1.5)][rng.next(3) as usize].clone(),
            2 | 3 => Value::String(rng.word(ALPHABET, 4)),
            4 => Value::Array(
                (0..rng.next(4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for _ in 0..rng.next(4) {
                    let k = rng.word(&["a", "b", "1", "é", "\""], 2);
                    map.insert(k, random_value(rng, depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// Both routes give the same tree, or both fail; and the fast route is actually taken.
    #[test]
    fn token_local_route_equals_exact_route() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        let iso = crate::transform::iso8601_regex();
        let other = Regex::new("a+").unwrap();
        let mut fast_taken = 0;
        for _ in 0..6000 {
            let mut replacements = Vec::new();
            for _ in 0..1 + rng.next(4) {
                let from = rng.word(ALPHABET, 2);
                let to = rng.word(&["<x:1>", "a", "1", "\"", "\\", "date", ""], 2);
                replacements.push(Replacement::Literal { from, to });
            }
            if rng.next(3) == 0 {
                replacements.push(Replacement::Regex {
                    regex: iso.clone(),
                    to: "date".into(),
                });
            }
            if rng.next(10) == 0 {
                replacements.push(Replacement::Regex {
                    regex: other.clone(),
                    to: "b".into(),
                });
            }
            let secrets = if rng.next(4) == 0 {
                vec![("Password".to_string(), rng.word(ALPHABET, 6))]
            } else {
                Vec::new()
            };
            let r = Replacer::new(TextReplacer::new(&replacements).unwrap(), &secrets);
            let value = random_value(&mut rng, 0);
            let exact = r.exact("k", value.clone()).ok();
            let mut fast = value.clone();
            if r.token_local && token_local(&r, &mut fast) {
                fast_taken += 1;
                assert_eq!(
                    Some(&fast),
                    exact.as_ref(),
                    "value {value}, replacements {replacements:?}, secrets {secrets:?}"
                );
            } else {
                assert_eq!(
                    fast, value,
                    "a refused fast route leaves the value untouched"
                );
            }
            assert_eq!(r.replace("k", value).ok(), exact);
            // The same replacer again, on another value (what it remembers between values).
            let second = random_value(&mut rng, 0);
            let exact = r.exact("k", second.clone()).ok();
            assert_eq!(r.replace("k", second).ok(), exact);
        }
        assert!(
            fast_taken > 1000,
            "fast route taken only {fast_taken} times"
        );
    }
}

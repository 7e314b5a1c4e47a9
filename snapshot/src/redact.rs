//! Built-in secret redaction. Snapshots are committed to git, so credentials returned by AWS
//! (IAM access keys, STS session credentials, service-specific passwords, key pairs) must never
//! reach a snapshot file, raw copy included.
//!
//! In a session the secret values seen at `match` time are registered as references named after
//! their key, after every other transformer (`SecretAccessKey` → `<secret-access-key:1>`), which is
//! exactly how the recordings show them, so redaction never breaks matching against them. A
//! value already registered by a scenario's own transformer keeps that name.

use serde_json::Value;

use crate::transform::kebab;

/// Keys whose string values are credentials.
pub const SECRET_KEYS: &[&str] = &[
    "SecretAccessKey",
    "SessionToken",
    "Password",
    "OldPassword",
    "NewPassword",
    "ServicePassword",
    "PrivateKey",
    "ServiceCredentialSecret",
];

pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.contains(&key)
}

/// Secret string values below `value` (any depth), as `(key, value)` in tree order.
pub fn collect(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if is_secret_key(k) && !s.is_empty() => {
                        out.push((k.clone(), s.clone()))
                    }
                    _ => collect(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// Whether a value under a secret key is already a placeholder: `<…>`, or the bare kebab name a
/// non-reference `key_value` writes.
fn is_placeholder(key: &str, s: &str) -> bool {
    s.is_empty() || (s.starts_with('<') && s.ends_with('>')) || s == kebab(key)
}

/// Replaces, in place, every secret value that is not a placeholder by `<kebab-key:redacted>`.
/// The last guard before writing anything, and the redaction of the raw copy.
pub fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if is_secret_key(k) => {
                        if !is_placeholder(k, s) {
                            *s = format!("<{}:redacted>", kebab(k));
                        }
                    }
                    _ => scrub(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// Scrubs every string below `value` that holds one of `secrets` (a payload echoing a
/// credential under another key), as [`scrub_text`] does on its dumped form.
pub fn scrub_strings(value: &mut Value, secrets: &[(String, String)]) {
    match value {
        Value::String(s) => {
            if secrets
                .iter()
                .any(|(_, secret)| s.contains(secret.as_str()))
            {
                let mut text = crate::pyjson::dumps_compact(&Value::String(s.clone()));
                scrub_text(&mut text, secrets);
                if let Ok(Value::String(clean)) = serde_json::from_str::<Value>(&text) {
                    *s = clean;
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_strings(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_strings(v, secrets)),
        _ => {}
    }
}

/// Removes any remaining occurrence of a secret from dumped JSON text (a secret with a backslash
/// or non-ASCII character escapes reference replacement, which works on the escaped text).
pub fn scrub_text(text: &mut String, secrets: &[(String, String)]) {
    for (key, secret) in secrets {
        let escaped = escaped_secret(secret);
        if let Some(inner) = escaped.as_deref().filter(|i| text.contains(i)) {
            *text = text.replace(inner, &format!("<{}:redacted>", kebab(key)));
        }
    }
}

/// The text [`scrub_text`] looks for: the secret as a JSON string holds it, if long enough.
fn escaped_secret(secret: &str) -> Option<String> {
    let mut escaped = String::new();
    crate::pyjson::write_str(&mut escaped, secret);
    let inner = &escaped[1..escaped.len() - 1];
    (inner.len() >= 4).then(|| inner.to_string())
}

/// Whether [`scrub_text`] may change `text`.
pub(crate) fn may_scrub(text: &str, secrets: &[(String, String)]) -> bool {
    secrets
        .iter()
        .any(|(_, s)| escaped_secret(s).is_some_and(|i| text.contains(&i)))
}

/// Whether no secret [`scrub_text`] looks for holds `"` or `\` (see `replace`).
pub(crate) fn scrub_is_token_local(secrets: &[(String, String)]) -> bool {
    secrets
        .iter()
        .all(|(_, s)| escaped_secret(s).is_none_or(|i| !i.contains('"') && !i.contains('\\')))
}

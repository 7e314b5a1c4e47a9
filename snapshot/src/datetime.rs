//! Datetime values. boto3 hands timestamps to the snapshot as `datetime` objects, which the
//! transformers treat differently from strings. The engine works on `serde_json::Value` trees
//! (so that jsonpath-rust can query them), so a datetime is carried as a string with a prefix
//! that starts with U+FDD0, a Unicode noncharacter that never occurs in interchanged text.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const PREFIX: &str = "\u{FDD0}datetime:";

/// The in-tree form of a datetime.
pub fn encode(dt: OffsetDateTime) -> Value {
    let utc = dt.to_offset(UtcOffset::UTC);
    Value::String(format!("{PREFIX}{}", utc.unix_timestamp_nanos()))
}

/// The datetime carried by an in-tree value, if it is one.
pub fn decode(value: &Value) -> Option<OffsetDateTime> {
    decode_str(value.as_str()?)
}

/// [`decode`] for a string.
pub fn decode_str(s: &str) -> Option<OffsetDateTime> {
    let nanos: i128 = s.strip_prefix(PREFIX)?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

pub fn is_datetime(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with(PREFIX))
}

/// Parses what the SDK layer hands over for a timestamp: an RFC 3339 string or epoch seconds.
pub fn parse_input(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .or_else(|| OffsetDateTime::parse(&s.replacen(' ', "T", 1), &Rfc3339).ok()),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            OffsetDateTime::from_unix_timestamp_nanos((secs * 1e9).round() as i128).ok()
        }
        _ => None,
    }
}

/// Python's `str(datetime)` for an aware UTC datetime: `2024-05-01 12:00:00[.ffffff]+00:00`.
pub fn python_str(dt: OffsetDateTime) -> String {
    let dt = dt.to_offset(UtcOffset::UTC);
    let base = dt
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let micros = dt.microsecond();
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// The raw-file form `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn raw_str(dt: OffsetDateTime) -> String {
    let dt = dt.to_offset(UtcOffset::UTC);
    dt.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

/// Replaces every in-tree datetime below `value` by `render(dt)`.
pub fn render_all(value: &mut Value, render: &dyn Fn(OffsetDateTime) -> String) {
    match value {
        Value::String(_) => {
            if let Some(dt) = decode(value) {
                *value = Value::String(render(dt));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| render_all(v, render)),
        Value::Object(map) => map.values_mut().for_each(|v| render_all(v, render)),
        _ => {}
    }
}

//! Timestamps between the wire formats (iso8601, epoch-seconds, http-date) and the handler
//! convention (RFC 3339 strings in UTC).

use serde_json::Value;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The wire formats botocore models name in `timestampFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Iso8601,
    EpochSeconds,
    HttpDate,
}

impl Format {
    /// The model's explicit format, else the protocol/location default.
    pub fn pick(explicit: Option<&str>, default: Format) -> Format {
        match explicit {
            Some("iso8601") => Format::Iso8601,
            Some("unixTimestamp") => Format::EpochSeconds,
            Some("rfc822") => Format::HttpDate,
            _ => default,
        }
    }
}

/// Parse a wire timestamp in any of the formats (clients are not always faithful to the model).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let t = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(dt.to_offset(UtcOffset::UTC));
    }
    if let Ok(secs) = t.parse::<f64>() {
        return from_epoch(secs);
    }
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc2822) {
        return Some(dt.to_offset(UtcOffset::UTC));
    }
    // http-date with the literal "GMT" zone.
    let gmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if let Ok(pdt) = time::PrimitiveDateTime::parse(t, gmt) {
        return Some(pdt.assume_utc());
    }
    // iso8601 without a zone designator: assume UTC.
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(t, naive)
        .ok()
        .map(|p| p.assume_utc())
}

pub fn from_epoch(secs: f64) -> Option<OffsetDateTime> {
    if !secs.is_finite() {
        return None;
    }
    let nanos = (secs * 1e9).round() as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// A wire value (string or number) as the handler's RFC 3339 string.
pub fn to_handler(value: &Value) -> Option<Value> {
    let dt = match value {
        Value::String(s) => parse(s)?,
        Value::Number(n) => from_epoch(n.as_f64()?)?,
        _ => return None,
    };
    Some(Value::String(rfc3339(dt)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` (milliseconds only when present).
pub fn rfc3339(dt: OffsetDateTime) -> String {
    let dt = dt.to_offset(UtcOffset::UTC);
    let ms = dt.millisecond();
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if ms == 0 {
        base + "Z"
    } else {
        format!("{base}.{ms:03}Z")
    }
}

/// Format a handler value (an RFC 3339 string, or epoch seconds) for the wire.
pub enum Wire {
    Text(String),
    Number(f64),
}

pub fn to_wire(value: &Value, format: Format) -> Option<Wire> {
    // An RFC 3339 string in iso8601 position is passed through: handlers choose the precision.
    if let (Value::String(s), Format::Iso8601) = (value, format) {
        if OffsetDateTime::parse(s, &Rfc3339).is_ok() {
            return Some(Wire::Text(s.clone()));
        }
    }
    let dt = match value {
        Value::String(s) => parse(s)?,
        Value::Number(n) => from_epoch(n.as_f64()?)?,
        _ => return None,
    };
    Some(match format {
        Format::Iso8601 => Wire::Text(rfc3339(dt)),
        Format::EpochSeconds => {
            let nanos = dt.unix_timestamp_nanos();
            Wire::Number(nanos as f64 / 1e9)
        }
        Format::HttpDate => {
            let f = format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            );
            Wire::Text(dt.to_offset(UtcOffset::UTC).format(f).ok()?)
        }
    })
}

impl Wire {
    /// The wire value as text (numbers as integers when whole).
    pub fn text(&self) -> String {
        match self {
            Wire::Text(s) => s.clone(),
            Wire::Number(n) => number_text(*n),
        }
    }
    pub fn json(&self) -> Value {
        match self {
            Wire::Text(s) => Value::String(s.clone()),
            Wire::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64((n * 1000.0).round() / 1000.0)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                }
            }
        }
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{}", (n * 1000.0).round() / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let v = Value::from(1576540098);
        assert_eq!(to_handler(&v).unwrap(), "2019-12-16T23:48:18Z");
        let w = to_wire(&Value::from("2019-12-16T23:48:18Z"), Format::HttpDate).unwrap();
        assert_eq!(w.text(), "Mon, 16 Dec 2019 23:48:18 GMT");
        let back = to_handler(&Value::from(w.text())).unwrap();
        assert_eq!(back, "2019-12-16T23:48:18Z");
        let e = to_wire(&Value::from("2019-12-16T23:48:18.5Z"), Format::EpochSeconds).unwrap();
        assert_eq!(e.json(), serde_json::json!(1576540098.5));
        assert_eq!(
            to_handler(&Value::from("2019-12-16T22:48:18-01:00")).unwrap(),
            "2019-12-16T23:48:18Z"
        );
        assert!(to_handler(&Value::from("not a date")).is_none());
    }
}

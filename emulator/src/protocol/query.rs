//! awsQuery: form-encoded requests (`Action`, `Version`, `member.N` lists, `entry.N` maps,
//! dotted nested structures) and XML responses with a result wrapper and request id.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::timestamp;
use super::xml;
use super::{HttpRequest, HttpResponse, REQUEST_ID_HEADER};
use crate::model::{Model, Operation, ShapeRef, ShapeType};
use crate::service::AwsError;

/// The decoded form parameters of a request (query string and form body together), sorted by
/// name. Names and values borrow from the request unless they needed percent-decoding.
#[derive(Debug, Default, Clone)]
pub struct Params<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Params<'a> {
    pub fn from_request(req: &HttpRequest<'a>) -> Params<'a> {
        let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(8);
        decode_pairs(req.query.as_bytes(), &mut pairs);
        decode_pairs(req.body, &mut pairs);
        // Stable sort, then keep the last of equal names: the body wins over the query string.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match deduped.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => deduped.push(pair),
            }
        }
        Params { pairs: deduped }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.pairs[i].1.as_ref())
    }

    /// Whether `key` or anything nested below it (`key.…`) was sent.
    fn has(&self, key: &str) -> bool {
        let start = self.pairs.partition_point(|(k, _)| k.as_ref() < key);
        self.pairs[start..]
            .iter()
            .map(|(k, _)| k.as_ref())
            .take_while(|k| k.starts_with(key))
            .any(|k| k.len() == key.len() || k.as_bytes()[key.len()] == b'.')
    }
}

/// `form_urlencoded::parse`, borrowing every pair when the input needs no decoding (no `%`,
/// no `+`, valid UTF-8), as SDK requests usually do: that crate's general path costs a few
/// hundred instructions per pair, a third of the routing cost of an awsQuery request.
fn decode_pairs<'a>(input: &'a [u8], out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>) {
    if let Ok(text) = std::str::from_utf8(input) {
        if split_plain_pairs(text, out) {
            return;
        }
    }
    out.extend(form_urlencoded::parse(input));
}

/// Split `name=value&…` without decoding; false (and nothing added) as soon as a `%` or `+`
/// shows that the input needs decoding.
fn split_plain_pairs<'a>(text: &'a str, out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>) -> bool {
    let before = out.len();
    let (mut start, mut eq) = (0, None);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        match b {
            b'%' | b'+' => {
                out.truncate(before);
                return false;
            }
            b'=' if eq.is_none() => eq = Some(i),
            b'&' => {
                push_plain_pair(text, start, eq, i, out);
                (start, eq) = (i + 1, None);
            }
            _ => {}
        }
    }
    push_plain_pair(text, start, eq, text.len(), out);
    true
}

fn push_plain_pair<'a>(
    text: &'a str,
    start: usize,
    eq: Option<usize>,
    end: usize,
    out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
) {
    if end > start {
        let (name, value) = match eq {
            Some(eq) => (&text[start..eq], &text[eq + 1..end]),
            None => (&text[start..end], ""),
        };
        out.push((Cow::Borrowed(name), Cow::Borrowed(value)));
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Parse the form parameters into the operation's input object.
pub fn parse_input(model: &Model, op: &Operation, params: &Params<'_>) -> Result<Value, AwsError> {
    match &op.input {
        None => Ok(Value::Object(Map::new())),
        Some(r) => Ok(read_structure(model, r, "", params)?),
    }
}

fn read_structure(
    model: &Model,
    r: &ShapeRef,
    prefix: &str,
    params: &Params<'_>,
) -> Result<Value, AwsError> {
    let shape = model.shape(r);
    let mut obj = Map::new();
    for (name, mref) in &shape.members {
        let member = mref.location_name.as_deref().unwrap_or(name);
        let key = if prefix.is_empty() {
            Cow::Borrowed(member)
        } else {
            Cow::Owned(join(prefix, member))
        };
        if let Some(v) = read_value(model, mref, &key, params)? {
            obj.insert(name.clone(), v);
        }
    }
    Ok(Value::Object(obj))
}

fn read_value(
    model: &Model,
    r: &ShapeRef,
    key: &str,
    params: &Params<'_>,
) -> Result<Option<Value>, AwsError> {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::Structure => {
            if !params.has(key) {
                return Ok(None);
            }
            read_structure(model, r, key, params).map(Some)
        }
        ShapeType::List => {
            if params.get(key) == Some("") {
                return Ok(Some(Value::Array(Vec::new())));
            }
            let Some(mref) = shape.member.as_deref() else {
                return Ok(None);
            };
            let base = if r.flattened || shape.flattened {
                key.to_string()
            } else {
                join(key, mref.location_name.as_deref().unwrap_or("member"))
            };
            let mut items = Vec::new();
            for i in 1.. {
                let item_key = format!("{base}.{i}");
                if !params.has(&item_key) {
                    break;
                }
                if let Some(v) = read_value(model, mref, &item_key, params)? {
                    items.push(v);
                }
            }
            if items.is_empty() && !params.has(key) {
                return Ok(None);
            }
            Ok(Some(Value::Array(items)))
        }
        ShapeType::Map => {
            let (Some(kref), Some(vref)) = (shape.key.as_deref(), shape.value.as_deref()) else {
                return Ok(None);
            };
            if !params.has(key) {
                return Ok(None);
            }
            let base = if r.flattened || shape.flattened {
                key.to_string()
            } else {
                join(key, "entry")
            };
            let kname = kref.location_name.as_deref().unwrap_or("key");
            let vname = vref.location_name.as_deref().unwrap_or("value");
            let mut map = Map::new();
            for i in 1.. {
                let entry = format!("{base}.{i}");
                if !params.has(&entry) {
                    break;
                }
                let Some(k) = params.get(&join(&entry, kname)) else {
                    continue;
                };
                let v = read_value(model, vref, &join(&entry, vname), params)?;
                map.insert(k.to_string(), v.unwrap_or(Value::Null));
            }
            Ok(Some(Value::Object(map)))
        }
        _ => match params.get(key) {
            None => Ok(None),
            Some(text) => scalar_from_text(shape.kind, text, key).map(Some),
        },
    }
}

/// A scalar form (or header/label) value as the handler's JSON value.
pub(crate) fn scalar_from_text(kind: ShapeType, text: &str, name: &str) -> Result<Value, AwsError> {
    let invalid = || {
        AwsError::validation(format!(
            "1 validation error detected: Value '{text}' at '{name}' failed to satisfy constraint: Member must be a valid {}",
            kind_name(kind)
        ))
    };
    Ok(match kind {
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            Value::from(text.trim().parse::<i64>().map_err(|_| invalid())?)
        }
        ShapeType::Boolean => match text.trim() {
            t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
            t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid()),
        },
        ShapeType::Float | ShapeType::Double | ShapeType::Decimal => {
            match text.trim() {
                // Non-finite values have no JSON number form; handlers see the wire spelling.
                t @ ("NaN" | "Infinity" | "-Infinity") => Value::String(t.to_string()),
                t => {
                    let f = t.parse::<f64>().map_err(|_| invalid())?;
                    serde_json::Number::from_f64(f)
                        .map(Value::Number)
                        .ok_or_else(invalid)?
                }
            }
        }
        ShapeType::Timestamp => {
            timestamp::to_handler(&Value::String(text.to_string())).ok_or_else(invalid)?
        }
        _ => Value::String(text.to_string()),
    })
}

fn kind_name(kind: ShapeType) -> &'static str {
    match kind {
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => "integer",
        ShapeType::Boolean => "boolean",
        ShapeType::Timestamp => "timestamp",
        _ => "number",
    }
}

/// `<{name}{suffix} xmlns="…">` (the suffix saves building the element name).
fn envelope_open(out: &mut String, model: &Model, name: &str, suffix: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str(suffix);
    if let Some(ns) = &model.metadata.xml_namespace {
        out.push_str(" xmlns=\"");
        xml::escape_into(out, ns);
        out.push('"');
    }
    out.push('>');
}

fn xml_response(status: u16, body: String, request_id: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            (REQUEST_ID_HEADER.into(), request_id.to_string()),
        ],
        body: body.into_bytes(),
    }
}

/// `<OpResponse><OpResult>…</OpResult><ResponseMetadata><RequestId>…` shaped by the model.
pub fn serialize_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    // Sized for a typical entity in one allocation; list responses grow it.
    let mut out = String::with_capacity(1024);
    envelope_open(&mut out, model, &op.name, "Response");
    if let Some(r) = &op.output {
        // awsQuery always wraps the result (smithy's `{Operation}Result` unless the model names it).
        let (wrapper, suffix) = match &r.result_wrapper {
            Some(w) => (w.as_str(), ""),
            None => (op.name.as_str(), "Result"),
        };
        out.push('<');
        out.push_str(wrapper);
        out.push_str(suffix);
        out.push('>');
        xml::write_members(&mut out, model, r, output);
        out.push_str("</");
        out.push_str(wrapper);
        out.push_str(suffix);
        out.push('>');
    }
    out.push_str("<ResponseMetadata>");
    xml::text_element(&mut out, "RequestId", request_id);
    out.push_str("</ResponseMetadata></");
    out.push_str(&op.name);
    out.push_str("Response>");
    xml_response(200, out, request_id)
}

/// `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/>…</Error><RequestId/>`.
pub fn serialize_error(model: &Model, err: &AwsError, request_id: &str) -> HttpResponse {
    let mut out = String::with_capacity(256);
    envelope_open(&mut out, model, "ErrorResponse", "");
    out.push_str("<Error>");
    xml::text_element(
        &mut out,
        "Type",
        if err.sender_fault {
            "Sender"
        } else {
            "Receiver"
        },
    );
    xml::text_element(&mut out, "Code", model.wire_error_code(&err.code));
    if !err.message.is_empty() {
        xml::text_element(&mut out, "Message", &err.message);
    }
    if !err.fields.is_empty() {
        let fields = Value::Object(err.fields.clone());
        match model.error_shape(&err.code) {
            Some(shape) => {
                for (name, mref) in &shape.members {
                    if name.eq_ignore_ascii_case("message") {
                        continue;
                    }
                    if let Some(v) = fields.get(name) {
                        let el = mref.location_name.as_deref().unwrap_or(name);
                        xml::write_value(&mut out, model, mref, el, v);
                    }
                }
            }
            None => {
                for (k, v) in &err.fields {
                    if let Some(text) = super::scalar_text(v) {
                        xml::text_element(&mut out, k, &text);
                    }
                }
            }
        }
    }
    out.push_str("</Error>");
    xml::text_element(&mut out, "RequestId", request_id);
    out.push_str("</ErrorResponse>");
    xml_response(err.status, out, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_prefer_the_body_and_find_nested_keys() {
        let headers = hyper::HeaderMap::new();
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "Action=FromQuery&Only=q",
            headers: &headers,
            body: b"Action=FromBody&Tags-x=1&Tags.member.1.Key=k&Tag=2&Name=a%20b",
        };
        let p = Params::from_request(&req);
        assert_eq!(p.get("Action"), Some("FromBody"));
        assert_eq!(p.get("Only"), Some("q"));
        assert_eq!(p.get("Name"), Some("a b"));
        assert!(p.has("Tags") && p.has("Tags.member") && p.has("Tags.member.1.Key"));
        assert!(p.has("Tag") && p.has("Tags-x"));
        assert!(!p.has("Tags.member.2") && !p.has("Ta") && !p.has("Zzz"));
    }

    #[test]
    fn pairs_decode_as_form_urlencoded_does() {
        let inputs: [&[u8]; 10] = [
            b"Action=GetUser&Version=2010-05-08&UserName=bench-user",
            b"a=1&&b=2&",
            b"novalue&=noname&x==y",
            b"Name=a+b&Path=%2Fdiv%2F&Tags.member.1.Value=%E2%9C%93",
            b"bad=%ZZ&pct=%&plus=+",
            b"latin=\xe9t\xe9&ok=1",
            b"raw=\xff\xfe",
            b"",
            b"&&&",
            b"k=v=w",
        ];
        for input in inputs {
            let mut ours = Vec::new();
            decode_pairs(input, &mut ours);
            let theirs: Vec<_> = form_urlencoded::parse(input).collect();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(input));
        }
    }
}

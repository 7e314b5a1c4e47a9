//! restJson1: requests bound to URI labels, query strings, headers and a JSON (or raw payload)
//! body; responses with header bindings, status codes and JSON or raw payload bodies; errors as
//! `x-amzn-ErrorType` plus a JSON body with the error shape's members.

use base64::Engine;
use serde_json::{Map, Value};

use super::query::scalar_from_text;
use super::timestamp::{self, Format};
use super::{HttpRequest, HttpResponse, REQUEST_ID_HEADER};
use crate::model::{Model, Operation, ShapeRef, ShapeType};
use crate::service::AwsError;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// One piece of a request URI template's path.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// A compiled `http.requestUri`: path parts plus the query literals (`?List=ALL`, `?Qualifier`)
/// a request must carry to match.
#[derive(Debug, Clone)]
pub struct UriTemplate {
    parts: Vec<Part>,
    query: Vec<(String, Option<String>)>,
    literal_len: usize,
}

impl UriTemplate {
    pub fn parse(uri: &str) -> UriTemplate {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut parts = Vec::new();
        let mut rest = path;
        let mut literal_len = 0;
        while let Some(start) = rest.find('{') {
            if start > 0 {
                literal_len += start;
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let Some(end) = rest[start..].find('}') else {
                break;
            };
            let label = &rest[start + 1..start + end];
            parts.push(match label.strip_suffix('+') {
                Some(name) => Part::Greedy(name.to_string()),
                None => Part::Label(label.to_string()),
            });
            rest = &rest[start + end + 1..];
        }
        if !rest.is_empty() {
            literal_len += rest.len();
            parts.push(Part::Literal(rest.to_string()));
        }
        let query = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| match q.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (q.to_string(), None),
            })
            .collect();
        UriTemplate {
            parts,
            query,
            literal_len,
        }
    }

    /// Match a raw request path and query; labels come back percent-decoded.
    pub fn matches(&self, path: &str, query: &str) -> Option<Vec<(String, String)>> {
        for (k, want) in &self.query {
            let found = form_urlencoded::parse(query.as_bytes())
                .any(|(qk, qv)| qk == k.as_str() && want.as_ref().is_none_or(|w| qv == w.as_str()));
            if !found {
                return None;
            }
        }
        let mut labels = Vec::new();
        let mut rest = path;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Label(name) => {
                    let end = rest.find('/').unwrap_or(rest.len());
                    if end == 0 {
                        return None;
                    }
                    labels.push((name.clone(), decode(&rest[..end])));
                    rest = &rest[end..];
                }
                Part::Greedy(name) => {
                    // A greedy label takes everything up to the literal suffix that follows it.
                    let suffix: String = self.parts[i + 1..]
                        .iter()
                        .map(|p| match p {
                            Part::Literal(l) => l.as_str(),
                            _ => "",
                        })
                        .collect();
                    let value = rest.strip_suffix(suffix.as_str())?;
                    if value.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), decode(value)));
                    rest = &rest[value.len()..];
                }
            }
        }
        // A trailing slash is tolerated, as AWS front ends do.
        if rest.is_empty() || rest == "/" {
            Some(labels)
        } else {
            None
        }
    }

    /// Ranking among several matching templates: query literals first, then literal length.
    pub fn specificity(&self) -> (usize, usize) {
        (self.query.len(), self.literal_len)
    }
}

fn decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

fn member_kind(model: &Model, r: &ShapeRef) -> ShapeType {
    model.shape(r).kind
}

fn ts_format(model: &Model, r: &ShapeRef, default: Format) -> Format {
    let explicit = r
        .timestamp_format
        .as_deref()
        .or(model.shape(r).timestamp_format.as_deref());
    Format::pick(explicit, default)
}

fn content_error(model: &Model, detail: &str) -> AwsError {
    // Lambda models its own error for unparsable bodies; other services get the generic one.
    if model
        .error_shape("InvalidRequestContentException")
        .is_some()
    {
        AwsError::new(
            "InvalidRequestContentException",
            format!("Could not parse request body into json: {detail}"),
            400,
        )
    } else {
        AwsError::new("SerializationException", detail.to_string(), 400)
    }
}

/// Parse a matched request into the operation's input object.
pub fn parse_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    let Some(input_ref) = &op.input else {
        return Ok(Value::Object(Map::new()));
    };
    let labels = UriTemplate::parse(&op.http.request_uri)
        .matches(req.path, req.query)
        .unwrap_or_default();
    let shape = model.shape(input_ref);
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();

    let mut obj = Map::new();
    for (name, mref) in &shape.members {
        let wire = mref.location_name.as_deref().unwrap_or(name);
        let value = match mref.location.as_deref() {
            Some("uri") => match labels.iter().find(|(l, _)| l == wire) {
                Some((_, text)) => Some(text_value(model, mref, text, name)?),
                None => None,
            },
            Some("querystring") => query_value(model, mref, wire, name, &query)?,
            Some("header") => header_value(model, mref, wire, name, req)?,
            Some("headers") => {
                let mut map = Map::new();
                for (k, v) in req.headers {
                    let key = k.as_str();
                    if key.len() >= wire.len() && key[..wire.len()].eq_ignore_ascii_case(wire) {
                        if let Ok(v) = v.to_str() {
                            map.insert(key[wire.len()..].to_string(), Value::from(v));
                        }
                    }
                }
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Some(_) => None,
            None => None,
        };
        if let Some(v) = value {
            obj.insert(name.clone(), v);
        }
    }

    match &shape.payload {
        Some(payload) => {
            if let Some(pref) = shape.members.get(payload) {
                if let Some(v) = payload_value(model, pref, req.body)? {
                    obj.insert(payload.clone(), v);
                }
            }
        }
        None => {
            if !req.body.is_empty() && req.body.iter().any(|b| !b.is_ascii_whitespace()) {
                let body: Value = serde_json::from_slice(req.body)
                    .map_err(|e| content_error(model, &e.to_string()))?;
                let Value::Object(fields) = body else {
                    return Err(content_error(model, "the body is not a JSON object"));
                };
                for (name, mref) in &shape.members {
                    if mref.location.is_some() {
                        continue;
                    }
                    let wire = mref.location_name.as_deref().unwrap_or(name);
                    if let Some(v) = fields.get(wire) {
                        if !v.is_null() {
                            obj.insert(name.clone(), json_in(model, mref, v)?);
                        }
                    }
                }
            }
        }
    }
    Ok(Value::Object(obj))
}

fn payload_value(model: &Model, r: &ShapeRef, body: &[u8]) -> Result<Option<Value>, AwsError> {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::Blob => Ok((!body.is_empty()).then(|| Value::String(B64.encode(body)))),
        ShapeType::String => {
            Ok((!body.is_empty())
                .then(|| Value::String(String::from_utf8_lossy(body).into_owned())))
        }
        _ => {
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(None);
            }
            let v: Value =
                serde_json::from_slice(body).map_err(|e| content_error(model, &e.to_string()))?;
            // `{}` is what clients send for an absent structure payload.
            if v.as_object().is_some_and(|o| o.is_empty()) && !shape.document {
                return Ok(None);
            }
            json_in(model, r, &v).map(Some)
        }
    }
}

fn text_value(model: &Model, r: &ShapeRef, text: &str, name: &str) -> Result<Value, AwsError> {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::Blob => Ok(Value::String(text.to_string())),
        kind => scalar_from_text(kind, text, name),
    }
}

fn query_value(
    model: &Model,
    r: &ShapeRef,
    wire: &str,
    name: &str,
    query: &[(String, String)],
) -> Result<Option<Value>, AwsError> {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::List => {
            let Some(mref) = shape.member.as_deref() else {
                return Ok(None);
            };
            let mut items = Vec::new();
            for (k, v) in query.iter().filter(|(k, _)| k == wire) {
                items.push(text_value(model, mref, v, k)?);
            }
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        ShapeType::Map => {
            // A querystring map receives every parameter, the named ones included.
            let Some(vref) = shape.value.as_deref() else {
                return Ok(None);
            };
            let vshape = model.shape(vref);
            let mut map = Map::new();
            for (k, v) in query {
                if vshape.kind == ShapeType::List {
                    let entry = map
                        .entry(k.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = entry {
                        a.push(Value::String(v.clone()));
                    }
                } else if !map.contains_key(k) {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
        _ => match query.iter().find(|(k, _)| k == wire) {
            Some((_, v)) => text_value(model, r, v, name).map(Some),
            None => Ok(None),
        },
    }
}

fn header_value(
    model: &Model,
    r: &ShapeRef,
    wire: &str,
    name: &str,
    req: &HttpRequest<'_>,
) -> Result<Option<Value>, AwsError> {
    let values: Vec<&str> = req
        .headers
        .get_all(wire)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    let joined = values.join(", ");
    let shape = model.shape(r);
    if shape.kind == ShapeType::List {
        let Some(mref) = shape.member.as_deref() else {
            return Ok(None);
        };
        let http_date = member_kind(model, mref) == ShapeType::Timestamp
            && ts_format(model, mref, Format::HttpDate) == Format::HttpDate;
        let mut items = Vec::new();
        if joined.trim().is_empty() {
            return Ok(Some(Value::Array(items)));
        }
        for text in split_header_list(&joined, http_date) {
            items.push(text_value(model, mref, &text, name)?);
        }
        return Ok(Some(Value::Array(items)));
    }
    if shape.kind == ShapeType::String && (r.jsonvalue || shape.jsonvalue) {
        // The handler sees the JSON text itself (base64 is only the header encoding).
        let decoded = B64
            .decode(joined.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .ok_or_else(|| AwsError::validation(format!("Header {wire} is not base64 text")))?;
        return Ok(Some(Value::String(decoded)));
    }
    text_value(model, r, &joined, name).map(Some)
}

/// Split a comma-separated header list; quoted items keep their commas, and http-dates (which
/// contain one comma each) are re-paired.
fn split_header_list(text: &str, http_date: bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    items.push(cur.trim().to_string());
    if http_date {
        items = items.chunks(2).map(|c| c.join(", ")).collect();
    }
    items
}

/// A JSON body value (wire form) as the handler's value.
fn json_in(model: &Model, r: &ShapeRef, v: &Value) -> Result<Value, AwsError> {
    let shape = model.shape(r);
    if shape.document {
        return Ok(v.clone());
    }
    Ok(match (shape.kind, v) {
        (ShapeType::Structure, Value::Object(fields)) => {
            let mut obj = Map::new();
            for (name, mref) in &shape.members {
                let wire = mref.location_name.as_deref().unwrap_or(name);
                if let Some(fv) = fields.get(wire) {
                    if !fv.is_null() {
                        obj.insert(name.clone(), json_in(model, mref, fv)?);
                    }
                }
            }
            Value::Object(obj)
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(mref) = shape.member.as_deref() else {
                return Ok(Value::Array(Vec::new()));
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(if item.is_null() {
                    Value::Null
                } else {
                    json_in(model, mref, item)?
                });
            }
            Value::Array(out)
        }
        (ShapeType::Map, Value::Object(entries)) => {
            let Some(vref) = shape.value.as_deref() else {
                return Ok(Value::Object(Map::new()));
            };
            let mut out = Map::new();
            for (k, item) in entries {
                out.insert(
                    k.clone(),
                    if item.is_null() {
                        Value::Null
                    } else {
                        json_in(model, vref, item)?
                    },
                );
            }
            Value::Object(out)
        }
        (ShapeType::Timestamp, _) => timestamp::to_handler(v)
            .ok_or_else(|| content_error(model, &format!("invalid timestamp {v}")))?,
        (ShapeType::Structure | ShapeType::List | ShapeType::Map, _) => {
            return Err(content_error(
                model,
                &format!("expected a {:?} for {}", shape.kind, r.shape),
            ))
        }
        _ => v.clone(),
    })
}

/// A handler value as the JSON body's wire value.
fn json_out(model: &Model, r: &ShapeRef, v: &Value) -> Value {
    let shape = model.shape(r);
    if shape.document {
        return v.clone();
    }
    match (shape.kind, v) {
        (ShapeType::Structure, Value::Object(fields)) => {
            let mut obj = Map::new();
            for (name, mref) in &shape.members {
                if let Some(fv) = fields.get(name) {
                    if !fv.is_null() {
                        let wire = mref.location_name.as_deref().unwrap_or(name);
                        obj.insert(wire.to_string(), json_out(model, mref, fv));
                    }
                }
            }
            Value::Object(obj)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_deref() {
            Some(mref) => Value::Array(items.iter().map(|i| json_out(model, mref, i)).collect()),
            None => v.clone(),
        },
        (ShapeType::Map, Value::Object(entries)) => match shape.value.as_deref() {
            Some(vref) => Value::Object(
                entries
                    .iter()
                    .map(|(k, i)| (k.clone(), json_out(model, vref, i)))
                    .collect(),
            ),
            None => v.clone(),
        },
        (ShapeType::Timestamp, _) => {
            timestamp::to_wire(v, ts_format(model, r, Format::EpochSeconds))
                .map(|w| w.json())
                .unwrap_or_else(|| v.clone())
        }
        _ => v.clone(),
    }
}

fn header_text(model: &Model, r: &ShapeRef, v: &Value) -> Option<String> {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::List => {
            let mref = shape.member.as_deref()?;
            let Value::Array(items) = v else { return None };
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| {
                    let t = header_text(model, mref, i)?;
                    // Items with commas or quotes are quoted so the list splits back the same.
                    Some(
                        if member_kind(model, mref) == ShapeType::String
                            && (t.contains(',') || t.contains('"'))
                        {
                            format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                        } else {
                            t
                        },
                    )
                })
                .collect();
            Some(parts.join(", "))
        }
        ShapeType::Timestamp => {
            timestamp::to_wire(v, ts_format(model, r, Format::HttpDate)).map(|w| w.text())
        }
        ShapeType::String if r.jsonvalue || shape.jsonvalue => Some(match v {
            Value::String(text) => B64.encode(text),
            other => B64.encode(serde_json::to_vec(other).ok()?),
        }),
        _ => super::scalar_text(v),
    }
}

/// Serialize a handler's output: status, header members, then the JSON or payload body.
pub fn serialize_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut status = op.http.response_code.unwrap_or(200);
    let mut headers = vec![(REQUEST_ID_HEADER.to_string(), request_id.to_string())];
    let mut body = Vec::new();
    let mut content_type = "application/json";
    if let Some(r) = &op.output {
        let shape = model.shape(r);
        let fields = output.as_object();
        let get = |name: &str| fields.and_then(|f| f.get(name)).filter(|v| !v.is_null());
        let mut json_body = Map::new();
        for (name, mref) in &shape.members {
            let Some(v) = get(name) else { continue };
            let wire = mref.location_name.as_deref().unwrap_or(name);
            match mref.location.as_deref() {
                Some("statusCode") => {
                    if let Some(code) = v.as_u64().and_then(|c| u16::try_from(c).ok()) {
                        status = code;
                    }
                }
                Some("header") => {
                    if let Some(text) = header_text(model, mref, v) {
                        headers.push((wire.to_string(), text));
                    }
                }
                Some("headers") => {
                    if let Value::Object(map) = v {
                        for (k, hv) in map {
                            if let Some(text) = super::scalar_text(hv) {
                                headers.push((format!("{wire}{k}"), text));
                            }
                        }
                    }
                }
                Some(_) => {}
                None => {
                    if shape.payload.is_none() {
                        json_body.insert(wire.to_string(), json_out(model, mref, v));
                    }
                }
            }
        }
        match &shape.payload {
            Some(payload) => {
                if let (Some(pref), Some(v)) = (shape.members.get(payload), get(payload)) {
                    match member_kind(model, pref) {
                        ShapeType::Blob => {
                            content_type = "application/octet-stream";
                            body = match v {
                                Value::String(s) => {
                                    B64.decode(s).unwrap_or_else(|_| s.clone().into_bytes())
                                }
                                other => other.to_string().into_bytes(),
                            };
                        }
                        ShapeType::String => {
                            content_type = "text/plain";
                            body = super::scalar_text(v).unwrap_or_default().into_bytes();
                        }
                        _ => {
                            body = serde_json::to_vec(&json_out(model, pref, v)).unwrap_or_default()
                        }
                    }
                }
            }
            None => body = serde_json::to_vec(&Value::Object(json_body)).unwrap_or_default(),
        }
    }
    // 204 and 304 answers carry no body (HTTP forbids one).
    if status == 204 || status == 304 {
        body.clear();
    } else {
        headers.push(("Content-Type".into(), content_type.into()));
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// `x-amzn-ErrorType: Code` and a JSON body with the error shape's members (the message under
/// the shape's own spelling, `message` or `Message`; Lambda's `Type` defaulted from the fault).
/// A field set to null leaves a modeled member out (AWS omits `Type` from some Lambda errors);
/// the fields of an unmodeled error are written as given (AWS sends some with `Message: null`).
pub fn serialize_error(model: &Model, err: &AwsError, request_id: &str) -> HttpResponse {
    let mut body = Map::new();
    match model.error_shape(&err.code) {
        Some(shape) => {
            let msg_name = shape
                .members
                .keys()
                .find(|k| k.eq_ignore_ascii_case("message"))
                .map(String::as_str)
                .unwrap_or("message");
            for (name, mref) in &shape.members {
                if mref.location.is_some() {
                    continue;
                }
                let wire = mref.location_name.as_deref().unwrap_or(name);
                if let Some(v) = err.fields.get(name) {
                    if !v.is_null() {
                        body.insert(wire.to_string(), json_out(model, mref, v));
                    }
                } else if name == "Type" {
                    let fault = if err.sender_fault { "User" } else { "Service" };
                    body.insert(wire.to_string(), Value::from(fault));
                }
            }
            if !err.message.is_empty() {
                body.insert(msg_name.to_string(), Value::from(err.message.clone()));
            }
        }
        None => {
            for (k, v) in &err.fields {
                body.insert(k.clone(), v.clone());
            }
            if !err.message.is_empty() {
                body.insert("message".into(), Value::from(err.message.clone()));
            }
        }
    }
    let mut headers = vec![
        (REQUEST_ID_HEADER.to_string(), request_id.to_string()),
        ("x-amzn-ErrorType".to_string(), err.code.clone()),
        ("Content-Type".into(), "application/json".into()),
    ];
    if let Some(shape) = model.error_shape(&err.code) {
        for (name, mref) in &shape.members {
            if mref.location.as_deref() == Some("header") {
                if let Some(text) = err
                    .fields
                    .get(name)
                    .and_then(|v| header_text(model, mref, v))
                {
                    let wire = mref.location_name.as_deref().unwrap_or(name);
                    headers.push((wire.to_string(), text));
                }
            }
        }
    }
    HttpResponse {
        status: err.status,
        headers,
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::UriTemplate;

    #[test]
    fn templates_match_labels_greedy_and_query_literals() {
        let t = UriTemplate::parse("/2015-03-31/functions/{FunctionName}/policy");
        assert_eq!(
            t.matches("/2015-03-31/functions/my%3Afn/policy", ""),
            Some(vec![("FunctionName".into(), "my:fn".into())])
        );
        assert_eq!(t.matches("/2015-03-31/functions/a/b/policy", ""), None);
        let g = UriTemplate::parse("/{Bucket}/{Key+}");
        assert_eq!(
            g.matches("/b/a/b/c", ""),
            Some(vec![
                ("Bucket".into(), "b".into()),
                ("Key".into(), "a/b/c".into())
            ])
        );
        let q = UriTemplate::parse("/2018-10-31/layers?find=LayerVersion");
        assert_eq!(q.matches("/2018-10-31/layers", ""), None);
        assert!(q
            .matches("/2018-10-31/layers", "find=LayerVersion&Arn=x")
            .is_some());
        assert!(q.specificity() > UriTemplate::parse("/2018-10-31/layers").specificity());
    }
}

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

mod body;

use body::{write_raw, ObjectWriter};

/// Room reserved for a JSON body before it is written: most answers fit, so the buffer does
/// not grow through a series of reallocations while members are appended.
const JSON_BODY_CAPACITY: usize = 1024;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// One piece of a request URI template's path.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// A piece of a path template, borrowed from a compiled template or from the template text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PartRef<'t> {
    Literal(&'t str),
    Label(&'t str),
    Greedy(&'t str),
}

impl Part {
    fn as_ref(&self) -> PartRef<'_> {
        match self {
            Part::Literal(s) => PartRef::Literal(s),
            Part::Label(s) => PartRef::Label(s),
            Part::Greedy(s) => PartRef::Greedy(s),
        }
    }
}

/// The pieces of a path template, read from its text as they are needed (a `{` without a
/// closing `}` is literal text).
#[derive(Clone)]
struct Parts<'t> {
    rest: &'t str,
    label_next: Option<PartRef<'t>>,
}

impl<'t> Parts<'t> {
    fn of(template: &'t str) -> Self {
        Parts {
            rest: template,
            label_next: None,
        }
    }
}

impl<'t> Iterator for Parts<'t> {
    type Item = PartRef<'t>;

    fn next(&mut self) -> Option<PartRef<'t>> {
        if let Some(label) = self.label_next.take() {
            return Some(label);
        }
        if self.rest.is_empty() {
            return None;
        }
        let braces = self
            .rest
            .find('{')
            .and_then(|start| Some((start, start + self.rest[start..].find('}')?)));
        let Some((start, end)) = braces else {
            return Some(PartRef::Literal(std::mem::take(&mut self.rest)));
        };
        let (literal, name) = (&self.rest[..start], &self.rest[start + 1..end]);
        self.rest = &self.rest[end + 1..];
        let label = match name.strip_suffix('+') {
            Some(greedy) => PartRef::Greedy(greedy),
            None => PartRef::Label(name),
        };
        if literal.is_empty() {
            return Some(label);
        }
        self.label_next = Some(label);
        Some(PartRef::Literal(literal))
    }
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
        let parts: Vec<Part> = Parts::of(path)
            .map(|p| match p {
                PartRef::Literal(s) => Part::Literal(s.to_string()),
                PartRef::Label(s) => Part::Label(s.to_string()),
                PartRef::Greedy(s) => Part::Greedy(s.to_string()),
            })
            .collect();
        let literal_len = parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.len(),
                _ => 0,
            })
            .sum();
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

    /// Match a raw request path and query; labels come back percent-decoded. The router tries
    /// every template of a method on each request, so a mismatch allocates nothing.
    pub fn matches(&self, path: &str, query: &str) -> Option<Vec<(String, String)>> {
        let parts = self.parts.iter().map(Part::as_ref);
        if !match_path(parts.clone(), path, |_, _| {}) || !self.query_matches(query) {
            return None;
        }
        let mut labels = Vec::new();
        match_path(parts, path, |name, raw| {
            labels.push((name.to_string(), decode(raw)))
        });
        Some(labels)
    }

    fn query_matches(&self, query: &str) -> bool {
        self.query.iter().all(|(k, want)| {
            form_urlencoded::parse(query.as_bytes())
                .any(|(qk, qv)| qk == k.as_str() && want.as_ref().is_none_or(|w| qv == w.as_str()))
        })
    }

    /// Ranking among several matching templates: query literals first, then literal length.
    pub fn specificity(&self) -> (usize, usize) {
        (self.query.len(), self.literal_len)
    }
}

/// A model's restJson1 operations indexed by HTTP method and first path segment (Lambda's API
/// version dates: `2015-03-31`, `2018-10-31`...), so routing a request tries the handful of
/// templates that can match instead of every operation of the model. Templates whose first
/// segment is not a fixed literal are tried for every path.
pub struct RouteIndex {
    templates: Vec<UriTemplate>,
    methods: Vec<MethodRoutes>,
}

struct MethodRoutes {
    method: String,
    /// First segment → candidate templates, in model order (the wildcard ones included).
    by_segment: std::collections::HashMap<String, Vec<usize>>,
    /// The templates without a fixed first segment, in model order.
    wildcard: Vec<usize>,
}

impl RouteIndex {
    pub fn new(model: &Model) -> RouteIndex {
        let templates: Vec<UriTemplate> = model
            .operations
            .values()
            .map(|op| UriTemplate::parse(&op.http.request_uri))
            .collect();
        let mut methods: Vec<MethodRoutes> = Vec::new();
        for (i, op) in model.operations.values().enumerate() {
            let m = match methods
                .iter()
                .position(|m| m.method.eq_ignore_ascii_case(&op.http.method))
            {
                Some(m) => m,
                None => {
                    methods.push(MethodRoutes {
                        method: op.http.method.clone(),
                        by_segment: Default::default(),
                        wildcard: Vec::new(),
                    });
                    methods.len() - 1
                }
            };
            match templates[i].first_segment() {
                Some(seg) => methods[m]
                    .by_segment
                    .entry(seg.to_string())
                    .or_default()
                    .push(i),
                None => methods[m].wildcard.push(i),
            }
        }
        for m in &mut methods {
            for list in m.by_segment.values_mut() {
                list.extend_from_slice(&m.wildcard);
                list.sort_unstable();
            }
        }
        RouteIndex { templates, methods }
    }

    /// The index (in `model.operations`) of the operation whose method and template match, the
    /// most specific when several do (the last of equals, in model order).
    pub fn find(&self, method: &str, path: &str, query: &str) -> Option<usize> {
        let routes = self
            .methods
            .iter()
            .find(|m| m.method.eq_ignore_ascii_case(method))?;
        let segment = path
            .strip_prefix('/')
            .map(|p| p.split('/').next().unwrap_or(p));
        let candidates = segment
            .and_then(|s| routes.by_segment.get(s))
            .unwrap_or(&routes.wildcard);
        candidates
            .iter()
            .filter(|i| self.templates[**i].matches(path, query).is_some())
            .max_by_key(|i| self.templates[**i].specificity())
            .copied()
    }
}

impl UriTemplate {
    /// The first path segment when the template fixes it (`/2015-03-31/functions/{F}` →
    /// `2015-03-31`); none when a label can reach into it.
    fn first_segment(&self) -> Option<&str> {
        let Some(Part::Literal(first)) = self.parts.first() else {
            return None;
        };
        let rest = first.strip_prefix('/')?;
        match rest.split_once('/') {
            Some((segment, _)) => Some(segment),
            None if self.parts.len() == 1 => Some(rest),
            None => None,
        }
    }
}

/// Match a raw request path against a template's path parts, calling `label` with each label's
/// name and raw (still percent-encoded) text; false when the path does not match. A trailing
/// slash on the request is tolerated, as AWS front ends do.
fn match_path<'t, 'p>(
    mut parts: impl Iterator<Item = PartRef<'t>> + Clone,
    path: &'p str,
    mut label: impl FnMut(&'t str, &'p str),
) -> bool {
    let mut rest = path;
    while let Some(part) = parts.next() {
        let (name, value) = match part {
            PartRef::Literal(lit) => {
                match rest.strip_prefix(lit) {
                    Some(r) => rest = r,
                    None => return false,
                }
                continue;
            }
            PartRef::Label(name) => {
                let end = rest.find('/').unwrap_or(rest.len());
                if end == 0 {
                    return false;
                }
                (name, &rest[..end])
            }
            PartRef::Greedy(name) => {
                // A greedy label takes everything up to the literal suffix that follows it.
                let mut literals = parts.clone().filter_map(|p| match p {
                    PartRef::Literal(l) => Some(l),
                    _ => None,
                });
                let stripped = match (literals.next(), literals.next()) {
                    (None, _) => Some(rest),
                    (Some(one), None) => rest.strip_suffix(one),
                    (Some(first), Some(second)) => {
                        let suffix: String = [first, second].into_iter().chain(literals).collect();
                        rest.strip_suffix(suffix.as_str())
                    }
                };
                match stripped {
                    Some(v) if !v.is_empty() => (name, v),
                    _ => return false,
                }
            }
        };
        label(name, value);
        rest = &rest[value.len()..];
    }
    rest.is_empty() || rest == "/"
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
    let shape = model.shape(input_ref);
    // Raw label texts, decoded only for the members that read them.
    let mut labels: Vec<(&str, &str)> = Vec::new();
    if shape
        .members
        .values()
        .any(|m| m.location.as_deref() == Some("uri"))
    {
        let template = op.http.request_uri.split('?').next().unwrap_or_default();
        if !match_path(Parts::of(template), req.path, |name, raw| {
            labels.push((name, raw))
        }) {
            labels.clear();
        }
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();

    let mut obj = Map::new();
    for (name, mref) in &shape.members {
        let wire = mref.location_name.as_deref().unwrap_or(name);
        let value = match mref.location.as_deref() {
            Some("uri") => match labels.iter().find(|(l, _)| *l == wire) {
                Some((_, raw)) => Some(text_value(model, mref, &decode(raw), name)?),
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
        let empty = Map::new();
        let fields = output.as_object().unwrap_or(&empty);
        body::with_plan(model, |plan| {
            let sp = plan.structure(plan.target(r));
            sp.with_slots(fields, |slots| {
                for (m, v) in sp.members.iter().zip(slots) {
                    let (Some(location), Some(v)) = (m.location, v) else {
                        continue;
                    };
                    match location {
                        "statusCode" => {
                            if let Some(code) = v.as_u64().and_then(|c| u16::try_from(c).ok()) {
                                status = code;
                            }
                        }
                        "header" => {
                            if let Some(text) = header_text(model, m.shape_ref, v) {
                                headers.push((m.wire.to_string(), text));
                            }
                        }
                        "headers" => {
                            if let Value::Object(map) = v {
                                for (k, hv) in map {
                                    if let Some(text) = super::scalar_text(hv) {
                                        headers.push((format!("{}{k}", m.wire), text));
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                let payload = model.shape(r).payload.as_deref();
                match payload.map(|p| (sp.member(p), fields.get(p).filter(|v| !v.is_null()))) {
                    Some((Some(m), Some(v))) => match member_kind(model, m.shape_ref) {
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
                            body.reserve(JSON_BODY_CAPACITY);
                            plan.write(m.target, v, &mut body)
                        }
                    },
                    Some(_) => {}
                    None => {
                        body.reserve(JSON_BODY_CAPACITY);
                        plan.write_members(sp, slots, true, &mut body)
                    }
                }
            })
        });
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
    let mut body = Vec::new();
    let mut obj = ObjectWriter::open(&mut body);
    let message = (!err.message.is_empty()).then_some(err.message.as_str());
    // The message goes last, unless a member of the same key came first: it then takes that
    // member's place.
    let mut message_written = false;
    let error_shape = model.error_shape(&err.code);
    match error_shape {
        Some(shape) => {
            let msg_name = shape
                .members
                .keys()
                .find(|k| k.eq_ignore_ascii_case("message"))
                .map(String::as_str)
                .unwrap_or("message");
            body::with_plan(model, |plan| {
                for (name, mref) in &shape.members {
                    if mref.location.is_some() {
                        continue;
                    }
                    let wire = mref.location_name.as_deref().unwrap_or(name);
                    let value = err.fields.get(name);
                    let present = match value {
                        Some(v) => !v.is_null(),
                        None => name == "Type",
                    };
                    if let (Some(m), true) = (message, present && wire == msg_name) {
                        write_raw(m, obj.named(wire));
                        message_written = true;
                    } else if let Some(v) = value {
                        if !v.is_null() {
                            plan.write(plan.target(mref), v, obj.named(wire));
                        }
                    } else if name == "Type" {
                        let fault = if err.sender_fault { "User" } else { "Service" };
                        write_raw(fault, obj.named(wire));
                    }
                }
            });
            if let (Some(m), false) = (message, message_written) {
                write_raw(m, obj.named(msg_name));
            }
        }
        None => {
            for (k, v) in &err.fields {
                match message {
                    Some(m) if k == "message" => {
                        write_raw(m, obj.named(k));
                        message_written = true;
                    }
                    _ => write_raw(v, obj.named(k)),
                }
            }
            if let (Some(m), false) = (message, message_written) {
                write_raw(m, obj.named("message"));
            }
        }
    }
    obj.close();
    let mut headers = vec![
        (REQUEST_ID_HEADER.to_string(), request_id.to_string()),
        ("x-amzn-ErrorType".to_string(), err.code.clone()),
        ("Content-Type".into(), "application/json".into()),
    ];
    if let Some(shape) = error_shape {
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
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::{RouteIndex, UriTemplate};

    /// The index answers what trying every template of the method answers.
    #[test]
    fn route_index_finds_what_trying_every_template_finds() {
        let model = crate::model::pinned("lambda").unwrap().get();
        let index = RouteIndex::new(model);
        let templates: Vec<(&str, UriTemplate)> = model
            .operations
            .values()
            .map(|op| {
                (
                    op.http.method.as_str(),
                    UriTemplate::parse(&op.http.request_uri),
                )
            })
            .collect();
        let brute = |method: &str, path: &str, query: &str| {
            templates
                .iter()
                .enumerate()
                .filter(|(_, (m, t))| {
                    m.eq_ignore_ascii_case(method) && t.matches(path, query).is_some()
                })
                .max_by_key(|(_, (_, t))| t.specificity())
                .map(|(i, _)| i)
        };
        let mut requests = vec![
            ("GET".to_string(), "/".to_string(), String::new()),
            ("GET".into(), "".into(), String::new()),
            ("GET".into(), "/nothing/here".into(), String::new()),
            (
                "PATCH".into(),
                "/2015-03-31/functions".into(),
                String::new(),
            ),
            (
                "get".into(),
                "/2015-03-31/functions/f".into(),
                String::new(),
            ),
        ];
        for op in model.operations.values() {
            let (path, query) = op
                .http
                .request_uri
                .split_once('?')
                .unwrap_or((&op.http.request_uri, ""));
            let concrete = path
                .replace("{FunctionName}", "my-fn")
                .split('{')
                .map(|piece| match piece.split_once('}') {
                    Some((label, rest)) if label.ends_with('+') => format!("a/b{rest}"),
                    Some((_, rest)) => format!("x1{rest}"),
                    None => piece.to_string(),
                })
                .collect::<String>();
            let query = query.to_string();
            for method in [op.http.method.as_str(), "GET", "POST", "DELETE"] {
                requests.push((method.into(), concrete.clone(), query.clone()));
                requests.push((method.into(), format!("{concrete}/"), query.clone()));
                requests.push((method.into(), concrete.clone(), String::new()));
            }
        }
        let mut found = 0;
        for (method, path, query) in &requests {
            let want = brute(method, path, query);
            assert_eq!(
                index.find(method, path, query),
                want,
                "{method} {path}?{query}"
            );
            found += usize::from(want.is_some());
        }
        // Every operation's own request routes somewhere.
        assert!(found >= model.operations.len(), "{found}");
    }

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
        assert_eq!(
            t.matches("/2015-03-31/functions/f/policy/", ""),
            Some(vec![("FunctionName".into(), "f".into())])
        );
        assert_eq!(t.matches("/2015-03-31/functions//policy", ""), None);
        assert_eq!(t.matches("/2015-03-31/functions/f/policyx", ""), None);
        let suffixed = UriTemplate::parse("/{Bucket}/{Key+}/tail");
        assert_eq!(
            suffixed.matches("/b/x/y%2Fz/tail", ""),
            Some(vec![
                ("Bucket".into(), "b".into()),
                ("Key".into(), "x/y/z".into())
            ])
        );
        assert_eq!(suffixed.matches("/b/tail", ""), None);
        // An unclosed brace is literal text.
        let odd = UriTemplate::parse("/a{b");
        assert!(odd.matches("/a{b", "").is_some());
        assert_eq!(odd.specificity(), (0, 4));
        let q = UriTemplate::parse("/2018-10-31/layers?find=LayerVersion");
        assert_eq!(q.matches("/2018-10-31/layers", ""), None);
        assert!(q
            .matches("/2018-10-31/layers", "find=LayerVersion&Arn=x")
            .is_some());
        assert!(q.specificity() > UriTemplate::parse("/2018-10-31/layers").specificity());
    }
}

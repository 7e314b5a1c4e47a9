//! Shapes what the SDK returned as boto3 shows it: ResponseMetadata, errors with their modeled
//! members, botocore's post-processing, timestamp pointers; and catches responses the SDK could
//! not really parse (undecodable bodies, required members it silently defaulted).

use super::capture::Captured;
use super::convert::{Answer, Failure, FailureKind};
use super::model::{ServiceModel, Shape};
use super::xml::{self, Node};
use super::{DispatchError, Outcome};
use base64::Engine as _;
use serde_json::{json, Map, Value};

pub(crate) struct Call<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub model: &'a ServiceModel,
}

impl Call<'_> {
    fn qualified(&self) -> String {
        format!("{}.{}", self.service, self.operation)
    }

    fn is_query(&self) -> bool {
        self.model.protocol == "query"
    }

    pub(crate) fn outcome(
        &self,
        answer: Answer,
        captured: Captured,
    ) -> Result<Outcome, DispatchError> {
        match answer {
            Answer::Output(body) => self.success(body, captured),
            Answer::Failed(f) => self.failure(f, captured),
        }
    }

    fn success(&self, mut body: Value, captured: Captured) -> Result<Outcome, DispatchError> {
        let status = captured.status.unwrap_or(200);
        let raw = captured.body.clone().unwrap_or_default();
        let op = self.model.operations.get(self.operation);
        let output_shape = op.and_then(|o| o.output.as_deref());
        if let Some(shape) = output_shape {
            if let Some(path) = self.defaulted_member(
                shape,
                op.and_then(|o| o.wrapper.as_deref()),
                &mut body,
                &raw,
            ) {
                return Err(self.unparseable(
                    status,
                    format!("member {path} is missing from the response body, but the SDK filled it in with a default value"),
                    &raw,
                ));
            }
            self.post_process(shape, &mut body);
            self.body_payload(shape, &mut body, captured.body.as_deref());
        }
        let mut datetimes = Vec::new();
        if let Some(shape) = output_shape {
            timestamps(self.model, shape, &body, "", &mut datetimes);
        }
        let metadata = self.response_metadata(status, &captured, &raw);
        if let Value::Object(map) = &mut body {
            map.insert("ResponseMetadata".into(), metadata);
        }
        Ok(Outcome {
            body,
            status,
            error_code: None,
            datetimes,
        })
    }

    fn failure(&self, f: Failure, captured: Captured) -> Result<Outcome, DispatchError> {
        let status = f.status.or(captured.status).unwrap_or(0);
        let raw = f
            .raw_body
            .clone()
            .or_else(|| captured.body.clone())
            .unwrap_or_default();
        match f.kind {
            FailureKind::Transport => {
                return Err(DispatchError::Transport {
                    operation: self.qualified(),
                    message: f.detail,
                })
            }
            // Input problems are caught by validation first; what remains here is the setup
            // (credentials, endpoint resolution, signing), not the scenario's input.
            FailureKind::Construction => {
                return Err(DispatchError::Transport {
                    operation: self.qualified(),
                    message: format!("the SDK could not prepare the request: {}", f.detail),
                })
            }
            FailureKind::Response => return Err(self.unparseable(status, f.detail, &raw)),
            FailureKind::Service => {}
        }
        // botocore: an awsQuery error shows Message only when the XML has one; restJson always
        // has it (possibly empty or null, see json_error_message); a body without any code gets
        // the status and reason phrase.
        let (code, message) = match f.code {
            Some(code) if self.is_query() => (code, f.message.map(Value::String)),
            Some(code) => (code, Some(self.json_error_message(f.message, &raw))),
            // No code on a 2xx: a success body the SDK could not parse.
            None if (200..300).contains(&status) => {
                return Err(self.unparseable(status, f.detail, &raw))
            }
            None => (
                status.to_string(),
                Some(Value::String(
                    f.message
                        .unwrap_or_else(|| reason_phrase(status).to_string()),
                )),
            ),
        };
        let mut error = Map::new();
        error.insert("Code".into(), json!(code));
        if let Some(message) = message {
            error.insert("Message".into(), message);
        }
        let mut body = Map::new();
        let mut datetimes = Vec::new();
        if self.is_query() {
            // The SDK does not parse <Type>Sender</Type>; boto3 shows it.
            if let Some(t) = xml::parse(&raw)
                .and_then(|root| root.find("Type").map(|n| n.text.trim().to_string()))
            {
                error.insert("Type".into(), json!(t));
            }
            body.insert("Error".into(), Value::Object(error));
        } else {
            body.insert("Error".into(), Value::Object(error));
            // restJson: boto3 adds the modeled error shape's members found in the body.
            if let (Some(shape_name), Ok(Value::Object(raw_json))) = (
                self.model.errors.get(&code),
                serde_json::from_slice::<Value>(&raw),
            ) {
                if let Some(shape) = self.model.shape(shape_name) {
                    for (name, m) in &shape.members {
                        if m.location.is_some() {
                            continue;
                        }
                        // botocore leaves out members whose JSON value is null
                        if let Some(v) = raw_json
                            .get(m.name.as_deref().unwrap_or(name))
                            .filter(|v| !v.is_null())
                        {
                            body.insert(name.clone(), v.clone());
                        }
                    }
                    let value = Value::Object(body.clone());
                    timestamps(self.model, shape_name, &value, "", &mut datetimes);
                }
            }
        }
        body.insert(
            "ResponseMetadata".into(),
            self.response_metadata(status, &captured, &raw),
        );
        Ok(Outcome {
            body: Value::Object(body),
            status,
            error_code: Some(code),
            datetimes,
        })
    }

    /// botocore's JSON error message: the body's `message`, else its `Message`, else `""`,
    /// taken as it is (AWS answers some errors with `"Message": null`, which boto3 shows as
    /// `None`). A body that is not a JSON object: the SDK's message.
    fn json_error_message(&self, sdk_message: Option<String>, raw: &[u8]) -> Value {
        match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(body)) => body
                .get("message")
                .or_else(|| body.get("Message"))
                .cloned()
                .unwrap_or_else(|| json!("")),
            _ => json!(sdk_message.unwrap_or_default()),
        }
    }

    fn unparseable(&self, status: u16, error: String, raw: &[u8]) -> DispatchError {
        DispatchError::Unparseable {
            operation: self.qualified(),
            status,
            error,
            raw_body: String::from_utf8_lossy(raw).into_owned(),
        }
    }

    fn response_metadata(&self, status: u16, captured: &Captured, raw: &[u8]) -> Value {
        let mut headers = Map::new();
        for (k, v) in &captured.headers {
            match headers.get_mut(k) {
                // botocore joins repeated headers with ", "
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(v);
                }
                _ => {
                    headers.insert(k.clone(), json!(v));
                }
            }
        }
        let request_id = ["x-amzn-requestid", "x-amz-request-id"]
            .iter()
            .find_map(|h| headers.get(*h).and_then(Value::as_str).map(str::to_string))
            .or_else(|| {
                if !self.is_query() {
                    return None;
                }
                xml::parse(raw)
                    .and_then(|root| root.find("RequestId").map(|n| n.text.trim().to_string()))
            });
        let mut m = Map::new();
        if let Some(id) = request_id {
            m.insert("RequestId".into(), json!(id));
        }
        m.insert("HTTPStatusCode".into(), json!(status));
        m.insert("HTTPHeaders".into(), Value::Object(headers));
        m.insert("RetryAttempts".into(), json!(0));
        Value::Object(m)
    }

    /// The first required member present in the SDK's output but absent from the raw body: the
    /// SDK defaulted it (`Arn: ""`, `CreateDate: 1970-01-01`) instead of failing. Optional
    /// members it defaulted are removed on the way.
    fn defaulted_member(
        &self,
        shape: &str,
        wrapper: Option<&str>,
        body: &mut Value,
        raw: &[u8],
    ) -> Option<String> {
        if self.is_query() {
            let wrapper = wrapper?;
            let root = xml::parse(raw)?;
            let result = root.child(wrapper);
            let empty = Node::default();
            xml_missing(self.model, shape, body, result.unwrap_or(&empty), "")
        } else {
            let s = self.model.shape(shape)?;
            let raw_json: Value = if raw.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(raw).ok()?
            };
            if let Some(payload) = &s.payload {
                let m = s.members.get(payload)?;
                let target = self.model.shape(&m.shape)?;
                return match (target.kind.as_str(), body.get_mut(payload)) {
                    ("structure", Some(v)) => {
                        json_missing(self.model, &m.shape, v, &raw_json, payload)
                    }
                    _ => None,
                };
            }
            json_missing(self.model, shape, body, &raw_json, "")
        }
    }

    /// botocore's after-call handlers, mirrored.
    fn post_process(&self, shape: &str, body: &mut Value) {
        match (self.service, self.operation) {
            ("iam", _) => decode_policies(self.model, shape, body),
            ("cloudformation", "GetTemplate") => {
                if let Some(Value::String(t)) = body.get("TemplateBody") {
                    if let Ok(parsed) = serde_json::from_str::<Value>(t) {
                        body["TemplateBody"] = parsed;
                    }
                }
            }
            _ => {}
        }
    }

    /// botocore reads a string or blob payload member (Lambda's `Invoke` `Payload`) from the
    /// whole body as text, so it is always there: `""` for an empty body (Event 202, DryRun
    /// 204), where the SDK leaves the member out. Text, not bytes: that is how boto3 users (and
    /// the recordings) read the stream.
    fn body_payload(&self, shape: &str, body: &mut Value, raw: Option<&[u8]>) {
        let Some(s) = self.model.shape(shape) else {
            return;
        };
        let Some(name) = s.payload.as_deref() else {
            return;
        };
        let Some((target, _)) = member_shape(self.model, s, name) else {
            return;
        };
        if !matches!(target.kind.as_str(), "blob" | "string") {
            return;
        }
        let text = match (raw, body.get(name)) {
            (Some(raw), _) => String::from_utf8_lossy(raw).into_owned(),
            // No captured body (should not happen): the SDK's value, blobs being base64.
            (None, Some(Value::String(v))) if target.kind == "blob" => {
                match base64::engine::general_purpose::STANDARD.decode(v) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => v.clone(),
                }
            }
            (None, Some(Value::String(v))) => v.clone(),
            (None, _) => String::new(),
        };
        if let Value::Object(map) = body {
            map.insert(name.to_string(), json!(text));
        }
    }
}

fn member_shape<'m>(
    model: &'m ServiceModel,
    shape: &Shape,
    name: &str,
) -> Option<(&'m Shape, &'m str)> {
    let m = shape.members.get(name)?;
    let target = model.shapes.get_key_value(&m.shape)?;
    Some((target.1, target.0.as_str()))
}

/// Walks the SDK's output beside the raw awsQuery body. A member the body lacks was invented by
/// the SDK: a required one is returned (a parity failure), an optional one (a primitive the SDK
/// defaults, e.g. `CodeSize: 0`) is removed, since boto3 would not show it.
fn xml_missing(
    model: &ServiceModel,
    shape_name: &str,
    v: &mut Value,
    node: &Node,
    path: &str,
) -> Option<String> {
    let shape = model.shape(shape_name)?;
    match (shape.kind.as_str(), v) {
        ("structure", Value::Object(map)) => {
            let mut invented = Vec::new();
            for (k, x) in map.iter_mut() {
                let Some(m) = shape.members.get(k) else {
                    continue;
                };
                let p = super::convert::child_path(path, k);
                match node.child(m.name.as_deref().unwrap_or(k)) {
                    None if shape.required.contains(k) => return Some(p),
                    None => invented.push(k.clone()),
                    Some(c) => {
                        if let Some(missing) = xml_missing(model, &m.shape, x, c, &p) {
                            return Some(missing);
                        }
                    }
                }
            }
            invented.iter().for_each(|k| {
                map.shift_remove(k);
            });
            None
        }
        ("list", Value::Array(items)) => {
            let member = shape.member.as_deref()?;
            let elems: Vec<&Node> = node.children_named("member").collect();
            for (i, x) in items.iter_mut().enumerate() {
                let p = format!("{path}[{i}]");
                match elems.get(i) {
                    None => return Some(p),
                    Some(c) => {
                        if let Some(missing) = xml_missing(model, member, x, c, &p) {
                            return Some(missing);
                        }
                    }
                }
            }
            None
        }
        ("map", Value::Object(map)) => {
            let value_shape = shape.value.as_deref()?;
            for (k, x) in map.iter_mut() {
                let p = super::convert::child_path(path, k);
                let entry = node
                    .children_named("entry")
                    .find(|e| e.child("key").is_some_and(|key| key.text.trim() == k));
                match entry.and_then(|e| e.child("value")) {
                    None => return Some(p),
                    Some(c) => {
                        if let Some(missing) = xml_missing(model, value_shape, x, c, &p) {
                            return Some(missing);
                        }
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// As `xml_missing`, for a restJson1 body.
fn json_missing(
    model: &ServiceModel,
    shape_name: &str,
    v: &mut Value,
    raw: &Value,
    path: &str,
) -> Option<String> {
    let shape = model.shape(shape_name)?;
    match (shape.kind.as_str(), v, raw) {
        ("structure", Value::Object(map), Value::Object(raw_map)) => {
            let mut invented = Vec::new();
            for (k, x) in map.iter_mut() {
                let Some(m) = shape.members.get(k) else {
                    continue;
                };
                if m.location.is_some() {
                    continue; // header, status code: not in the body
                }
                let p = super::convert::child_path(path, k);
                match raw_map.get(m.name.as_deref().unwrap_or(k)) {
                    None | Some(Value::Null) if shape.required.contains(k) => return Some(p),
                    None | Some(Value::Null) => invented.push(k.clone()),
                    Some(r) => {
                        if let Some(missing) = json_missing(model, &m.shape, x, r, &p) {
                            return Some(missing);
                        }
                    }
                }
            }
            invented.iter().for_each(|k| {
                map.shift_remove(k);
            });
            None
        }
        ("list", Value::Array(items), Value::Array(raw_items)) => {
            let member = shape.member.as_deref()?;
            items
                .iter_mut()
                .zip(raw_items)
                .enumerate()
                .find_map(|(i, (x, r))| json_missing(model, member, x, r, &format!("{path}[{i}]")))
        }
        ("map", Value::Object(map), Value::Object(raw_map)) => {
            let value_shape = shape.value.as_deref()?;
            map.iter_mut().find_map(|(k, x)| {
                let p = super::convert::child_path(path, k);
                match raw_map.get(k) {
                    None => Some(p),
                    Some(r) => json_missing(model, value_shape, x, r, &p),
                }
            })
        }
        _ => None,
    }
}

/// RFC 6901 pointers of every timestamp member in `v`.
fn timestamps(
    model: &ServiceModel,
    shape_name: &str,
    v: &Value,
    pointer: &str,
    out: &mut Vec<String>,
) {
    let Some(shape) = model.shape(shape_name) else {
        return;
    };
    let escape = |s: &str| s.replace('~', "~0").replace('/', "~1");
    match (shape.kind.as_str(), v) {
        ("timestamp", Value::String(_) | Value::Number(_)) => out.push(pointer.to_string()),
        ("structure", Value::Object(map)) => {
            for (k, x) in map {
                if let Some(m) = shape.members.get(k) {
                    timestamps(model, &m.shape, x, &format!("{pointer}/{}", escape(k)), out);
                }
            }
        }
        ("list", Value::Array(items)) => {
            if let Some(member) = &shape.member {
                for (i, x) in items.iter().enumerate() {
                    timestamps(model, member, x, &format!("{pointer}/{i}"), out);
                }
            }
        }
        ("map", Value::Object(map)) => {
            if let Some(value) = &shape.value {
                for (k, x) in map {
                    timestamps(model, value, x, &format!("{pointer}/{}", escape(k)), out);
                }
            }
        }
        _ => {}
    }
}

/// IAM policy documents arrive URL-encoded; boto3 shows them decoded and parsed (botocore's
/// `json_decode_policies`: structures and lists are walked, maps are not; text that is not JSON
/// stays as it was).
fn decode_policies(model: &ServiceModel, shape_name: &str, v: &mut Value) {
    let Some(shape) = model.shape(shape_name) else {
        return;
    };
    match (shape.kind.as_str(), v) {
        ("structure", Value::Object(map)) => {
            for (k, x) in map.iter_mut() {
                let Some((target, target_name)) = member_shape(model, shape, k) else {
                    continue;
                };
                if target.kind == "string" && target_name == "policyDocumentType" {
                    if let Value::String(s) = x {
                        let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
                        if let Ok(parsed) = serde_json::from_str::<Value>(&decoded) {
                            *x = parsed;
                        }
                    }
                } else {
                    decode_policies(model, target_name, x);
                }
            }
        }
        ("list", Value::Array(items)) => {
            if let Some(member) = &shape.member {
                for x in items {
                    decode_policies(model, member, x);
                }
            }
        }
        _ => {}
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

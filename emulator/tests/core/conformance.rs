//! botocore's protocol test suites (query and rest-json, input and output) against the protocol
//! layer, server side: every request case parses to its params; every response case's result
//! serializes to a body, status and headers equivalent to the case's response. A case either
//! passes or is listed, with its reason, in `tests/conformance-exceptions.txt`; a listed case
//! that passes fails the test too, so the list cannot go stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::Engine;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use paritytest_emulator::model::{Model, ShapeRef, ShapeType};
use paritytest_emulator::protocol::{self, timestamp, HttpRequest, HttpResponse};
use paritytest_emulator::AwsError;
use serde_json::{json, Value};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/protocol-tests")
}

/// `suite case-id` → reason, from the exceptions file.
fn exceptions() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance-exceptions.txt");
    let text = std::fs::read_to_string(&path).expect("conformance-exceptions.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, reason) = l
                .split_once('#')
                .expect("each exception needs a '# reason'");
            let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
            (key, reason.trim().to_string())
        })
        .collect()
}

fn case_model(suite: &Value, case: &Value) -> Model {
    let given = &case["given"];
    let name = given["name"].as_str().unwrap();
    Model::from_parts(
        &suite["metadata"],
        &json!({ name: given }),
        &suite["shapes"],
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// botocore's param conventions (epoch timestamps, raw blob text) → the handler's (RFC 3339,
/// base64).
fn to_handler(model: &Model, r: &ShapeRef, v: &Value) -> Value {
    let shape = model.shape(r);
    match (shape.kind, v) {
        _ if shape.document => v.clone(),
        // A null param means "not sent".
        (ShapeType::Structure, Value::Object(o)) => Value::Object(
            o.iter()
                .filter(|(_, fv)| !fv.is_null())
                .map(|(k, fv)| match shape.members.get(k) {
                    Some(m) => (k.clone(), to_handler(model, m, fv)),
                    None => (k.clone(), fv.clone()),
                })
                .collect(),
        ),
        (ShapeType::List, Value::Array(a)) => {
            let m = shape.member.as_deref().unwrap();
            Value::Array(a.iter().map(|i| to_handler(model, m, i)).collect())
        }
        (ShapeType::Map, Value::Object(o)) => {
            let m = shape.value.as_deref().unwrap();
            Value::Object(
                o.iter()
                    .map(|(k, i)| (k.clone(), to_handler(model, m, i)))
                    .collect(),
            )
        }
        (ShapeType::Timestamp, _) => timestamp::to_handler(v).unwrap_or_else(|| v.clone()),
        (ShapeType::Blob, Value::String(s)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        _ => v.clone(),
    }
}

/// JSON equality with numbers compared as floats (1 == 1.0).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_eq(v, w))
        }
        _ => a == b,
    }
}

fn headers_of(v: &Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Value::Object(h) = v {
        for (k, val) in h {
            let name = HeaderName::from_bytes(k.as_bytes()).unwrap();
            map.append(name, HeaderValue::from_str(val.as_str().unwrap()).unwrap());
        }
    }
    map
}

fn check_input(suite: &Value, case: &Value) -> Result<(), String> {
    let model = case_model(suite, case);
    let op = model.operations.values().next().unwrap();
    let ser = &case["serialized"];
    let uri = ser["uri"].as_str().unwrap();
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let headers = headers_of(&ser["headers"]);
    let body = ser["body"].as_str().unwrap_or("").as_bytes().to_vec();
    let method = ser["method"].as_str().unwrap();
    if model.protocol == paritytest_emulator::model::Protocol::RestJson {
        let template = protocol::rest_json::UriTemplate::parse(&op.http.request_uri);
        if template.matches(path, query).is_none() {
            return Err(format!(
                "{method} {uri} does not match {}",
                op.http.request_uri
            ));
        }
    }
    let req = HttpRequest {
        method,
        path,
        query,
        headers: &headers,
        body: &body,
    };
    let parsed = protocol::parse_request(&model, op, &req).map_err(|e| format!("{e:?}"))?;
    let expected = match &op.input {
        Some(r) => to_handler(&model, r, &case["params"]),
        None => json!({}),
    };
    if json_eq(&parsed, &expected) {
        Ok(())
    } else {
        Err(format!("parsed {parsed}\n   expected {expected}"))
    }
}

fn check_output(suite: &Value, case: &Value) -> Result<(), String> {
    let model = case_model(suite, case);
    let op = model.operations.values().next().unwrap();
    let response = &case["response"];
    let status = response["status_code"].as_u64().unwrap() as u16;
    let actual: HttpResponse = if let Some(code) = case["errorCode"].as_str() {
        let mut fields = case["error"].as_object().cloned().unwrap_or_default();
        let message = case["errorMessage"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                let key = fields
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("message"))
                    .cloned()?;
                fields
                    .remove(&key)
                    .and_then(|v| v.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let mut err = AwsError::new(code, message, status);
        if model.error_shape(code).is_some() {
            let r = ShapeRef {
                shape: error_shape_name(&model, code),
                ..Default::default()
            };
            if let Value::Object(conv) = to_handler(&model, &r, &Value::Object(fields.clone())) {
                fields = conv;
            }
        }
        err.fields = fields;
        protocol::serialize_error(&model, &err, "request-id")
    } else {
        let output = match &op.output {
            Some(r) => to_handler(&model, r, &case["result"]),
            None => json!({}),
        };
        protocol::serialize_response(&model, op, &output, "request-id")
    };
    if actual.status != status {
        return Err(format!("status {} != {status}", actual.status));
    }
    if let Value::Object(h) = &response["headers"] {
        for (k, v) in h {
            // Content-Type and Content-Length do not change what the SDK parses.
            if k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("content-length") {
                continue;
            }
            if actual.header(k) != v.as_str() {
                return Err(format!("header {k}: {:?} != {v}", actual.header(k)));
            }
        }
    }
    let expected_body = response["body"].as_str().unwrap_or("");
    let actual_body = String::from_utf8_lossy(&actual.body).into_owned();
    if model.protocol == paritytest_emulator::model::Protocol::Query {
        let a = xml_tree(&actual_body)?;
        if expected_body.trim().is_empty() {
            // No body expected: the envelope may be there, but it must carry no values.
            return if has_text(&a) {
                Err(format!("unexpected values in {a:?}"))
            } else {
                Ok(())
            };
        }
        let e = xml_tree(expected_body)?;
        if a != e {
            return Err(format!(
                "XML differs:\n   actual   {a:?}\n   expected {e:?}"
            ));
        }
        return Ok(());
    }
    let payload_raw = op
        .output
        .as_ref()
        .and_then(|r| model.shape(r).payload.as_ref().map(|p| (r, p)))
        .map(|(r, p)| model.shape(&model.shape(r).members[p]).kind)
        .is_some_and(|k| matches!(k, ShapeType::Blob | ShapeType::String));
    if payload_raw
        || case["errorCode"].is_null() && expected_body.trim().is_empty() && actual_body.is_empty()
    {
        return if actual_body == expected_body {
            Ok(())
        } else {
            Err(format!("body {actual_body:?} != {expected_body:?}"))
        };
    }
    let parse = |s: &str| -> Result<Value, String> {
        if s.trim().is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_str(s).map_err(|e| format!("{e}: {s}"))
        }
    };
    let (a, e) = (parse(&actual_body)?, parse(expected_body)?);
    if json_eq(&a, &e) {
        Ok(())
    } else {
        Err(format!("JSON differs:\n   actual   {a}\n   expected {e}"))
    }
}

fn error_shape_name(model: &Model, code: &str) -> String {
    model
        .shapes
        .iter()
        .find(|(name, s)| {
            (s.exception || s.error.is_some())
                && s.error
                    .as_ref()
                    .and_then(|e| e.code.as_deref())
                    .unwrap_or(name)
                    == code
        })
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| code.to_string())
}

/// An XML element as a comparable tree: local name, attributes (namespace declarations
/// excluded), trimmed text, children in a canonical order (by name, stable, so repeated elements
/// keep their order). Request ids are dropped: they are per response.
#[derive(Debug, PartialEq)]
struct Node {
    name: String,
    attrs: BTreeSet<(String, String)>,
    text: String,
    children: Vec<Node>,
}

fn xml_tree(text: &str) -> Result<Node, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        attrs: BTreeSet::new(),
        text: String::new(),
        children: vec![],
    }];
    let start = |e: &quick_xml::events::BytesStart| -> Result<Node, String> {
        let mut attrs = BTreeSet::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
            attrs.insert((key, value));
        }
        Ok(Node {
            name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            attrs,
            text: String::new(),
            children: vec![],
        })
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("bad XML: {e}: {text}"))?
        {
            Event::Start(e) => stack.push(start(&e)?),
            Event::Empty(e) => {
                let node = start(&e)?;
                stack.last_mut().unwrap().children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().unwrap();
                stack
                    .last_mut()
                    .ok_or("unbalanced XML")?
                    .children
                    .push(node);
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|e| e.to_string())?;
                stack.last_mut().unwrap().text.push_str(&t);
            }
            Event::CData(t) => {
                stack
                    .last_mut()
                    .unwrap()
                    .text
                    .push_str(&String::from_utf8_lossy(&t));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or("empty XML")?;
    canonical(&mut root);
    root.children
        .pop()
        .ok_or_else(|| "no root element".to_string())
}

fn has_text(node: &Node) -> bool {
    !node.text.is_empty() || node.children.iter().any(has_text)
}

fn canonical(node: &mut Node) {
    // Leaf text is significant, surrounding spaces included, unless it is only whitespace.
    if !node.children.is_empty() || node.text.trim().is_empty() {
        node.text = node.text.trim().to_string();
    }
    node.children
        .retain(|c| c.name != "ResponseMetadata" && c.name != "RequestId");
    node.children.sort_by(|a, b| a.name.cmp(&b.name));
    for c in &mut node.children {
        canonical(c);
    }
}

#[test]
fn botocore_protocol_suites() {
    let exceptions = exceptions();
    let mut seen = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut report = Vec::new();
    for (dir, file) in [
        ("input", "query"),
        ("input", "rest-json"),
        ("output", "query"),
        ("output", "rest-json"),
    ] {
        let suites: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(models_dir().join(dir).join(format!("{file}.json"))).unwrap(),
        )
        .unwrap();
        let (mut pass, mut excused) = (0, 0);
        for suite in &suites {
            for case in suite["cases"].as_array().unwrap() {
                let key = format!("{dir}/{file} {}", case["id"].as_str().unwrap());
                let outcome = if dir == "input" {
                    check_input(suite, case)
                } else {
                    check_output(suite, case)
                };
                seen.insert(key.clone());
                match (outcome, exceptions.contains_key(&key)) {
                    (Ok(()), false) => pass += 1,
                    (Err(_), true) => excused += 1,
                    (Ok(()), true) => {
                        unexpected.push(format!("{key}: passes but is listed as an exception"))
                    }
                    (Err(e), false) => {
                        let short: String = e.chars().take(700).collect();
                        unexpected.push(format!("{key}: {short}"))
                    }
                }
            }
        }
        report.push(format!(
            "{dir}/{file}: {pass} pass, {excused} listed exceptions"
        ));
    }
    for key in exceptions.keys() {
        if !seen.contains(key) {
            unexpected.push(format!("{key}: listed but no such case"));
        }
    }
    println!("botocore protocol conformance:\n  {}", report.join("\n  "));
    assert!(
        unexpected.is_empty(),
        "{} unexpected results:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}

//! The model-driven protocol layer: wire requests to handler JSON and handler JSON back to wire
//! responses, for awsQuery (`query`) and restJson1 (`rest_json`).
//!
//! Everything here works from a [`Model`] given at runtime; nothing is specific to one service.

pub mod query;
pub mod rest_json;
pub mod timestamp;
pub mod xml;

use hyper::header::HeaderMap;
use serde_json::Value;

use crate::model::{Model, Operation, Protocol};
use crate::service::AwsError;

/// The parts of an HTTP request the protocol layer reads.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The raw (still percent-encoded) path.
    pub path: &'a str,
    /// The raw query string without `?` (empty when absent).
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A wire response, independent of the HTTP server.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The header carrying the request id in every response.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Parse a routed request into the handler's input object.
pub fn parse_request(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    match model.protocol {
        Protocol::Query => {
            let params = query::Params::from_request(req);
            query::parse_input(model, op, &params)
        }
        Protocol::RestJson => rest_json::parse_input(model, op, req),
    }
}

/// Serialize a handler's output object.
pub fn serialize_response(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    match model.protocol {
        Protocol::Query => query::serialize_output(model, op, output, request_id),
        Protocol::RestJson => rest_json::serialize_output(model, op, output, request_id),
    }
}

/// Serialize an error in the protocol's error format.
pub fn serialize_error(model: &Model, err: &AwsError, request_id: &str) -> HttpResponse {
    match model.protocol {
        Protocol::Query => query::serialize_error(model, err, request_id),
        Protocol::RestJson => rest_json::serialize_error(model, err, request_id),
    }
}

/// Scalar text for the wire (query form values, XML text, headers, URI labels).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

//! JSON ↔ SDK values. The generated code implements these traits per SDK type; this module has
//! the scalars, collections and the glue that runs one call.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::{Blob, DateTime};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

pub(crate) use super::capture::Capture;

/// A value that does not fit the SDK type (validation normally catches it first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConvError {
    pub path: String,
    pub message: String,
}

impl ConvError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> ConvError {
        ConvError {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub(crate) trait FromJson: Sized {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError>;
}

pub(crate) trait ToJson {
    fn to_json(&self) -> Value;
}

/// Map keys: strings, or enums (their string value).
pub(crate) trait MapKey: Sized + Eq + std::hash::Hash {
    fn from_key(k: &str) -> Self;
    fn key(&self) -> &str;
}

/// `a.b` / `a[0]` style paths, as in validation messages.
pub(crate) fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The members of one JSON object, read by name into SDK setters.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn of(v: &'a Value, path: &str) -> Result<Fields<'a>, ConvError> {
        match v {
            Value::Object(map) => Ok(Fields {
                map,
                path: path.to_string(),
            }),
            other => Err(ConvError::new(
                path,
                format!("expected an object, got {}", kind(other)),
            )),
        }
    }

    pub(crate) fn get<T: FromJson>(&self, name: &str) -> Result<Option<T>, ConvError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::from_json(v, &child_path(&self.path, name)).map(Some),
        }
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, v: &Value, path: &str) -> ConvError {
    ConvError::new(path, format!("expected {what}, got {}", kind(v)))
}

/// Result of a fallible SDK `build()` (nested structures with required members).
pub(crate) fn built<T>(
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
    path: &str,
) -> Result<T, ConvError> {
    r.map_err(|e| ConvError::new(path, e.to_string()))
}

/// The single member set in a union object, with its path.
pub(crate) fn union_member<'v>(
    v: &'v Value,
    path: &str,
) -> Result<(&'v str, &'v Value, String), ConvError> {
    let Value::Object(map) = v else {
        return Err(expected("an object", v, path));
    };
    let mut set = map.iter().filter(|(_, v)| !v.is_null());
    match (set.next(), set.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v, child_path(path, k))),
        _ => Err(ConvError::new(
            path,
            "exactly one member of this union must be set",
        )),
    }
}

impl FromJson for String {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| expected("a string", v, path))
    }
}

impl FromJson for bool {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        v.as_bool().ok_or_else(|| expected("a boolean", v, path))
    }
}

impl FromJson for i64 {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        v.as_i64()
            .ok_or_else(|| expected("an integer (64-bit)", v, path))
    }
}

impl FromJson for i32 {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        v.as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| expected("an integer (32-bit)", v, path))
    }
}

impl FromJson for f64 {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        v.as_f64().ok_or_else(|| expected("a number", v, path))
    }
}

impl FromJson for f32 {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        f64::from_json(v, path).map(|f| f as f32)
    }
}

/// ISO 8601 text (with `Z` or an offset) or epoch seconds, as boto3 accepts them.
pub(crate) fn parse_timestamp(v: &Value) -> Option<DateTime> {
    match v {
        Value::String(s) => DateTime::from_str(s, Format::DateTime)
            .or_else(|_| DateTime::from_str(s, Format::DateTimeWithOffset))
            .ok(),
        Value::Number(n) => n.as_f64().map(DateTime::from_secs_f64),
        _ => None,
    }
}

impl FromJson for DateTime {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        parse_timestamp(v)
            .ok_or_else(|| expected("an ISO 8601 timestamp or epoch seconds", v, path))
    }
}

/// A blob given as plain text (its UTF-8 bytes, as boto3 sends a str) or `{base64: "..."}`.
pub(crate) fn blob_bytes(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Object(m) if m.len() == 1 => match m.get("base64") {
            Some(Value::String(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| format!("invalid base64: {e}")),
            _ => Err("expected text or {base64: \"...\"}".into()),
        },
        other => Err(format!(
            "expected text or {{base64: \"...\"}}, got {}",
            kind(other)
        )),
    }
}

impl FromJson for Blob {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        blob_bytes(v)
            .map(Blob::new)
            .map_err(|m| ConvError::new(path, m))
    }
}

impl FromJson for aws_smithy_types::byte_stream::ByteStream {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        blob_bytes(v)
            .map(Into::into)
            .map_err(|m| ConvError::new(path, m))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        let items = v.as_array().ok_or_else(|| expected("a list", v, path))?;
        items
            .iter()
            .enumerate()
            .map(|(i, x)| T::from_json(x, &format!("{path}[{i}]")))
            .collect()
    }
}

impl<K: MapKey, V: FromJson> FromJson for HashMap<K, V> {
    fn from_json(v: &Value, path: &str) -> Result<Self, ConvError> {
        let map = v
            .as_object()
            .ok_or_else(|| expected("an object", v, path))?;
        map.iter()
            .map(|(k, x)| Ok((K::from_key(k), V::from_json(x, &child_path(path, k))?)))
            .collect()
    }
}

impl MapKey for String {
    fn from_key(k: &str) -> Self {
        k.to_string()
    }
    fn key(&self) -> &str {
        self
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for i32 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        // JSON has no NaN/Infinity: show them as botocore's float repr would print them.
        serde_json::Number::from_f64(*self)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(self.to_string()))
    }
}

impl ToJson for f32 {
    fn to_json(&self) -> Value {
        f64::from(*self).to_json()
    }
}

impl ToJson for DateTime {
    fn to_json(&self) -> Value {
        match self.fmt(Format::DateTime) {
            Ok(s) => Value::String(s),
            Err(_) => Value::from(self.secs()),
        }
    }
}

impl ToJson for Blob {
    fn to_json(&self) -> Value {
        Value::String(base64::engine::general_purpose::STANDARD.encode(self.as_ref()))
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: ToJson> ToJson for Box<T> {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<K: MapKey, V: ToJson> ToJson for HashMap<K, V> {
    fn to_json(&self) -> Value {
        // sorted keys: stable snapshots
        let mut entries: Vec<(&K, &V)> = self.iter().collect();
        entries.sort_by(|a, b| a.0.key().cmp(b.0.key()));
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.key().to_string(), v.to_json()))
                .collect(),
        )
    }
}

/// An output object under construction; absent (`None`) members are left out, as boto3 does.
#[derive(Default)]
pub(crate) struct Obj(Map<String, Value>);

impl Obj {
    pub(crate) fn put<T: ToJson + ?Sized>(&mut self, name: &str, v: &T) {
        let v = v.to_json();
        if !v.is_null() {
            self.0.insert(name.to_string(), v);
        }
    }

    pub(crate) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// JSON conversions for SDK enums (every one has `From<&str>` and `as_str()`; unknown values
/// round-trip through its `Unknown` variant).
macro_rules! enum_json {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::dispatch::convert::ToJson for $t {
            fn to_json(&self) -> ::serde_json::Value {
                ::serde_json::Value::from(self.as_str())
            }
        }
        impl $crate::dispatch::convert::FromJson for $t {
            fn from_json(
                v: &::serde_json::Value,
                path: &str,
            ) -> ::std::result::Result<Self, $crate::dispatch::convert::ConvError> {
                <String as $crate::dispatch::convert::FromJson>::from_json(v, path).map(|s| <$t>::from(s.as_str()))
            }
        }
        impl $crate::dispatch::convert::MapKey for $t {
            fn from_key(k: &str) -> Self {
                <$t>::from(k)
            }
            fn key(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}
pub(crate) use enum_json;

/// What one SDK call produced, before it is shaped as boto3 shows it.
#[derive(Debug)]
pub(crate) enum Answer {
    Output(Value),
    Failed(Failure),
}

#[derive(Debug)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub code: Option<String>,
    pub message: Option<String>,
    pub status: Option<u16>,
    pub raw_body: Option<Vec<u8>>,
    /// The error with its whole source chain (deserializer errors live there).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FailureKind {
    Service,
    Response,
    Construction,
    Transport,
}

pub(crate) type CallFuture = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// Boxes one operation's send future; every generated match arm goes through here.
pub(crate) fn go<O, E, F>(send: F) -> CallFuture
where
    F: Future<Output = Result<O, SdkError<E, HttpResponse>>> + Send + 'static,
    O: ToJson + 'static,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Box::pin(async move {
        match send.await {
            Ok(output) => Answer::Output(output.to_json()),
            Err(e) => Answer::Failed(failure(e)),
        }
    })
}

fn failure<E>(e: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (status, raw_body) = match e.raw_response() {
        Some(r) => (
            Some(r.status().as_u16()),
            r.body().bytes().map(<[u8]>::to_vec),
        ),
        None => (None, None),
    };
    let (kind, code, message) = match &e {
        SdkError::ServiceError(s) => (
            FailureKind::Service,
            s.err().code().map(str::to_string),
            s.err().message().map(str::to_string),
        ),
        SdkError::ResponseError(_) => (FailureKind::Response, None, None),
        SdkError::ConstructionFailure(_) => (FailureKind::Construction, None, None),
        _ => (FailureKind::Transport, None, None),
    };
    Failure {
        kind,
        code,
        message,
        status,
        raw_body,
        detail: DisplayErrorContext(&e).to_string(),
    }
}

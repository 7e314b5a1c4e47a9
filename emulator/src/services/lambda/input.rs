//! Typed reads of a handler's JSON input (members by model name).

use serde_json::{Map, Value};

use super::errors;
use crate::service::AwsError;

pub struct Input<'a> {
    value: &'a Value,
}

impl<'a> Input<'a> {
    pub fn new(value: &'a Value) -> Self {
        Input { value }
    }
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }
    /// A required member; the protocol layer normally enforces presence, this keeps the
    /// in-process path (CloudFormation) from panicking on bad input.
    pub fn req_str(&self, key: &str) -> Result<&'a str, AwsError> {
        self.str(key)
            .ok_or_else(|| errors::invalid_parameter(format!("Missing required parameter: {key}")))
    }
    pub fn i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
    pub fn obj(&self, key: &str) -> Option<&'a Map<String, Value>> {
        self.get(key).and_then(Value::as_object)
    }
    pub fn array(&self, key: &str) -> Option<&'a Vec<Value>> {
        self.get(key).and_then(Value::as_array)
    }
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        self.array(key).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
    }
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

//! The model subset the generator embeds (generated/<service>.model.json): what the runtime
//! validates inputs against and walks outputs with.

use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
pub(crate) struct ServiceModel {
    pub protocol: String,
    pub operations: IndexMap<String, OperationModel>,
    /// error code → error shape
    pub errors: HashMap<String, String>,
    pub shapes: HashMap<String, Shape>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OperationModel {
    pub input: Option<String>,
    pub output: Option<String>,
    /// awsQuery: the element wrapping the output members (`CreateUserResult`).
    pub wrapper: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub members: IndexMap<String, Member>,
    #[serde(default)]
    pub required: Vec<String>,
    pub member: Option<String>,
    pub value: Option<String>,
    pub min: Option<i64>,
    #[serde(default)]
    pub union: bool,
    pub payload: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Member {
    pub shape: String,
    /// header, headers, querystring, uri, statusCode; None: in the body
    pub location: Option<String>,
    pub name: Option<String>,
}

impl ServiceModel {
    pub(crate) fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }
}

/// The embedded models, parsed once. They are generated and covered by tests, so a parse
/// failure is a build defect, reported by `service` as a missing model rather than a panic.
fn all() -> &'static HashMap<&'static str, ServiceModel> {
    static MODELS: OnceLock<HashMap<&'static str, ServiceModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        super::generated::MODELS
            .iter()
            .filter_map(|(name, text)| match serde_json::from_str(text) {
                Ok(m) => Some((*name, m)),
                Err(e) => {
                    eprintln!("paritytest: embedded model for {name} is corrupt: {e}");
                    None
                }
            })
            .collect()
    })
}

pub(crate) fn service(name: &str) -> Option<&'static ServiceModel> {
    all().get(name)
}

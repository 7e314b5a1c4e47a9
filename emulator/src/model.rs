//! Service models: the botocore `service-2.json` shapes that drive the protocol layer.
//!
//! The four pinned models are compiled in (`include_str!`, documentation stripped by build.rs)
//! and parsed lazily, once per service,
//! on the first request that needs them, so start-up costs nothing. The protocol layer also works
//! from a model given at runtime (`Model::from_json`), which the conformance suites use.

use std::collections::HashMap;
use std::sync::OnceLock;

// Shapes and operations are looked up by name a dozen times per request (every member the
// serializers write): foldhash instead of the default SipHash, which showed at the top of the
// request profile. The keys come from the pinned models, never from clients.
use foldhash::fast::RandomState as FastHash;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("invalid service model JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("shape {shape} referenced by {from} is not defined in the model")]
    MissingShape { shape: String, from: String },
    #[error("unsupported protocol {0:?} (the emulator speaks query and rest-json)")]
    UnsupportedProtocol(String),
}

/// The wire protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Query,
    RestJson,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub protocol: String,
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub endpoint_prefix: String,
    #[serde(default)]
    pub signing_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub target_prefix: Option<String>,
    #[serde(default)]
    pub service_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_uri")]
    pub request_uri: String,
    #[serde(default)]
    pub response_code: Option<u16>,
}

fn default_method() -> String {
    "POST".into()
}
fn default_uri() -> String {
    "/".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Operation {
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_http")]
    pub http: Http,
    #[serde(default)]
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
}

fn default_http() -> Http {
    Http {
        method: default_method(),
        request_uri: default_uri(),
        response_code: None,
    }
}

/// A reference to a shape with the serialization traits set at the reference (member) level.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub xml_attribute: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub result_wrapper: Option<String>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub jsonvalue: bool,
    #[serde(default)]
    pub query_name: Option<String>,
}

/// `xmlNamespace` is a plain URI in metadata and `{uri, prefix}` on shapes and members.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum XmlNamespace {
    Uri(String),
    Full {
        uri: String,
        #[serde(default)]
        prefix: Option<String>,
    },
}

impl XmlNamespace {
    /// The attribute name and value that declare this namespace (`xmlns` or `xmlns:prefix`).
    pub fn attribute(&self) -> (String, &str) {
        match self {
            XmlNamespace::Uri(uri) => ("xmlns".into(), uri),
            XmlNamespace::Full { uri, prefix } => match prefix {
                Some(p) => (format!("xmlns:{p}"), uri),
                None => ("xmlns".into(), uri),
            },
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTrait {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Short,
    Byte,
    Boolean,
    Float,
    Double,
    #[serde(alias = "bigdecimal")]
    Decimal,
    Biginteger,
    Timestamp,
    Blob,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    #[serde(default)]
    pub members: IndexMap<String, ShapeRef>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub member: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub key: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub value: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorTrait>,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub jsonvalue: bool,
    /// A free-form JSON document (passed through as is).
    #[serde(default)]
    pub document: bool,
}

#[derive(Debug, Deserialize)]
struct RawModel {
    metadata: Metadata,
    #[serde(default)]
    operations: IndexMap<String, Operation, FastHash>,
    #[serde(default)]
    shapes: HashMap<String, Shape, FastHash>,
}

/// A parsed service model.
#[derive(Debug)]
pub struct Model {
    pub metadata: Metadata,
    pub protocol: Protocol,
    pub operations: IndexMap<String, Operation, FastHash>,
    pub shapes: HashMap<String, Shape, FastHash>,
    /// Error shapes by wire code (the `error.code` trait, else the shape name).
    error_codes: HashMap<String, String, FastHash>,
}

impl Model {
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let raw: RawModel = serde_json::from_str(text)?;
        Self::from_raw(raw)
    }

    /// Build a model from its parts (the protocol test suites give operations per case).
    pub fn from_parts(
        metadata: &Value,
        operations: &Value,
        shapes: &Value,
    ) -> Result<Model, ModelError> {
        let raw = RawModel {
            metadata: serde_json::from_value(metadata.clone())?,
            operations: serde_json::from_value(operations.clone())?,
            shapes: serde_json::from_value(shapes.clone())?,
        };
        Self::from_raw(raw)
    }

    fn from_raw(mut raw: RawModel) -> Result<Model, ModelError> {
        let protocol = match raw.metadata.protocol.as_str() {
            "query" => Protocol::Query,
            "rest-json" => Protocol::RestJson,
            other => return Err(ModelError::UnsupportedProtocol(other.to_string())),
        };
        for (name, op) in raw.operations.iter_mut() {
            if op.name.is_empty() {
                op.name = name.clone();
            }
        }
        let mut error_codes = HashMap::default();
        for (name, shape) in &raw.shapes {
            if shape.exception || shape.error.is_some() {
                let code = shape
                    .error
                    .as_ref()
                    .and_then(|e| e.code.clone())
                    .unwrap_or_else(|| name.clone());
                error_codes.insert(code, name.clone());
            }
        }
        let model = Model {
            metadata: raw.metadata,
            protocol,
            operations: raw.operations,
            shapes: raw.shapes,
            error_codes,
        };
        model.check_references()?;
        Ok(model)
    }

    /// Every reference must resolve, so the serializers can index shapes without failing.
    fn check_references(&self) -> Result<(), ModelError> {
        let missing = |r: &ShapeRef, from: &str| -> Result<(), ModelError> {
            if self.shapes.contains_key(&r.shape) {
                Ok(())
            } else {
                Err(ModelError::MissingShape {
                    shape: r.shape.clone(),
                    from: from.to_string(),
                })
            }
        };
        for (name, op) in &self.operations {
            for r in op
                .input
                .iter()
                .chain(op.output.iter())
                .chain(op.errors.iter())
            {
                missing(r, name)?;
            }
        }
        for (name, shape) in &self.shapes {
            for r in shape.members.values() {
                missing(r, name)?;
            }
            for r in [&shape.member, &shape.key, &shape.value]
                .into_iter()
                .flatten()
            {
                missing(r, name)?;
            }
        }
        Ok(())
    }

    /// The shape a reference points to (references are checked at load time).
    pub fn shape(&self, r: &ShapeRef) -> &Shape {
        &self.shapes[&r.shape]
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The error shape for a wire error code, if the model defines one.
    pub fn error_shape(&self, code: &str) -> Option<&Shape> {
        self.error_codes
            .get(code)
            .and_then(|n| self.shapes.get(n))
            .or_else(|| {
                self.shapes
                    .get(code)
                    .filter(|s| s.exception || s.error.is_some())
            })
    }

    /// The wire code for an error: a handler may name the shape (`NoSuchEntityException`) where
    /// the wire carries the shape's `error.code` (`NoSuchEntity`).
    pub fn wire_error_code<'a>(&'a self, code: &'a str) -> &'a str {
        if self.error_codes.contains_key(code) {
            return code;
        }
        self.shapes
            .get(code)
            .and_then(|s| s.error.as_ref())
            .and_then(|e| e.code.as_deref())
            .unwrap_or(code)
    }
}

/// A compiled-in model of one of the services the emulator serves.
pub struct PinnedModel {
    pub service: &'static str,
    source: &'static str,
    parsed: OnceLock<Model>,
}

impl PinnedModel {
    /// The parsed model; parsed on first use. The pinned models are validated by the tests, so a
    /// parse failure is a build defect, not a runtime condition.
    pub fn get(&self) -> &Model {
        self.parsed.get_or_init(|| {
            Model::from_json(self.source)
                .unwrap_or_else(|e| panic!("pinned model {} does not load: {e}", self.service))
        })
    }
}

macro_rules! pinned {
    ($name:literal) => {
        PinnedModel {
            service: $name,
            // models/<service>/service-2.json without its documentation (see build.rs).
            source: include_str!(concat!(env!("OUT_DIR"), "/", $name, ".json")),
            parsed: OnceLock::new(),
        }
    };
}

static PINNED: [PinnedModel; 4] = [
    pinned!("iam"),
    pinned!("sts"),
    pinned!("lambda"),
    pinned!("cloudformation"),
];

/// The pinned model of a service by its name (`iam`, `sts`, `lambda`, `cloudformation`).
pub fn pinned(service: &str) -> Option<&'static PinnedModel> {
    PINNED.iter().find(|m| m.service == service)
}

/// All pinned models.
pub fn all_pinned() -> &'static [PinnedModel] {
    &PINNED
}

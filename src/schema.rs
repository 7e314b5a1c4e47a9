//! The JSON Schema of scenario files (schema/scenario.schema.json), generated from the scenario
//! types plus the dispatcher's per-operation input schemas, shaped for the YAML language server
//! (see docs/editor-schema.md of the shared docs): `call` is a plain enum, and `input` completes
//! per operation through `allOf` of per-service `if`/`then` with anchored `pattern` conditions.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::scenario::model::{MultiFile, ScenarioDoc};

use crate::dispatch::INPUT_SCHEMAS;

/// `service.Operation` → its input definition, from the dispatcher's generated file.
/// The generated file: `definitions` holds operation inputs (`iam.CreateUser`) and nested
/// structures (`iam.types.Tag`); `call` the operation enum with its documentation.
fn generated() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(INPUT_SCHEMAS).unwrap_or(Value::Null))
}

fn all_definitions() -> Map<String, Value> {
    generated()
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `service.Operation` → its input definition.
fn input_schemas() -> &'static Map<String, Value> {
    static S: OnceLock<Map<String, Value>> = OnceLock::new();
    S.get_or_init(|| {
        all_definitions()
            .into_iter()
            .filter(|(k, _)| k.matches('.').count() == 1)
            .collect()
    })
}

/// Nested structure definitions the inputs refer to.
fn shared_definitions() -> Map<String, Value> {
    all_definitions()
        .into_iter()
        .filter(|(k, _)| k.matches('.').count() > 1)
        .collect()
}

/// The member names accepted at `member_ptr`'s parent inside an operation's input.
pub fn input_members(service: &str, op: &str, member_ptr: &str) -> Option<Vec<String>> {
    let schemas = input_schemas();
    let mut node = schemas.get(&format!("{service}.{op}"))?;
    let tokens: Vec<&str> = member_ptr.split('/').skip(1).collect();
    let shared = shared_definitions();
    let resolve = |n: &Value| -> Option<Value> {
        let r = n.get("$ref").or_else(|| n.pointer("/allOf/0/$ref"));
        match r.and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next()?;
                schemas.get(name).or_else(|| shared.get(name)).cloned()
            }
            None => Some(n.clone()),
        }
    };
    let mut owned = resolve(node)?;
    for tok in tokens.iter().take(tokens.len().saturating_sub(1)) {
        let next = if tok.parse::<usize>().is_ok() {
            owned.get("items")?.clone()
        } else {
            owned.get("properties")?.get(*tok)?.clone()
        };
        owned = resolve(&next)?;
    }
    node = &owned;
    Some(
        node.get("properties")?
            .as_object()?
            .keys()
            .cloned()
            .collect(),
    )
}

/// The whole scenario schema.
pub fn scenario_schema() -> Value {
    let settings = schemars::gen::SchemaSettings::draft07();
    let mut gen = settings.into_generator();
    let single = gen.subschema_for::<ScenarioDoc>();
    let multi = gen.subschema_for::<MultiFile>();
    let mut definitions: Map<String, Value> = gen
        .definitions()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::to_value(v).expect("schemas serialize"),
            )
        })
        .collect();

    let ops = crate::dispatch::operations();
    let inputs = input_schemas();
    if let Some(step) = definitions.get_mut("StepDoc") {
        shape_step(step, ops, inputs);
    }
    if let Some(wait) = definitions.get_mut("WaitDoc") {
        shape_wait(wait, ops);
    }
    for (k, v) in shared_definitions() {
        definitions.insert(k, allow_helpers(v));
    }
    for (name, def) in inputs {
        definitions.insert(name.clone(), allow_helpers(def.clone()));
    }
    definitions.insert(
        "ValueHelper".into(),
        json!({
            "description": "A value helper: `json` sends a document as a JSON string, `zip` a zip archive (files by name, or a directory next to the scenario), `file` a file's content, `base64` decoded bytes.",
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "json": {"description": "A document (policy, template) sent as a JSON string."},
                "zip": {"description": "A zip archive: {file name: content} or a directory path.", "type": ["object", "string"]},
                "file": {"description": "The content of a file next to the scenario.", "type": "string"},
                "base64": {"description": "Bytes given in base64.", "type": "string"}
            },
            "additionalProperties": false
        }),
    );

    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://paritytest.invalid/scenario.schema.json",
        "title": "paritytest scenario file",
        "description": "One scenario (`name`, `steps`) or several (`scenarios`). Generated by `paritytest schema`.",
        "anyOf": [single, multi],
        "definitions": definitions,
    })
}

/// Adds the operation enum and the per-operation `input` conditions to the step definition.
fn shape_step(
    step: &mut Value,
    ops: &[crate::dispatch::OperationInfo],
    inputs: &Map<String, Value>,
) {
    let names: Vec<String> = ops
        .iter()
        .map(|o| format!("{}.{}", o.service, o.name))
        .collect();
    let docs: Vec<String> = names
        .iter()
        .map(|n| {
            inputs
                .get(n)
                .and_then(|d| {
                    d.get("markdownDescription")
                        .or_else(|| d.get("description"))
                })
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    if let Some(props) = step.get_mut("properties").and_then(Value::as_object_mut) {
        if !names.is_empty() {
            props.insert(
                "call".into(),
                json!({
                    "description": "Call an operation: service.Operation.",
                    "type": "string",
                    "enum": names,
                    "markdownEnumDescriptions": docs,
                    "errorMessage": "unknown operation (see `paritytest operations`)"
                }),
            );
        }
        // No description here, so the operation's own documentation shows on hover.
        props.insert("input".into(), json!({"type": "object"}));
    }
    let mut services: Vec<&str> = ops.iter().map(|o| o.service).collect();
    services.dedup();
    let all_of: Vec<Value> = services
        .iter()
        .map(|svc| {
            let per_op: Vec<Value> = ops
                .iter()
                .filter(|o| o.service == *svc && inputs.contains_key(&format!("{}.{}", o.service, o.name)))
                .map(|o| {
                    json!({
                        "if": {"properties": {"call": {"pattern": format!("^{}\\.{}$", o.service, o.name)}}, "required": ["call"]},
                        "then": {"properties": {"input": {"$ref": format!("#/definitions/{}.{}", o.service, o.name)}}}
                    })
                })
                .collect();
            json!({
                "if": {"properties": {"call": {"pattern": format!("^{svc}\\.")}}, "required": ["call"]},
                "then": {"allOf": per_op}
            })
        })
        .collect();
    if !all_of.is_empty() {
        step.as_object_mut()
            .expect("StepDoc is an object schema")
            .insert("allOf".into(), Value::Array(all_of));
    }
}

fn shape_wait(wait: &mut Value, ops: &[crate::dispatch::OperationInfo]) {
    let names: Vec<String> = ops
        .iter()
        .map(|o| format!("{}.{}", o.service, o.name))
        .collect();
    if let Some(props) = wait.get_mut("properties").and_then(Value::as_object_mut) {
        if !names.is_empty() {
            props.insert("call".into(), json!({"type": "string", "enum": names}));
        }
        props.insert(
            "waiter".into(),
            json!({"type": "string", "enum": crate::waiters::names(), "description": "An SDK waiter."}),
        );
    }
}

/// Lets every member also take a template string or a value helper: a templated number
/// (`"{{ n }}"`) and `{json: ...}` for a string member are both valid scenario input.
fn allow_helpers(mut def: Value) -> Value {
    fn walk(v: &mut Value, top: bool) {
        if let Some(obj) = v.as_object_mut() {
            if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
                for p in props.values_mut() {
                    walk(p, false);
                }
            }
            if let Some(items) = obj.get_mut("items") {
                walk(items, false);
            }
            // Every member (not the input object itself) may also be a template or a helper.
            if !top {
                let mut inner = std::mem::take(obj);
                // The documentation moves to the wrapper (hover shows it once).
                let mut doc = Map::new();
                for k in ["title", "description", "markdownDescription"] {
                    if let Some(d) = inner.remove(k) {
                        doc.insert(k.into(), d);
                    }
                }
                let original = Value::Object(inner);
                doc.insert(
                    "anyOf".into(),
                    json!([original, {"type": "string", "pattern": "\\{\\{"}, {"$ref": "#/definitions/ValueHelper"}]),
                );
                *obj = doc;
            }
        }
    }
    walk(&mut def, true);
    def
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&scenario_schema()).expect("schemas serialize");
    s.push('\n');
    s
}

//! Writes the JSON artefacts: the model subset the runtime checks against, and the input schemas
//! for editors (shaped per /work/shared/docs/editor-schema.md).

use crate::docs;
use crate::model::{Shape, ShapeRef};
use crate::plan::Service;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The runtime model of one service: only what the dispatch can send or read back.
pub fn runtime_model(s: &Service) -> Result<Value, String> {
    let mut ops = Map::new();
    let mut shapes = Map::new();
    let mut pending: Vec<String> = Vec::new();
    for op in &s.ops {
        let mut entry = Map::new();
        if let Some(input) = &op.input {
            entry.insert("input".into(), json!(input));
            let kept: Vec<&str> = op.setters.iter().map(|(m, _)| m.as_str()).collect();
            shapes.insert(
                input.clone(),
                structure(s, s.model.shape(input)?, &kept, &mut pending),
            );
        }
        if let Some(output) = &op.output {
            entry.insert("output".into(), json!(output));
            let kept: Vec<&str> = op.output_fields.iter().map(|(m, _)| m.as_str()).collect();
            shapes.insert(
                output.clone(),
                structure(s, s.model.shape(output)?, &kept, &mut pending),
            );
        }
        if let Some(w) = &op.result_wrapper {
            entry.insert("wrapper".into(), json!(w));
        }
        ops.insert(op.name.clone(), Value::Object(entry));
    }
    let mut errors = Map::new();
    let mut error_shapes = BTreeSet::new();
    for op in s.model.operations.values() {
        if s.ops.iter().any(|o| o.name == op.name) {
            error_shapes.extend(op.errors.iter().map(|e| e.shape.clone()));
        }
    }
    for name in &error_shapes {
        let shape = s.model.shape(name)?;
        let code = shape
            .error
            .as_ref()
            .and_then(|e| e.code.clone())
            .unwrap_or_else(|| name.clone());
        errors.insert(code, json!(name));
        let all: Vec<&str> = shape.members.keys().map(String::as_str).collect();
        shapes.insert(name.clone(), structure(s, shape, &all, &mut pending));
    }
    while let Some(name) = pending.pop() {
        if shapes.contains_key(&name) {
            continue;
        }
        let shape = s.model.shape(&name)?;
        let v = match shape.kind.as_str() {
            "structure" => {
                let mut kept: Vec<&str> = Vec::new();
                for (m, _) in shape.members.iter() {
                    let input_ok = s
                        .members(&name, true)
                        .is_none_or(|ms| ms.iter().any(|(x, _)| x == m));
                    let output_ok = s
                        .members(&name, false)
                        .is_none_or(|ms| ms.iter().any(|(x, _)| x == m));
                    let union_ok = s
                        .unions
                        .get(&name)
                        .is_none_or(|ms| ms.iter().any(|(x, _)| x == m));
                    if input_ok && output_ok && union_ok {
                        kept.push(m);
                    }
                }
                structure(s, shape, &kept, &mut pending)
            }
            _ => scalar_or_collection(shape, &mut pending),
        };
        shapes.insert(name, v);
    }
    shapes.sort_keys();
    Ok(json!({
        "$comment": crate::emit_rust::HEADER.replace("// ", "").replace('\n', " ").trim(),
        "protocol": s.model.metadata.protocol,
        "operations": ops,
        "errors": errors,
        "shapes": shapes,
    }))
}

fn structure(s: &Service, shape: &Shape, kept: &[&str], pending: &mut Vec<String>) -> Value {
    let _ = s;
    let mut members = Map::new();
    for (name, r) in &shape.members {
        if !kept.contains(&name.as_str()) {
            continue;
        }
        let mut m = Map::new();
        m.insert("shape".into(), json!(r.shape));
        if let Some(l) = &r.location {
            m.insert("location".into(), json!(l));
        }
        if let Some(l) = &r.location_name {
            m.insert("name".into(), json!(l));
        }
        pending.push(r.shape.clone());
        members.insert(name.clone(), Value::Object(m));
    }
    let required: Vec<&String> = shape
        .required
        .iter()
        .filter(|r| kept.contains(&r.as_str()))
        .collect();
    let mut v = Map::new();
    v.insert("type".into(), json!("structure"));
    v.insert("members".into(), Value::Object(members));
    if !required.is_empty() {
        v.insert("required".into(), json!(required));
    }
    if shape.union {
        v.insert("union".into(), json!(true));
    }
    if let Some(p) = &shape.payload {
        v.insert("payload".into(), json!(p));
    }
    Value::Object(v)
}

fn scalar_or_collection(shape: &Shape, pending: &mut Vec<String>) -> Value {
    let mut v = Map::new();
    v.insert("type".into(), json!(shape.kind));
    for (key, r) in [
        ("member", &shape.member),
        ("key", &shape.key),
        ("value", &shape.value),
    ] {
        if let Some(r) = r {
            v.insert(key.into(), json!(r.shape));
            pending.push(r.shape.clone());
        }
    }
    if let Some(min) = shape.min {
        v.insert("min".into(), json!(min as i64));
    }
    if let Some(max) = shape.max {
        v.insert("max".into(), json!(max as i64));
    }
    if shape.streaming {
        v.insert("streaming".into(), json!(true));
    }
    Value::Object(v)
}

/// Definition names: operations as `iam.CreateUser`, nested structures as `iam.types.Tag`.
fn type_def(service: &str, shape: &str) -> String {
    format!("{service}.types.{shape}")
}

pub fn input_schemas(services: &[Service], botocore: &str) -> Result<Value, String> {
    let mut definitions = Map::new();
    let mut calls = Vec::new();
    let mut call_docs = Vec::new();
    for s in services {
        let mut nested: Vec<String> = Vec::new();
        for op in &s.ops {
            let model_op = &s.model.operations[&op.name];
            let doc = model_op.documentation.as_deref().unwrap_or_default();
            let id = format!("{}.{}", s.name, op.name);
            let mut summary = docs::summary(doc);
            if model_op.deprecated {
                summary = format!("**Deprecated.** {summary}");
            }
            calls.push(json!(id));
            call_docs.push(json!(summary));
            let mut def = Map::new();
            def.insert("title".into(), json!(id));
            def.insert("description".into(), json!(docs::plain(doc)));
            def.insert("markdownDescription".into(), json!(docs::markdown(doc)));
            def.insert("type".into(), json!("object"));
            let (props, required) = match &op.input {
                Some(input) => {
                    let shape = s.model.shape(input)?;
                    let kept: Vec<&str> = op.setters.iter().map(|(m, _)| m.as_str()).collect();
                    properties(s, shape, &kept, &mut nested)?
                }
                None => (Map::new(), vec![]),
            };
            def.insert("properties".into(), Value::Object(props));
            if !required.is_empty() {
                def.insert("required".into(), json!(required));
            }
            def.insert("additionalProperties".into(), json!(false));
            definitions.insert(id, Value::Object(def));
        }
        let mut done = BTreeSet::new();
        while let Some(name) = nested.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            let shape = s.model.shape(&name)?;
            let kept: Vec<&str> = if let Some(u) = s.unions.get(&name) {
                u.iter().map(|(m, _)| m.as_str()).collect()
            } else {
                s.members(&name, true)
                    .map(|ms| ms.iter().map(|(m, _)| m.as_str()).collect())
                    .unwrap_or_default()
            };
            let (props, required) = properties(s, shape, &kept, &mut nested)?;
            let doc = shape.documentation.as_deref().unwrap_or_default();
            let mut def = Map::new();
            def.insert("title".into(), json!(name));
            if !doc.is_empty() {
                def.insert("description".into(), json!(docs::plain(doc)));
                def.insert("markdownDescription".into(), json!(docs::markdown(doc)));
            }
            def.insert("type".into(), json!("object"));
            def.insert("properties".into(), Value::Object(props));
            if shape.union {
                // exactly one member of a union
                def.insert("minProperties".into(), json!(1));
                def.insert("maxProperties".into(), json!(1));
            } else if !required.is_empty() {
                def.insert("required".into(), json!(required));
            }
            def.insert("additionalProperties".into(), json!(false));
            definitions.insert(type_def(s.name, &name), Value::Object(def));
        }
    }
    Ok(json!({
        "$comment": format!(
            "{} Models: {botocore}. Operation inputs are definitions named `service.Operation`; nested structures `service.types.Shape`; refs point to #/definitions/.",
            crate::emit_rust::HEADER.replace("// ", "").replace('\n', " ").trim()
        ),
        "call": {"enum": calls, "markdownEnumDescriptions": call_docs},
        "definitions": definitions,
    }))
}

fn properties(
    s: &Service,
    shape: &Shape,
    kept: &[&str],
    nested: &mut Vec<String>,
) -> Result<(Map<String, Value>, Vec<String>), String> {
    let mut props = Map::new();
    for (name, r) in &shape.members {
        if kept.contains(&name.as_str()) {
            props.insert(name.clone(), member_schema(s, r, nested)?);
        }
    }
    let required = shape
        .required
        .iter()
        .filter(|r| kept.contains(&r.as_str()))
        .cloned()
        .collect();
    Ok((props, required))
}

fn member_schema(s: &Service, r: &ShapeRef, nested: &mut Vec<String>) -> Result<Value, String> {
    let target = s.model.shape(&r.shape)?;
    let mut v = type_schema(s, &r.shape, target, nested)?;
    let doc = r
        .documentation
        .as_deref()
        .or(target.documentation.as_deref())
        .unwrap_or_default();
    if let Value::Object(m) = &mut v {
        if !doc.is_empty() {
            m.insert("description".into(), json!(docs::plain(doc)));
            m.insert("markdownDescription".into(), json!(docs::markdown(doc)));
        }
        if r.deprecated {
            m.insert("deprecated".into(), json!(true));
        }
    }
    Ok(v)
}

fn type_schema(
    s: &Service,
    name: &str,
    shape: &Shape,
    nested: &mut Vec<String>,
) -> Result<Value, String> {
    let mut v = Map::new();
    match shape.kind.as_str() {
        "string" => {
            v.insert("type".into(), json!("string"));
            if !shape.enum_values.is_empty() {
                v.insert("enum".into(), json!(shape.enum_values));
            }
            if let Some(min) = shape.min {
                v.insert("minLength".into(), json!(min as i64));
            }
        }
        "integer" | "long" => {
            v.insert("type".into(), json!("integer"));
            if let Some(min) = shape.min {
                v.insert("minimum".into(), json!(min as i64));
            }
            if let Some(max) = shape.max {
                v.insert("maximum".into(), json!(max as i64));
            }
        }
        "float" | "double" => {
            v.insert("type".into(), json!("number"));
        }
        "boolean" => {
            v.insert("type".into(), json!("boolean"));
        }
        "timestamp" => {
            // ISO 8601 text or epoch seconds
            v.insert("type".into(), json!(["string", "number"]));
        }
        "blob" => {
            // plain text (sent as its UTF-8 bytes) or {base64: ...}
            v.insert(
                "anyOf".into(),
                json!([
                    {"type": "string"},
                    {"type": "object", "properties": {"base64": {"type": "string", "description": "the bytes, base64-encoded"}}, "required": ["base64"], "additionalProperties": false}
                ]),
            );
        }
        "list" => {
            let m = shape
                .member
                .as_ref()
                .ok_or_else(|| format!("list {name} has no member"))?;
            v.insert("type".into(), json!("array"));
            v.insert(
                "items".into(),
                type_schema(s, &m.shape, s.model.shape(&m.shape)?, nested)?,
            );
            if let Some(min) = shape.min {
                v.insert("minItems".into(), json!(min as i64));
            }
        }
        "map" => {
            let m = shape
                .value
                .as_ref()
                .ok_or_else(|| format!("map {name} has no value"))?;
            v.insert("type".into(), json!("object"));
            v.insert(
                "additionalProperties".into(),
                type_schema(s, &m.shape, s.model.shape(&m.shape)?, nested)?,
            );
        }
        "structure" => {
            nested.push(name.to_string());
            v.insert(
                "allOf".into(),
                json!([{"$ref": format!("#/definitions/{}", type_def(s.name, name))}]),
            );
        }
        other => {
            return Err(format!(
                "{}: shape {name} has unsupported type {other}",
                s.name
            ))
        }
    }
    Ok(Value::Object(v))
}

//! XML bodies shaped by the model (the awsQuery response format).
//!
//! Written by hand into one `String` rather than through an XML writer crate: the output is a
//! fixed, small grammar (elements, a few attributes, escaped text) on the hot path of every
//! awsQuery response, and a single buffer keeps it allocation-light.

use std::borrow::Cow;

use serde_json::Value;

use super::timestamp::{self, Format};
use crate::model::{Model, Shape, ShapeRef, ShapeType};

/// Escape text for element content and attribute values (copies unescaped runs in one go:
/// this runs on every value of every awsQuery response).
pub fn escape_into(out: &mut String, text: &str) {
    // Most values need no escaping; a branch-free scan (vectorizable) finds that out first.
    let special = |b: u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\r');
    if !text.bytes().fold(false, |found, b| found | special(b)) {
        out.push_str(text);
        return;
    }
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

pub fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

pub fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

pub fn text_element(out: &mut String, name: &str, text: &str) {
    open(out, name);
    escape_into(out, text);
    close(out, name);
}

/// The element name of a member: its `locationName`, else the member name.
fn element_name<'a>(r: &'a ShapeRef, member: &'a str) -> &'a str {
    r.location_name.as_deref().unwrap_or(member)
}

/// Write the members of a structure value (the children only, not the wrapping element).
pub fn write_members(out: &mut String, model: &Model, r: &ShapeRef, value: &Value) {
    write_structure_members(out, model, model.shape(r), value);
}

fn write_structure_members(out: &mut String, model: &Model, shape: &Shape, value: &Value) {
    let Value::Object(obj) = value else { return };
    // Handlers usually build objects in the model's member order: walking both in step finds
    // most members without hashing their names; any other order falls back to a lookup.
    let mut entries = obj.iter().peekable();
    for (name, mref) in &shape.members {
        if mref.xml_attribute {
            continue;
        }
        let v = match entries.peek() {
            Some((key, v)) if *key == name => {
                let v = *v;
                entries.next();
                v
            }
            _ => match obj.get(name) {
                Some(v) => v,
                None => continue,
            },
        };
        if v.is_null() {
            continue;
        }
        // Flattened lists repeat the member's own name (smithy's awsQuery; the list member's
        // name only applies inside a wrapped list).
        write_value(out, model, mref, element_name(mref, name), v);
    }
}

/// Write one value as the element `name` (or as repeated elements for flattened collections).
pub fn write_value(out: &mut String, model: &Model, r: &ShapeRef, name: &str, value: &Value) {
    let shape = model.shape(r);
    match shape.kind {
        ShapeType::Structure => {
            out.push('<');
            out.push_str(name);
            write_namespace(out, r, shape.xml_namespace.as_ref());
            if let Value::Object(obj) = value {
                for (mname, mref) in &shape.members {
                    if !mref.xml_attribute {
                        continue;
                    }
                    let attribute = obj
                        .get(mname)
                        .and_then(|v| scalar(model.shape(mref), mref, v));
                    if let Some(text) = attribute {
                        out.push(' ');
                        out.push_str(element_name(mref, mname));
                        out.push_str("=\"");
                        escape_into(out, &text);
                        out.push('"');
                    }
                }
            }
            out.push('>');
            write_structure_members(out, model, shape, value);
            close(out, name);
        }
        ShapeType::List => {
            let Value::Array(items) = value else { return };
            let Some(mref) = shape.member.as_deref() else {
                return;
            };
            if r.flattened || shape.flattened {
                for item in items {
                    write_value(out, model, mref, name, item);
                }
            } else {
                open(out, name);
                let item_name = mref.location_name.as_deref().unwrap_or("member");
                for item in items {
                    write_value(out, model, mref, item_name, item);
                }
                close(out, name);
            }
        }
        ShapeType::Map => {
            let Value::Object(entries) = value else {
                return;
            };
            let (Some(kref), Some(vref)) = (shape.key.as_deref(), shape.value.as_deref()) else {
                return;
            };
            let kname = kref.location_name.as_deref().unwrap_or("key");
            let vname = vref.location_name.as_deref().unwrap_or("value");
            let flat = r.flattened || shape.flattened;
            if !flat {
                open(out, name);
            }
            for (k, v) in entries {
                open(out, if flat { name } else { "entry" });
                text_element(out, kname, k);
                write_value(out, model, vref, vname, v);
                close(out, if flat { name } else { "entry" });
            }
            if !flat {
                close(out, name);
            }
        }
        _ => {
            if let Some(text) = scalar(shape, r, value) {
                out.push('<');
                out.push_str(name);
                write_namespace(out, r, None);
                out.push('>');
                escape_into(out, &text);
                close(out, name);
            }
        }
    }
}

fn write_namespace(out: &mut String, r: &ShapeRef, shape_ns: Option<&crate::model::XmlNamespace>) {
    if let Some(ns) = r.xml_namespace.as_ref().or(shape_ns) {
        let (attr, uri) = ns.attribute();
        out.push(' ');
        out.push_str(&attr);
        out.push_str("=\"");
        escape_into(out, uri);
        out.push('"');
    }
}

/// Text of a scalar member, with timestamps in the member's format (iso8601 by default);
/// borrowed for strings, the common case.
fn scalar<'v>(shape: &Shape, r: &ShapeRef, value: &'v Value) -> Option<Cow<'v, str>> {
    if shape.kind == ShapeType::Timestamp {
        let explicit = r
            .timestamp_format
            .as_deref()
            .or(shape.timestamp_format.as_deref());
        let format = Format::pick(explicit, Format::Iso8601);
        if let Some(w) = timestamp::to_wire(value, format) {
            return Some(Cow::Owned(w.text()));
        }
    }
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) if matches!(shape.kind, ShapeType::Float | ShapeType::Double) => {
            let f = n.as_f64()?;
            // Whole doubles keep a decimal point so they read back as floating point.
            Some(Cow::Owned(if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{f:.1}")
            } else {
                f.to_string()
            }))
        }
        other => super::scalar_text(other).map(Cow::Owned),
    }
}

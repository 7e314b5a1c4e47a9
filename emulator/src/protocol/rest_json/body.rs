//! restJson1 JSON bodies: handler values written straight to JSON text by a plan compiled from
//! the model — shapes resolved to indices, member keys pre-escaped, a cheap name table per
//! structure — so a response costs no shape lookup by name and builds no intermediate tree.
//!
//! The plans of the pinned models are compiled once and kept for the life of the process; a
//! model given at runtime (the conformance suites) gets a plan per call, through the same code.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

use crate::model::{Model, ShapeRef, ShapeType};
use crate::protocol::timestamp::{self, Format};

/// Tables keyed by the model's own member names: the fast hasher model.rs uses.
type NameMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Where a reference points: the shape, and the timestamp format its reference implies.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    shape: usize,
    timestamp: Format,
}

enum ShapePlan<'m> {
    /// A free-form document: written as given.
    Document,
    Structure(StructPlan<'m>),
    List(Option<Target>),
    Map(Option<Target>),
    Timestamp,
    /// Strings, numbers, booleans, blobs (base64 strings already): written as given.
    Scalar,
}

pub(super) struct StructPlan<'m> {
    pub members: Vec<MemberPlan<'m>>,
    by_name: NameMap<&'m str, usize>,
}

pub(super) struct MemberPlan<'m> {
    pub name: &'m str,
    pub wire: &'m str,
    pub location: Option<&'m str>,
    pub shape_ref: &'m ShapeRef,
    pub target: Target,
    /// `"wire":`, escaped once.
    key: Box<[u8]>,
}

pub(super) struct Plan<'m> {
    shapes: Vec<ShapePlan<'m>>,
    /// Each shape's own `timestampFormat`, which references without one inherit.
    formats: Vec<Option<&'m str>>,
    by_name: NameMap<&'m str, usize>,
}

/// A structure with no members: what a reference to a non-structure reads as where a
/// structure is expected (an invalid model; it then answers `{}`).
static NO_MEMBERS: LazyLock<StructPlan<'static>> = LazyLock::new(|| StructPlan {
    members: Vec::new(),
    by_name: NameMap::default(),
});

impl<'m> Plan<'m> {
    pub fn compile(model: &'m Model) -> Plan<'m> {
        let by_name: NameMap<&'m str, usize> = model
            .shapes
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        let formats: Vec<Option<&'m str>> = model
            .shapes
            .values()
            .map(|s| s.timestamp_format.as_deref())
            .collect();
        // References are checked when the model loads, so every name resolves.
        let target = |r: &ShapeRef| {
            let shape = by_name[r.shape.as_str()];
            Target {
                shape,
                timestamp: body_format(r, formats[shape]),
            }
        };
        let shapes = model
            .shapes
            .values()
            .map(|shape| {
                if shape.document {
                    return ShapePlan::Document;
                }
                match shape.kind {
                    ShapeType::Structure => {
                        let members: Vec<MemberPlan<'m>> = shape
                            .members
                            .iter()
                            .map(|(name, r)| {
                                let wire = r.location_name.as_deref().unwrap_or(name);
                                let mut key = Vec::with_capacity(wire.len() + 3);
                                write_raw(wire, &mut key);
                                key.push(b':');
                                MemberPlan {
                                    name,
                                    wire,
                                    location: r.location.as_deref(),
                                    shape_ref: r,
                                    target: target(r),
                                    key: key.into_boxed_slice(),
                                }
                            })
                            .collect();
                        let by_name = members
                            .iter()
                            .enumerate()
                            .map(|(i, m)| (m.name, i))
                            .collect();
                        ShapePlan::Structure(StructPlan { members, by_name })
                    }
                    ShapeType::List => ShapePlan::List(shape.member.as_deref().map(target)),
                    ShapeType::Map => ShapePlan::Map(shape.value.as_deref().map(target)),
                    ShapeType::Timestamp => ShapePlan::Timestamp,
                    _ => ShapePlan::Scalar,
                }
            })
            .collect();
        Plan {
            shapes,
            formats,
            by_name,
        }
    }

    /// Where a reference of this model points.
    pub fn target(&self, r: &ShapeRef) -> Target {
        let shape = self.by_name[r.shape.as_str()];
        Target {
            shape,
            timestamp: body_format(r, self.formats[shape]),
        }
    }

    /// The structure plan of a reference (members empty when it is not a structure).
    pub fn structure(&self, target: Target) -> &StructPlan<'m> {
        match &self.shapes[target.shape] {
            ShapePlan::Structure(sp) => sp,
            _ => &NO_MEMBERS,
        }
    }

    /// Append a handler value as the JSON wire value of `target`: structure members in model
    /// order under their wire names, nulls left out, timestamps in the reference's format,
    /// anything not shaped as the model says as it is.
    pub fn write(&self, target: Target, v: &Value, out: &mut Vec<u8>) {
        match (&self.shapes[target.shape], v) {
            (ShapePlan::Document, _) => write_raw(v, out),
            (ShapePlan::Structure(sp), Value::Object(fields)) => {
                sp.with_slots(fields, |slots| self.write_members(sp, slots, false, out))
            }
            (ShapePlan::List(Some(item)), Value::Array(items)) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write(*item, v, out);
                }
                out.push(b']');
            }
            (ShapePlan::Map(Some(value)), Value::Object(entries)) => {
                let mut obj = ObjectWriter::open(out);
                for (k, v) in entries {
                    write_str(k, obj.key());
                    obj.out.push(b':');
                    self.write(*value, v, obj.out);
                }
                obj.close();
            }
            (ShapePlan::Timestamp, _) => match timestamp::to_wire(v, target.timestamp) {
                Some(w) => write_raw(&w.json(), out),
                None => write_raw(v, out),
            },
            (_, Value::String(s)) => write_str(s, out),
            _ => write_raw(v, out),
        }
    }

    /// A structure's members (their values placed by [`StructPlan::with_slots`]) as a JSON
    /// object; `body_only` (an operation's top-level output) leaves out the members bound to an
    /// HTTP location.
    pub fn write_members(
        &self,
        sp: &StructPlan<'m>,
        slots: &[Option<&Value>],
        body_only: bool,
        out: &mut Vec<u8>,
    ) {
        let mut obj = ObjectWriter::open(out);
        for (m, v) in sp.members.iter().zip(slots) {
            let Some(v) = v else { continue };
            if body_only && m.location.is_some() {
                continue;
            }
            obj.key().extend_from_slice(&m.key);
            self.write(m.target, v, obj.out);
        }
        obj.close();
    }
}

impl<'m> StructPlan<'m> {
    /// The handler's non-null fields placed by member index (fields the model does not name are
    /// not written): one cheap lookup per field present rather than a lookup per member.
    pub fn with_slots<'v, T>(
        &self,
        fields: &'v Map<String, Value>,
        f: impl FnOnce(&[Option<&'v Value>]) -> T,
    ) -> T {
        const INLINE: usize = 64;
        let n = self.members.len();
        let mut inline = [None; INLINE];
        let mut heap;
        let slots: &mut [Option<&'v Value>] = if n <= INLINE {
            &mut inline[..n]
        } else {
            heap = vec![None; n];
            &mut heap
        };
        for (k, v) in fields {
            if let (Some(i), false) = (self.by_name.get(k.as_str()), v.is_null()) {
                slots[*i] = Some(v);
            }
        }
        f(slots)
    }

    pub fn member(&self, name: &str) -> Option<&MemberPlan<'m>> {
        self.by_name.get(name).map(|i| &self.members[*i])
    }
}

/// The format of a timestamp in a JSON body: the reference's, else the shape's, else epoch
/// seconds.
fn body_format(r: &ShapeRef, shape_format: Option<&str>) -> Format {
    Format::pick(
        r.timestamp_format.as_deref().or(shape_format),
        Format::EpochSeconds,
    )
}

/// Writes one JSON object member by member.
pub(super) struct ObjectWriter<'o> {
    pub out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> ObjectWriter<'o> {
    pub fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, empty: true }
    }

    /// Start a member (the separator); the caller writes the key, colon and value.
    pub fn key(&mut self) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.empty) {
            self.out.push(b',');
        }
        self.out
    }

    /// A member with a plain key; the caller writes the value.
    pub fn named(&mut self, key: &str) -> &mut Vec<u8> {
        let out = self.key();
        write_raw(key, out);
        out.push(b':');
        out
    }

    pub fn close(self) {
        self.out.push(b'}');
    }
}

/// Any serializable value as JSON text (writing to a `Vec` cannot fail).
pub(super) fn write_raw<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, v);
}

/// A JSON string. Nearly every string here needs no escaping (names, ARNs, ids, dates): a
/// word-at-a-time scan shows that and the bytes are copied as they are; any other string goes
/// through serde_json's escaper.
pub(super) fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        return write_raw(s, out);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Does JSON need any of these bytes escaped (control characters, `"` and `\`)?
fn needs_escape(bytes: &[u8]) -> bool {
    // Exact "some byte of x is below n" and "some byte is zero" word tests (Bit Twiddling
    // Hacks, `hasless` / `haszero`).
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH != 0;
    let has = |x: u64, b: u8| below(x ^ (ONES * u64::from(b)), 1);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w);
        if below(x, 0x20) || has(x, b'"') || has(x, b'\\') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// The plan of `model`: cached when it is one of the pinned models, compiled for this call
/// otherwise.
pub(super) fn with_plan<T>(model: &Model, f: impl FnOnce(&Plan<'_>) -> T) -> T {
    static CACHE: LazyLock<Vec<OnceLock<Plan<'static>>>> = LazyLock::new(|| {
        crate::model::all_pinned()
            .iter()
            .map(|_| OnceLock::new())
            .collect()
    });
    let pinned = crate::model::all_pinned()
        .iter()
        .position(|p| p.service == model.metadata.endpoint_prefix)
        .map(|i| (i, crate::model::all_pinned()[i].get()))
        .filter(|(_, pinned)| std::ptr::eq(*pinned, model));
    match pinned {
        Some((i, pinned)) => f(CACHE[i].get_or_init(|| Plan::compile(pinned))),
        None => f(&Plan::compile(model)),
    }
}

#[cfg(test)]
mod tests {
    use super::write_str;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
            "héllo wörld ✓ 𝄞".into(),
            "\u{7f}\u{80}\u{ff}".into(),
        ];
        // Every escaped byte at every position of a word and of the tail.
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
            for len in 1..=17 {
                for pos in 0..len {
                    let mut s: String = "a".repeat(len);
                    s.replace_range(pos..pos + 1, &special.to_string());
                    cases.push(s);
                }
            }
        }
        for s in cases {
            let mut out = Vec::new();
            write_str(&s, &mut out);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }
}

//! The located layer under the scenario parser: a YAML (or JSON) document as a
//! `serde_json::Value` plus the source position of every node, keyed by JSON pointer, so that
//! semantic errors found after parsing still point at `file:line:col`.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diagnostic::Pos;

/// A parsed document with positions.
#[derive(Debug, Default)]
pub struct Located {
    pub value: Value,
    /// JSON pointer (RFC 6901) → position of the value.
    values: HashMap<String, Pos>,
    /// JSON pointer of a mapping entry → position of its key.
    keys: HashMap<String, Pos>,
}

/// A syntax error at a position.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl Located {
    /// Position of the value at `pointer`, or of its closest located ancestor.
    pub fn pos(&self, pointer: &str) -> Pos {
        let mut p = pointer.to_string();
        loop {
            if let Some(pos) = self.values.get(&p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return Pos { line: 1, col: 1 },
            }
        }
    }
    /// Position of the key of the mapping entry at `pointer` (falls back to the value).
    pub fn key_pos(&self, pointer: &str) -> Pos {
        self.keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.pos(pointer))
    }
}

/// Escapes one JSON pointer reference token.
pub fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

fn pos_of(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

enum Frame {
    Seq(Vec<Value>, String),
    /// Entries, pending key (with its position), the pointer of the mapping.
    Map(Map<String, Value>, Option<(String, Pos)>, String),
}

struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    /// Anchor ids of the open collections, to register them when they close.
    open_anchors: Vec<usize>,
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
    error: Option<SyntaxError>,
    documents: usize,
}

impl Builder {
    /// The pointer where the next value lands.
    fn next_pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq(items, p)) => format!("{p}/{}", items.len()),
            Some(Frame::Map(_, Some((k, _)), p)) => format!("{p}/{}", escape_token(k)),
            Some(Frame::Map(_, None, p)) => p.clone(),
        }
    }

    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some(SyntaxError { pos, message });
        }
    }

    /// Adds a finished value to the enclosing collection (or as the root).
    fn push(&mut self, v: Value, pos: Pos) {
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                Some((k, kpos)) => {
                    if map.contains_key(&k) {
                        let message = format!("duplicate key {k:?} in this mapping");
                        self.fail(kpos, message);
                        return;
                    }
                    map.insert(k, v);
                }
                None => {
                    let key = match v {
                        Value::String(s) => s,
                        Value::Null => "null".into(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            self.fail(pos, "a mapping key must be a scalar".into());
                            return;
                        }
                    };
                    let Some(Frame::Map(_, _, p)) = self.stack.last() else {
                        unreachable!()
                    };
                    let ptr = format!("{p}/{}", escape_token(&key));
                    self.keys.insert(ptr, pos);
                    if let Some(Frame::Map(_, pending, _)) = self.stack.last_mut() {
                        *pending = Some((key, pos));
                    }
                }
            },
        }
    }

    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map(_, None, _)))
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema; quoted scalars are strings.
fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
) -> Result<Value, String> {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            return match tag.suffix.as_str() {
                "str" => Ok(Value::String(text)),
                "int" | "float" | "bool" | "null" => scalar(text, TScalarStyle::Plain, None),
                other => Err(format!("unsupported YAML tag !!{other}")),
            };
        }
        return Err(format!("unsupported YAML tag {}{}", tag.handle, tag.suffix));
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    Ok(match text.as_str() {
        "~" | "null" | "Null" | "NULL" | "" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Some(n) = parse_int(&text) {
                Value::Number(n.into())
            } else if let Some(f) = parse_float(&text) {
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => return Err(format!("{text} is not representable in JSON")),
                }
            } else {
                Value::String(text)
            }
        }
    })
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn parse_float(t: &str) -> Option<f64> {
    let ok = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if ok {
        t.parse().ok()
    } else {
        None
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = pos_of(&mark);
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(
                        pos,
                        "a scenario file holds one YAML document; put several scenarios under `scenarios:`"
                            .into(),
                    );
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let v = match scalar(text, style, tag.as_ref()) {
                    Ok(v) => v,
                    Err(m) => return self.fail(pos, m),
                };
                if !self.is_key_position() {
                    let ptr = self.next_pointer();
                    self.values.insert(ptr, pos);
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v, pos);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => {
                    if !self.is_key_position() {
                        let ptr = self.next_pointer();
                        self.values.insert(ptr, pos);
                    }
                    self.push(v, pos)
                }
                None => self.fail(pos, "alias to an unknown anchor".into()),
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.is_key_position() {
                    return self.fail(pos, "a mapping key must be a scalar".into());
                }
                let ptr = self.next_pointer();
                self.values.insert(ptr.clone(), pos);
                self.open_anchors.push(anchor);
                if matches!(ev, Event::SequenceStart(..)) {
                    self.stack.push(Frame::Seq(Vec::new(), ptr));
                } else {
                    self.stack.push(Frame::Map(Map::new(), None, ptr));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let v = match self.stack.pop() {
                    Some(Frame::Seq(items, _)) => Value::Array(items),
                    Some(Frame::Map(map, _, _)) => Value::Object(map),
                    None => return,
                };
                let anchor = self.open_anchors.pop().unwrap_or(0);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                self.push(v, pos);
            }
            _ => {}
        }
    }
}

/// Parses YAML (JSON is accepted as YAML) into a located document.
pub fn parse_yaml(text: &str) -> Result<Located, SyntaxError> {
    let mut b = Builder {
        stack: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        open_anchors: Vec::new(),
        values: HashMap::new(),
        keys: HashMap::new(),
        error: None,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut b, true) {
        let m = e.marker();
        return Err(SyntaxError {
            pos: pos_of(m),
            message: format!("invalid YAML: {}", e.info()),
        });
    }
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(Located {
        value: b.root.unwrap_or(Value::Null),
        values: b.values,
        keys: b.keys,
    })
}

/// Parses a JSON file: serde_json decides validity (exact JSON errors), the YAML reader supplies
/// positions when it can read the same text.
pub fn parse_json(text: &str) -> Result<Located, SyntaxError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SyntaxError {
        pos: Pos {
            line: e.line(),
            col: e.column(),
        },
        message: format!("invalid JSON: {e}"),
    })?;
    let mut located = parse_yaml(text).unwrap_or_default();
    located.value = value;
    Ok(located)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_values_and_keys() {
        let l = parse_yaml("name: x\nsteps:\n  - call: iam.GetUser\n    input: {UserName: a}\n")
            .unwrap();
        assert_eq!(l.pos("/steps/0/call"), Pos { line: 3, col: 11 });
        assert_eq!(l.key_pos("/steps/0/input"), Pos { line: 4, col: 5 });
        assert_eq!(l.pos("/steps/0/input/UserName"), Pos { line: 4, col: 23 });
        assert_eq!(l.value["steps"][0]["input"]["UserName"], "a");
    }

    #[test]
    fn scalar_types_follow_the_core_schema() {
        let l = parse_yaml("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: x1\n").unwrap();
        assert_eq!(
            l.value,
            serde_json::json!({"a":1,"b":"1","c":true,"d":null,"e":1.5,"f":"x1"})
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = parse_yaml("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 1 });
    }

    #[test]
    fn anchors_and_aliases() {
        let l = parse_yaml("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(l.value["b"]["k"], 1);
    }
}

//! Templating of scenario values with minijinja: strict undefined variables, the helpers a parity
//! test needs, and the value helpers (`{json: ..}`, `{zip: ..}`, `{file: ..}`, `{base64: ..}`).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use indexmap::IndexMap;
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {source_text:?}: {message}")]
    Render {
        source_text: String,
        message: String,
    },
    #[error("{0}")]
    Helper(String),
}

/// The variables a template sees.
pub type Vars = IndexMap<String, Value>;

/// Name of the variable holding the scenario's directory (for `file()` and `zip:`).
const DIR_VAR: &str = "__scenario_dir";

/// The keys that make a one-key mapping a value helper rather than an AWS structure (AWS member
/// names are PascalCase, so these lower-case keys cannot clash).
pub const HELPERS: &[&str] = &["json", "zip", "file", "base64"];

pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

pub fn short_uid() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

fn err(kind: ErrorKind, m: impl Into<String>) -> minijinja::Error {
    minijinja::Error::new(kind, m.into())
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.add_function("short_uid", short_uid);
        env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
        env.add_function("random_name", |prefix: Option<String>| {
            format!("{}-{}", prefix.as_deref().unwrap_or("pt"), short_uid())
        });
        env.add_function(
            "file",
            |state: &State, path: String| -> Result<String, minijinja::Error> {
                let dir = state
                    .lookup(DIR_VAR)
                    .and_then(|v| v.as_str().map(PathBuf::from))
                    .unwrap_or_default();
                std::fs::read_to_string(dir.join(&path))
                    .map_err(|e| err(ErrorKind::InvalidOperation, format!("file({path:?}): {e}")))
            },
        );
        env.add_filter("b64encode", |s: String| {
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        });
        env.add_filter(
            "b64decode",
            |s: String| -> Result<String, minijinja::Error> {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .map_err(|e| err(ErrorKind::InvalidOperation, format!("b64decode: {e}")))?;
                String::from_utf8(bytes)
                    .map_err(|_| err(ErrorKind::InvalidOperation, "b64decode: not UTF-8"))
            },
        );
        env.add_filter(
            "toyaml",
            |v: minijinja::Value| -> Result<String, minijinja::Error> {
                serde_yaml::to_string(&v)
                    .map_err(|e| err(ErrorKind::InvalidOperation, e.to_string()))
            },
        );
        Templates { env }
    }

    /// Checks template syntax without rendering.
    pub fn check(&self, text: &str) -> Result<(), String> {
        if let Some(expr) = whole_expression(text) {
            return self.check_expression(expr);
        }
        self.env
            .template_from_str(text)
            .map(|_| ())
            .map_err(|e| describe(&e))
    }

    pub fn check_expression(&self, expr: &str) -> Result<(), String> {
        self.env
            .compile_expression(expr)
            .map(|_| ())
            .map_err(|e| describe(&e))
    }

    /// Evaluates a bare expression (`when:`), e.g. `runtime == 'python3.12'`.
    pub fn eval(&self, expr: &str, ctx: &Context) -> Result<Value, TemplateError> {
        let e = self
            .env
            .compile_expression(expr)
            .map_err(|e| render_error(expr, &e))?;
        let v = e.eval(ctx.jinja()).map_err(|e| render_error(expr, &e))?;
        // Strict mode fails on printing an undefined value, not on returning one: a whole
        // `{{ expression }}` (or `when:`) naming nothing would silently become null.
        if v.is_undefined() {
            return Err(TemplateError::Render {
                source_text: expr.into(),
                message: format!("undefined variable `{}`", expr.trim()),
            });
        }
        serde_json::to_value(&v).map_err(|e| TemplateError::Render {
            source_text: expr.into(),
            message: e.to_string(),
        })
    }

    /// Renders a string. A string that is one `{{ expression }}` keeps the expression's type
    /// (numbers, lists, objects), so `MaxItems: "{{ n }}"` sends a number.
    pub fn render_str(&self, text: &str, ctx: &Context) -> Result<Value, TemplateError> {
        if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
            return Ok(Value::String(text.to_string()));
        }
        if let Some(expr) = whole_expression(text) {
            return self.eval(expr, ctx);
        }
        self.env
            .render_str(text, ctx.jinja())
            .map(Value::String)
            .map_err(|e| render_error(text, &e))
    }

    /// Renders every string of a value and applies the value helpers.
    pub fn render(&self, v: &Value, ctx: &Context) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => self.render_str(s, ctx)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.render(i, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                if let Some((k, inner)) = helper(map) {
                    return self.helper(k, inner, ctx);
                }
                let mut out = Map::new();
                for (k, val) in map {
                    let key = match self.render_str(k, ctx)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    out.insert(key, self.render(val, ctx)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn helper(&self, name: &str, inner: &Value, ctx: &Context) -> Result<Value, TemplateError> {
        match name {
            "json" => {
                let doc = self.render(inner, ctx)?;
                Ok(Value::String(
                    serde_json::to_string(&doc).expect("JSON values serialize"),
                ))
            }
            "base64" => {
                let text = self.render(inner, ctx)?;
                let text = text.as_str().ok_or_else(|| {
                    TemplateError::Helper("base64: expects a base64 string".into())
                })?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|e| TemplateError::Helper(format!("base64: {e}")))?;
                Ok(blob(&bytes))
            }
            "file" => {
                let path = self.render(inner, ctx)?;
                let path = path
                    .as_str()
                    .ok_or_else(|| TemplateError::Helper("file: expects a path".into()))?;
                let full = ctx.dir.join(path);
                let bytes = std::fs::read(&full)
                    .map_err(|e| TemplateError::Helper(format!("file {}: {e}", full.display())))?;
                Ok(match String::from_utf8(bytes) {
                    Ok(s) => Value::String(s),
                    Err(e) => blob(e.as_bytes()),
                })
            }
            "zip" => {
                let entries = self.zip_entries(inner, ctx)?;
                Ok(blob(&make_zip(&entries)?))
            }
            _ => unreachable!("helper names come from HELPERS"),
        }
    }

    /// The files of a `zip:` helper: a mapping of archive names to contents (strings or value
    /// helpers), or a directory next to the scenario.
    fn zip_entries(
        &self,
        inner: &Value,
        ctx: &Context,
    ) -> Result<Vec<(String, Vec<u8>)>, TemplateError> {
        match inner {
            Value::Object(files) => {
                let mut out = Vec::new();
                for (name, content) in files {
                    let bytes = match self.render(content, ctx)? {
                        Value::String(s) => s.into_bytes(),
                        v => blob_bytes(&v).ok_or_else(|| {
                            TemplateError::Helper(format!(
                                "zip: entry {name:?} must be text or a file"
                            ))
                        })?,
                    };
                    out.push((name.clone(), bytes));
                }
                Ok(out)
            }
            Value::String(dir) => {
                let root = ctx.dir.join(dir);
                let mut out = Vec::new();
                collect_files(&root, &root, &mut out)
                    .map_err(|e| TemplateError::Helper(format!("zip {}: {e}", root.display())))?;
                out.sort();
                Ok(out)
            }
            _ => Err(TemplateError::Helper(
                "zip: expects a mapping of file names to contents, or a directory".into(),
            )),
        }
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let name = path
                .strip_prefix(root)
                .expect("walked below root")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, std::fs::read(&path)?));
        }
    }
    Ok(())
}

/// A deterministic zip (fixed timestamps, given order), so recordings of code hashes are stable.
fn make_zip(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, TemplateError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts)
            .and_then(|_| w.write_all(bytes).map_err(Into::into))
            .map_err(|e| TemplateError::Helper(format!("zip: {e}")))?;
    }
    let cursor = w
        .finish()
        .map_err(|e| TemplateError::Helper(format!("zip: {e}")))?;
    Ok(cursor.into_inner())
}

/// How binary input (blobs) is handed to the dispatcher: `{"base64": "..."}` (the same shape as
/// the `base64:` helper, so a rendered blob renders to itself).
pub const BLOB_KEY: &str = "base64";

pub fn blob(bytes: &[u8]) -> Value {
    let mut m = Map::new();
    m.insert(
        BLOB_KEY.into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
    );
    Value::Object(m)
}

fn blob_bytes(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_object()?.get(BLOB_KEY)?.as_str()?;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// `Some((helper, argument))` when a mapping is a value helper.
pub fn helper(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (k, v) = map.iter().next()?;
    HELPERS.contains(&k.as_str()).then_some((k.as_str(), v))
}

/// The expression of a string that is exactly one `{{ ... }}`.
fn whole_expression(text: &str) -> Option<&str> {
    let t = text.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

fn describe(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

fn render_error(text: &str, e: &minijinja::Error) -> TemplateError {
    let mut message = describe(e);
    if e.kind() == ErrorKind::UndefinedError {
        message = "undefined variable (every variable must be set by vars, matrix, capture, set or a group parameter)".into();
        if let Some(r) = e.range() {
            if let Some(name) = text.get(r) {
                message = format!("undefined variable `{name}`");
            }
        }
    }
    TemplateError::Render {
        source_text: text.to_string(),
        message,
    }
}

/// What templates see: variables plus the scenario directory.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub vars: Vars,
    pub dir: PathBuf,
}

impl Context {
    fn jinja(&self) -> minijinja::Value {
        let mut m: IndexMap<String, minijinja::Value> = self
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), minijinja::Value::from_serialize(v)))
            .collect();
        m.insert(
            DIR_VAR.into(),
            minijinja::Value::from(self.dir.to_string_lossy().to_string()),
        );
        minijinja::Value::from_serialize(&m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(vars: Value) -> Context {
        Context {
            vars: serde_json::from_value(vars).unwrap(),
            dir: PathBuf::from("."),
        }
    }

    #[test]
    fn whole_expressions_keep_their_type() {
        let t = Templates::new();
        let c = ctx(json!({"n": 3, "name": "x"}));
        assert_eq!(
            t.render(&json!({"A": "{{ n }}", "B": "a-{{ name }}"}), &c)
                .unwrap(),
            json!({"A": 3, "B": "a-x"})
        );
    }

    #[test]
    fn undefined_is_an_error() {
        let t = Templates::new();
        let e = t.render_str("x-{{ nope }}", &ctx(json!({}))).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        // A whole expression keeps its type, so it is evaluated, not printed: still an error.
        let e = t.render_str("{{ nope }}", &ctx(json!({}))).unwrap_err();
        assert!(e.to_string().contains("undefined variable `nope`"), "{e}");
        let e = t
            .render_str("{{ m.missing }}", &ctx(json!({"m": {}})))
            .unwrap_err();
        assert!(e.to_string().contains("m.missing"), "{e}");
        assert!(t.eval("nope", &ctx(json!({}))).is_err());
        assert_eq!(
            t.eval("nope is defined", &ctx(json!({}))).unwrap(),
            json!(false)
        );
        assert_eq!(t.eval("m", &ctx(json!({"m": null}))).unwrap(), json!(null));
    }

    #[test]
    fn json_helper_sends_a_string() {
        let t = Templates::new();
        let v = t
            .render(
                &json!({"Doc": {"json": {"Version": "{{ v }}"}}}),
                &ctx(json!({"v": "2012"})),
            )
            .unwrap();
        assert_eq!(v, json!({"Doc": "{\"Version\":\"2012\"}"}));
    }

    #[test]
    fn zip_is_deterministic() {
        let t = Templates::new();
        let z = json!({"zip": {"index.py": "x = 1\n"}});
        let a = t.render(&z, &ctx(json!({}))).unwrap();
        let b = t.render(&z, &ctx(json!({}))).unwrap();
        assert_eq!(a, b);
        assert!(a.get(BLOB_KEY).is_some());
    }
}

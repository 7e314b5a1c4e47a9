//! Loading a scenario file: syntax, structure and meaning are all checked before anything runs,
//! and every problem becomes a located `Diagnostic`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;

use super::model::{
    AssertionDoc, ExpectDetail, ExpectDoc, ExpectWord, GroupDoc, MultiFile, ScenarioDoc, StepDoc,
    WaitDoc,
};
use super::source::{escape_token, parse_json, parse_yaml, Located};
use super::{
    Assertion, CallStep, Check, Expect, Scenario, SnapshotLocation, Step, StepKind, Transformer,
    WaitCondition, WaitStep,
};
use crate::diagnostic::{did_you_mean, Diagnostic, Pos};
use crate::scenario::model::KnownGapDoc;
use crate::template::{helper, Templates};

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Root for snapshot files named `recordings:<path>`.
    pub recordings: Option<PathBuf>,
}

/// Include nesting limit (a group including itself would never end).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Loads every scenario of one file, or every problem in it.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::new(
            path,
            Pos::default(),
            format!("cannot read the file: {e}"),
        )]
    })?;
    let doc = Doc::parse(path, &text)?;
    let mut cx = Compiler {
        doc: &doc,
        templates: Templates::new(),
        diags: Vec::new(),
        opts,
        depth: 0,
    };
    let scenarios = cx.file();
    if cx.diags.is_empty() {
        Ok(scenarios)
    } else {
        let mut d = cx.diags;
        d.sort_by(|a, b| (a.pos, &a.file).cmp(&(b.pos, &b.file)));
        d.dedup();
        Err(with_source_of(d, path, &text))
    }
}

/// Attaches `text` (the source of `path`) to the diagnostics about `path`; those about a group
/// file included from it already carry that file's lines.
fn with_source_of(diags: Vec<Diagnostic>, path: &Path, text: &str) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .map(|d| {
            if d.file == path {
                d.with_source(text)
            } else {
                d
            }
        })
        .collect()
}

/// One parsed source file.
struct Doc {
    path: PathBuf,
    located: Located,
}

impl Doc {
    fn parse(path: &Path, text: &str) -> Result<Doc, Vec<Diagnostic>> {
        let is_json = path.extension().is_some_and(|e| e == "json");
        let located = if is_json {
            parse_json(text)
        } else {
            parse_yaml(text)
        }
        .map_err(|e| vec![Diagnostic::new(path, e.pos, e.message).with_source(text)])?;
        Ok(Doc {
            path: path.to_path_buf(),
            located,
        })
    }

    fn diag(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, self.located.pos(pointer), message)
    }

    fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Deserializes the value at `pointer`, turning serde errors into located diagnostics.
    fn typed<T: serde::de::DeserializeOwned>(
        &self,
        pointer: &str,
        what: &str,
    ) -> Result<T, Box<Diagnostic>> {
        self.typed_in(&self.located.value, pointer, what)
    }

    fn typed_in<T: serde::de::DeserializeOwned>(
        &self,
        root: &Value,
        pointer: &str,
        what: &str,
    ) -> Result<T, Box<Diagnostic>> {
        let value = root.pointer(pointer).cloned().unwrap_or(Value::Null);
        serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
            let mut inner = pointer.to_string();
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => {
                        inner.push_str(&format!("/{index}"))
                    }
                    serde_path_to_error::Segment::Map { key } => {
                        inner.push_str(&format!("/{}", escape_token(key)))
                    }
                    _ => {}
                }
            }
            Box::new(self.serde_diag(&inner, &e.into_inner().to_string(), what))
        })
    }

    fn serde_diag(&self, pointer: &str, message: &str, what: &str) -> Diagnostic {
        // "unknown field `x`, expected one of `a`, `b`"
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let field = rest.split('`').next().unwrap_or_default();
            let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
            // The error path may already end at the unknown key.
            let token = format!("/{}", escape_token(field));
            let pointer = pointer.strip_suffix(token.as_str()).unwrap_or(pointer);
            let at = format!("{pointer}{token}");
            let mut d = Diagnostic::new(
                &self.path,
                self.located.key_pos(&at),
                format!("unknown key `{field}` in {}", what_at(pointer, what)),
            )
            .expected(format!("one of {}", expected.join(", ")));
            if let Some(m) = did_you_mean(field, expected.iter().copied()) {
                d = d.hint(format!("did you mean `{m}`?"));
            }
            return d;
        }
        if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or_default();
            return self
                .diag(
                    pointer,
                    format!("missing key `{field}` in {}", what_at(pointer, what)),
                )
                .expected(format!("a `{field}:` entry"));
        }
        if message.starts_with("data did not match any variant of untagged enum ExpectDoc") {
            return self
                .diag(pointer, "invalid `expect`")
                .expected("`success`, `any`, or {error: Code, status: 404}");
        }
        if message.starts_with("data did not match any variant of untagged enum OneOrMany") {
            return self
                .diag(pointer, "invalid `cleanup`")
                .expected("a step (e.g. {call: iam.DeleteUser, input: {...}}) or a list of steps");
        }
        let (msg, expected) = match message.split_once(", expected ") {
            Some((m, e)) => (m.to_string(), Some(e.to_string())),
            None => (message.to_string(), None),
        };
        let mut d = self.diag(pointer, format!("{msg} at {}", what_at(pointer, what)));
        if let Some(e) = expected {
            d = d.expected(e);
        }
        d
    }
}

fn what_at(pointer: &str, what: &str) -> String {
    if pointer.is_empty() {
        what.to_string()
    } else {
        format!("`{}`", pointer_display(pointer))
    }
}

/// `/steps/0/input` → `steps[0].input`.
fn pointer_display(pointer: &str) -> String {
    let mut out = String::new();
    for tok in pointer.split('/').skip(1) {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        if tok.parse::<usize>().is_ok() {
            out.push_str(&format!("[{tok}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&tok);
        }
    }
    out
}

struct Compiler<'a> {
    doc: &'a Doc,
    templates: Templates,
    diags: Vec<Diagnostic>,
    opts: &'a LoadOptions,
    depth: usize,
}

/// Groups visible to a scenario, with the document they came from.
type Groups = IndexMap<String, (GroupDoc, String)>;

impl Compiler<'_> {
    fn file(&mut self) -> Vec<Scenario> {
        let root = &self.doc.located.value;
        if !root.is_object() {
            self.diags.push(
                self.doc
                    .diag("", "a scenario file must be a mapping")
                    .expected("`name:` and `steps:` (one scenario) or `scenarios:` (several)"),
            );
            return Vec::new();
        }
        let multi = root.get("scenarios").is_some();
        // Check every step on its own first, so one typo does not hide the others; a broken
        // step is then replaced by a no-op (same index, so positions stay right) and the rest of
        // the file is still checked.
        let mut root = root.clone();
        for steps_ptr in step_lists(&root) {
            let n = root
                .pointer(&steps_ptr)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for i in 0..n {
                let at = format!("{steps_ptr}/{i}");
                if let Err(d) = self.doc.typed_in::<StepDoc>(&root, &at, "the step") {
                    self.diags.push(*d);
                    if let Some(slot) = root.pointer_mut(&at) {
                        *slot = serde_json::json!({"set": {}});
                    }
                }
            }
        }
        let root = &root;
        let docs: Vec<(ScenarioDoc, String)>;
        let groups_doc: IndexMap<String, GroupDoc>;
        let groups_ptr: &str;
        if multi {
            match self.doc.typed_in::<MultiFile>(root, "", "the file") {
                Ok(m) => {
                    docs = m
                        .scenarios
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| (s, format!("/scenarios/{i}")))
                        .collect();
                    groups_doc = m.groups;
                }
                Err(d) => {
                    self.push_unique(*d);
                    return Vec::new();
                }
            }
            groups_ptr = "/groups";
        } else {
            match self.doc.typed_in::<ScenarioDoc>(root, "", "the scenario") {
                Ok(mut s) => {
                    groups_doc = std::mem::take(&mut s.groups);
                    docs = vec![(s, String::new())];
                }
                Err(d) => {
                    self.push_unique(*d);
                    return Vec::new();
                }
            }
            groups_ptr = "/groups";
        }
        let groups: Groups = groups_doc
            .into_iter()
            .map(|(k, g)| {
                let ptr = format!("{groups_ptr}/{}", escape_token(&k));
                (k, (g, ptr))
            })
            .collect();

        let mut out = Vec::new();
        let mut ids: IndexMap<String, String> = IndexMap::new();
        for (s, ptr) in docs {
            if multi && !s.groups.is_empty() {
                self.diags.push(
                    self.doc
                        .diag(
                            &format!("{ptr}/groups"),
                            "`groups:` belongs at the top of the file",
                        )
                        .hint("move it next to `scenarios:`"),
                );
            }
            for sc in self.scenario(s, &ptr, &groups) {
                if let Some(prev) = ids.insert(sc.id.clone(), ptr.clone()) {
                    let first = self.doc.located.pos(&prev);
                    self.diags.push(
                        self.doc
                            .diag(
                                &format!("{ptr}/name"),
                                format!("duplicate scenario id {:?}", sc.id),
                            )
                            .hint(format!(
                                "first used at line {}; give one an `id:`",
                                first.line
                            )),
                    );
                }
                out.push(sc);
            }
        }
        out
    }

    /// The whole-document error repeats the first step error found by the step pre-pass.
    fn push_unique(&mut self, d: Diagnostic) {
        if !self
            .diags
            .iter()
            .any(|x| x.pos == d.pos && x.file == d.file)
        {
            self.diags.push(d);
        }
    }

    fn scenario(&mut self, s: ScenarioDoc, ptr: &str, groups: &Groups) -> Vec<Scenario> {
        let base_id = s.id.clone().unwrap_or_else(|| s.name.clone());
        if base_id.trim().is_empty() {
            self.diags
                .push(self.doc.diag(&format!("{ptr}/name"), "empty scenario name"));
        }
        for (i, p) in s.skip.iter().enumerate() {
            if let Err(e) = jsonpath_rust::parser::parse_json_path(p) {
                self.diags.push(
                    self.doc
                        .diag(
                            &format!("{ptr}/skip/{i}"),
                            format!("bad JSONPath {p:?}: {e}"),
                        )
                        .expected("a JSONPath such as $..Configuration.SnapStart"),
                );
            }
        }
        for (k, v) in &s.vars {
            self.check_templates(v, &format!("{ptr}/vars/{}", escape_token(k)));
        }
        let transformers = self.transformers(&s, ptr);
        let steps = self.steps(
            &s.steps,
            &format!("{ptr}/steps"),
            groups,
            &self.doc.path.clone(),
        );

        let combos = matrix(&s.matrix);
        if combos.is_empty() {
            self.diags.push(
                self.doc
                    .diag(&format!("{ptr}/matrix"), "a matrix parameter has no values")
                    .expected("a non-empty list per parameter"),
            );
            return Vec::new();
        }
        if let Some(KnownGapDoc::PerMatrixValue(map)) = &s.known_gap {
            let all: Vec<String> = combos
                .iter()
                .map(|c| {
                    c.values()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("-")
                })
                .collect();
            for key in map.keys().filter(|k| !all.contains(k)) {
                let mut d = self
                    .doc
                    .diag(
                        &format!("{ptr}/known_gap/{}", escape_token(key)),
                        format!(
                            "known_gap names {key:?}, which is not a matrix value of this scenario"
                        ),
                    )
                    .expected(format!("one of {}", all.join(", ")));
                if let Some(m) = did_you_mean(key, all.iter().map(String::as_str)) {
                    d = d.hint(format!("did you mean {m}?"));
                }
                self.diags.push(d);
            }
        }
        let pos = self.doc.located.pos(ptr);
        combos
            .into_iter()
            .map(|combo| {
                let values = (!combo.is_empty()).then(|| {
                    let parts: Vec<String> = combo
                        .values()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                    parts.join("-")
                });
                let id = match &values {
                    None => base_id.clone(),
                    Some(v) => format!("{base_id}[{v}]"),
                };
                let known_gap = s
                    .known_gap
                    .as_ref()
                    .and_then(|g| g.reason_for(values.as_deref()))
                    .cloned();
                let snapshot = self.snapshot_location(&s, &id);
                Scenario {
                    id,
                    name: s.name.clone(),
                    file: self.doc.path.clone(),
                    pos,
                    tags: s.tags.clone(),
                    skip_reason: s.skip_reason.clone(),
                    known_gap,
                    matrix_vars: combo,
                    vars: s.vars.clone(),
                    transformers: transformers.clone(),
                    timestamps: s.timestamps.unwrap_or_default(),
                    skip_paths: s.skip.clone(),
                    snapshot,
                    steps: steps.clone(),
                }
            })
            .collect()
    }

    /// The declared transformers, with the templated ones kept as written (their template
    /// syntax checked here, their values rendered when the scenario starts).
    fn transformers(&mut self, s: &ScenarioDoc, ptr: &str) -> Vec<Transformer> {
        let mut out = Vec::new();
        for (i, spec) in s.transformers.iter().enumerate() {
            let at = format!("{ptr}/transformers/{i}");
            let written = self.doc.located.value.pointer(&at).cloned();
            let template = written.filter(has_template);
            if let Some(t) = &template {
                self.check_templates(t, &at);
            }
            out.push(Transformer {
                spec: spec.clone(),
                template,
                location: format!(
                    "{}:{}",
                    self.doc.path.display(),
                    self.doc.located.pos(&at).line
                ),
            });
        }
        out
    }

    fn snapshot_location(&self, s: &ScenarioDoc, id: &str) -> SnapshotLocation {
        let key = s
            .snapshot
            .as_ref()
            .and_then(|r| r.key.clone())
            .unwrap_or_else(|| id.to_string());
        let file = match s.snapshot.as_ref().and_then(|r| r.file.as_deref()) {
            Some(f) => match f.strip_prefix("recordings:") {
                // The recording a scenario mirrors is the expected side on demand
                // (`--recordings DIR`); otherwise the scenario's own snapshot is, which
                // `paritytest import` fills from the recordings.
                Some(rel) => match &self.opts.recordings {
                    Some(root) => root.join(rel.trim_start_matches('/')),
                    None => default_snapshot_file(&self.doc.path),
                },
                None => self.doc.dir().join(f),
            },
            None => default_snapshot_file(&self.doc.path),
        };
        SnapshotLocation { file, key }
    }

    fn check_templates(&mut self, v: &Value, ptr: &str) {
        match v {
            Value::String(s) if s.contains("{{") || s.contains("{%") => {
                if let Err(e) = self.templates.check(s) {
                    self.diags.push(
                        self.doc
                            .diag(ptr, format!("bad template: {e}"))
                            .expected("minijinja syntax, e.g. \"role-{{ short_uid() }}\""),
                    );
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_templates(item, &format!("{ptr}/{i}"));
                }
            }
            Value::Object(m) => {
                for (k, item) in m {
                    self.check_templates(item, &format!("{ptr}/{}", escape_token(k)));
                }
            }
            _ => {}
        }
    }

    fn check_expression(&mut self, expr: &str, ptr: &str, what: &str) {
        if let Err(e) = self.templates.check_expression(expr) {
            self.diags.push(
                self.doc
                    .diag(ptr, format!("bad {what} expression: {e}"))
                    .expected("a minijinja expression, e.g. runtime == 'python3.12'"),
            );
        }
    }

    fn check_jsonpath(&mut self, path: &str, ptr: &str) {
        if let Err(e) = jsonpath_rust::parser::parse_json_path(path) {
            self.diags.push(
                self.doc
                    .diag(ptr, format!("bad JSONPath {path:?}: {e}"))
                    .expected("a JSONPath such as $.Role.Arn"),
            );
        }
    }

    fn steps(&mut self, docs: &[StepDoc], ptr: &str, groups: &Groups, file: &Path) -> Vec<Step> {
        docs.iter()
            .enumerate()
            .filter_map(|(i, d)| self.step(d, &format!("{ptr}/{i}"), groups, file))
            .collect()
    }

    /// Resolves `service.Operation` against the dispatcher.
    fn operation(&mut self, name: &str, ptr: &str) -> Option<(String, String)> {
        let ops = crate::dispatch::operations();
        let Some((service, op)) = name.split_once('.') else {
            self.diags.push(
                self.doc
                    .diag(ptr, format!("`{name}` is not service.Operation"))
                    .expected("e.g. iam.CreateUser")
                    .hint_opt(suggest_operation(name).map(|s| format!("did you mean {s}?"))),
            );
            return None;
        };
        if ops.iter().any(|o| o.service == service && o.name == op) {
            return Some((service.to_string(), op.to_string()));
        }
        let known_service = ops.iter().any(|o| o.service == service);
        let left_out = crate::dispatch::left_out()
            .iter()
            .find(|(s, o, _)| *s == service && *o == op);
        let mut d = self.doc.diag(ptr, format!("unknown operation {name}"));
        if let Some((_, _, why)) = left_out {
            d = d.hint(format!("{name} is not dispatchable: {why}"));
        } else if known_service {
            d = d
                .expected(format!(
                    "an operation of {service} (see `paritytest operations`)"
                ))
                .hint_opt(suggest_operation(name).map(|s| format!("did you mean {s}?")));
        } else {
            let mut services: Vec<&str> = ops.iter().map(|o| o.service).collect();
            services.dedup();
            d = d
                .expected(format!("a service among: {}", services.join(", ")))
                .hint_opt(suggest_operation(name).map(|s| format!("did you mean {s}?")));
        }
        self.diags.push(d);
        None
    }

    /// Checks a literal input against the operation's input shape; templated parts are checked
    /// when they are rendered.
    fn validate_input(&mut self, service: &str, op: &str, input: &Value, ptr: &str) {
        if let Err(crate::dispatch::DispatchError::Validation { path, message, .. }) =
            crate::dispatch::validate(service, op, input)
        {
            let member = path_to_pointer(&path);
            let at = input.pointer(&member);
            let templated = at.is_some_and(is_dynamic) || at.is_none() && contains_dynamic(input);
            if templated {
                return;
            }
            let full = format!("{ptr}{member}");
            let mut d = Diagnostic::new(
                &self.doc.path,
                self.doc.located.key_pos(&full),
                format!("invalid input for {service}.{op} at {path}: {message}"),
            );
            if let Some(hint) = member_hint(service, op, &member, &message) {
                d = d.hint(hint);
            }
            self.diags.push(d);
        }
    }

    fn step(&mut self, d: &StepDoc, ptr: &str, groups: &Groups, file: &Path) -> Option<Step> {
        let kinds: Vec<&str> = [
            ("call", d.call.is_some()),
            ("wait", d.wait.is_some()),
            ("include", d.include.is_some()),
            ("set", d.set.is_some()),
            (
                "match",
                d.call.is_none() && d.wait.is_none() && d.match_key.is_some(),
            ),
            (
                "assert",
                d.call.is_none() && d.match_key.is_none() && d.assertions.is_some(),
            ),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| k)
        .collect();
        if kinds.len() != 1 {
            let msg = if kinds.is_empty() {
                "this step does nothing".to_string()
            } else {
                format!(
                    "a step does one thing, this one has {}",
                    kinds.join(" and ")
                )
            };
            // Point at the second kind key: the first one is what the step was meant to be.
            let at = match kinds.get(1) {
                Some(k) => self.doc.located.key_pos(&format!("{ptr}/{k}")),
                None => self.doc.located.pos(ptr),
            };
            self.diags.push(Diagnostic::new(&self.doc.path, at, msg).expected(
                "exactly one of `call`, `wait`, `include`, `set`, `match` (with `value`) or `assert`",
            ));
            return None;
        }
        let kind_name = kinds[0];
        let allowed: &[&str] = match kind_name {
            "call" => &["input", "expect", "capture", "match", "assert", "cleanup"],
            "wait" => &[],
            "include" => &["with"],
            "set" => &[],
            "match" => &["value"],
            "assert" => &[],
            _ => &[],
        };
        let present = [
            ("input", d.input.is_some()),
            ("expect", d.expect.is_some()),
            ("capture", !d.capture.is_empty()),
            ("match", d.match_key.is_some() && kind_name != "match"),
            ("value", d.value.is_some()),
            ("assert", d.assertions.is_some() && kind_name != "assert"),
            ("cleanup", d.cleanup.is_some()),
            ("with", !d.with_params.is_empty()),
        ];
        for (key, on) in present {
            if on && !allowed.contains(&key) {
                let at = format!("{ptr}/{key}");
                self.diags.push(
                    Diagnostic::new(
                        &self.doc.path,
                        self.doc.located.key_pos(&at),
                        format!("`{key}` does not apply to a `{kind_name}` step"),
                    )
                    .expected(if allowed.is_empty() {
                        format!("no other keys than name, when, for_each, as with `{kind_name}`")
                    } else {
                        format!("with `{kind_name}`: {}", allowed.join(", "))
                    }),
                );
            }
        }
        if let Some(w) = &d.when {
            self.check_expression(w, &format!("{ptr}/when"), "`when`");
        }
        match &d.for_each {
            Some(Value::String(s)) => {
                let expr = s.trim().trim_start_matches("{{").trim_end_matches("}}");
                self.check_expression(expr, &format!("{ptr}/for_each"), "`for_each`");
            }
            Some(Value::Array(items)) => {
                for (i, it) in items.iter().enumerate() {
                    self.check_templates(it, &format!("{ptr}/for_each/{i}"));
                }
            }
            Some(_) => self.diags.push(self.doc.diag(
                &format!("{ptr}/for_each"),
                "`for_each` must be a list or an expression giving a list",
            )),
            None => {}
        }
        if d.loop_var.is_some() && d.for_each.is_none() {
            self.diags.push(self.doc.diag(
                &format!("{ptr}/as"),
                "`as` names the loop variable of `for_each`, which is missing",
            ));
        }

        let pos = self.doc.located.pos(ptr);
        let label_default;
        let kind = match kind_name {
            "call" => {
                let name = d.call.clone().unwrap_or_default();
                label_default = name.clone();
                let (service, operation) = self.operation(&name, &format!("{ptr}/call"))?;
                let input = d.input.clone().unwrap_or(Value::Object(Default::default()));
                if !input.is_object() {
                    self.diags.push(
                        self.doc
                            .diag(
                                &format!("{ptr}/input"),
                                "`input` must be a mapping of member names",
                            )
                            .expected("e.g. {UserName: alice}"),
                    );
                }
                self.check_templates(&input, &format!("{ptr}/input"));
                self.validate_input(&service, &operation, &input, &format!("{ptr}/input"));
                let expect = self.expect(d.expect.as_ref(), &format!("{ptr}/expect"));
                let capture = self.captures(&d.capture, &format!("{ptr}/capture"));
                if let Some(k) = &d.match_key {
                    self.check_templates(&Value::String(k.clone()), &format!("{ptr}/match"));
                }
                let assertions = self.assertions(
                    d.assertions.as_deref().unwrap_or(&[]),
                    &format!("{ptr}/assert"),
                    false,
                );
                let cleanup = match &d.cleanup {
                    Some(c) => {
                        let list = c.clone().into_vec();
                        let cptr = if matches!(c, super::model::OneOrMany::Many(_)) {
                            format!("{ptr}/cleanup")
                        } else {
                            // A single step: its pointer is the cleanup value itself.
                            format!("{ptr}/cleanup#one")
                        };
                        self.cleanup_steps(&list, &cptr, groups, file)
                    }
                    None => Vec::new(),
                };
                StepKind::Call(CallStep {
                    service,
                    operation,
                    input,
                    expect,
                    capture,
                    match_key: d.match_key.clone(),
                    assertions,
                    cleanup,
                })
            }
            "wait" => {
                let w = d.wait.as_ref().expect("kind is wait");
                label_default = format!(
                    "wait {}",
                    w.waiter.clone().or(w.call.clone()).unwrap_or_default()
                );
                StepKind::Wait(self.wait(w, &format!("{ptr}/wait"))?)
            }
            "include" => {
                let name = d.include.clone().unwrap_or_default();
                label_default = format!("include {name}");
                self.include(&name, &d.with_params, ptr, groups)?
            }
            "set" => {
                label_default = "set".into();
                let set = d.set.clone().unwrap_or_default();
                for (k, v) in &set {
                    self.check_templates(v, &format!("{ptr}/set/{}", escape_token(k)));
                }
                StepKind::Set(set)
            }
            "match" => {
                let key = d.match_key.clone().unwrap_or_default();
                label_default = format!("match {key}");
                let Some(value) = d.value.clone() else {
                    self.diags.push(
                        self.doc
                            .diag(&format!("{ptr}/match"), "a `match` step without `call` needs a `value`")
                            .hint("add `value:` with the literal to match, or a `call:` to match its response"),
                    );
                    return None;
                };
                self.check_templates(&value, &format!("{ptr}/value"));
                StepKind::Match { key, value }
            }
            _ => {
                label_default = "assert".into();
                let a = d.assertions.clone().unwrap_or_default();
                StepKind::Assert(self.assertions(&a, &format!("{ptr}/assert"), true))
            }
        };
        Some(Step {
            label: d.name.clone().unwrap_or(label_default),
            file: file.to_path_buf(),
            pos,
            when: d.when.clone(),
            for_each: d.for_each.clone(),
            loop_var: d.loop_var.clone().unwrap_or_else(|| "item".into()),
            kind,
        })
    }

    fn cleanup_steps(
        &mut self,
        list: &[StepDoc],
        ptr: &str,
        groups: &Groups,
        file: &Path,
    ) -> Vec<Step> {
        let single = ptr.strip_suffix("#one");
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let p = match single {
                Some(p) => p.to_string(),
                None => format!("{ptr}/{i}"),
            };
            if let Some(step) = self.step(s, &p, groups, file) {
                if let StepKind::Call(c) = &step.kind {
                    if !c.cleanup.is_empty() {
                        self.diags.push(self.doc.diag(
                            &format!("{p}/cleanup"),
                            "a cleanup step cannot register cleanups",
                        ));
                    }
                }
                out.push(step);
            }
        }
        out
    }

    fn expect(&mut self, e: Option<&ExpectDoc>, ptr: &str) -> Expect {
        match e {
            None | Some(ExpectDoc::Word(ExpectWord::Success)) => Expect::Success,
            Some(ExpectDoc::Word(ExpectWord::Any)) => Expect::Any,
            Some(ExpectDoc::Detail(ExpectDetail {
                error: None,
                status: None,
            })) => {
                self.diags.push(
                    self.doc
                        .diag(ptr, "empty `expect`")
                        .expected("`error:` and/or `status:`"),
                );
                Expect::Success
            }
            Some(ExpectDoc::Detail(ExpectDetail {
                error: None,
                status: Some(s),
            })) if *s < 400 => Expect::Status(*s),
            Some(ExpectDoc::Detail(ExpectDetail { error, status })) => Expect::Error {
                code: error.clone(),
                status: *status,
            },
        }
    }

    fn captures(&mut self, c: &IndexMap<String, String>, ptr: &str) -> Vec<(String, String)> {
        for (name, path) in c {
            let p = format!("{ptr}/{}", escape_token(name));
            self.check_jsonpath(path, &p);
            if !is_identifier(name) {
                self.diags.push(
                    Diagnostic::new(
                        &self.doc.path,
                        self.doc.located.key_pos(&p),
                        format!("`{name}` is not a variable name"),
                    )
                    .expected("letters, digits and _, not starting with a digit"),
                );
            }
        }
        c.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn assertions(&mut self, list: &[AssertionDoc], ptr: &str, standalone: bool) -> Vec<Assertion> {
        list.iter()
            .enumerate()
            .filter_map(|(i, a)| self.assertion(a, &format!("{ptr}/{i}"), standalone))
            .collect()
    }

    fn assertion(&mut self, a: &AssertionDoc, ptr: &str, standalone: bool) -> Option<Assertion> {
        let path = a.path.clone().unwrap_or_else(|| "$".into());
        self.check_jsonpath(&path, &format!("{ptr}/path"));
        if standalone && a.value.is_none() {
            self.diags.push(
                self.doc
                    .diag(ptr, "an `assert` step needs the `value` it checks")
                    .hint("e.g. {value: \"{{ role_name }}\", matches: \"^role-\"}"),
            );
        }
        if !standalone && a.value.is_some() {
            self.diags.push(self.doc.diag(
                &format!("{ptr}/value"),
                "assertions of a call check its response; `value` is for `assert` steps",
            ));
        }
        if let Some(v) = &a.value {
            self.check_templates(v, &format!("{ptr}/value"));
        }
        let mut checks = Vec::new();
        if let Some(v) = &a.equals {
            self.check_templates(v, &format!("{ptr}/equals"));
            checks.push(Check::Equals(v.clone()));
        }
        if let Some(v) = &a.not_equals {
            checks.push(Check::NotEquals(v.clone()));
        }
        if let Some(r) = &a.matches {
            // A templated pattern is checked once rendered.
            if r.contains("{{") {
                self.check_templates(&Value::String(r.clone()), &format!("{ptr}/matches"));
            } else if let Err(e) = regex::Regex::new(r) {
                self.diags.push(self.doc.diag(
                    &format!("{ptr}/matches"),
                    format!("bad regular expression: {e}"),
                ));
            }
            checks.push(Check::Matches(r.clone()));
        }
        if let Some(b) = a.exists {
            checks.push(Check::Exists(b));
        }
        if let Some(v) = &a.contains {
            checks.push(Check::Contains(v.clone()));
        }
        if let Some(n) = a.length {
            checks.push(Check::Length(n));
        }
        if checks.len() != 1 {
            self.diags.push(
                self.doc
                    .diag(ptr, "an assertion checks one thing")
                    .expected(
                        "exactly one of equals, not_equals, matches, exists, contains, length",
                    ),
            );
            return None;
        }
        Some(Assertion {
            path,
            value: a.value.clone(),
            check: checks.remove(0),
            pos: self.doc.located.pos(ptr),
        })
    }

    fn wait(&mut self, w: &WaitDoc, ptr: &str) -> Option<WaitStep> {
        let timeout = self.duration(w.timeout.as_deref(), &format!("{ptr}/timeout"));
        let interval = self.duration(w.interval.as_deref(), &format!("{ptr}/interval"));
        let backoff = w.backoff.unwrap_or(1.0);
        if !(1.0..=10.0).contains(&backoff) {
            self.diags.push(
                self.doc
                    .diag(
                        &format!("{ptr}/backoff"),
                        "`backoff` multiplies the interval",
                    )
                    .expected("a number from 1 to 10"),
            );
        }
        let input = w.input.clone().unwrap_or(Value::Object(Default::default()));
        self.check_templates(&input, &format!("{ptr}/input"));
        let capture = self.captures(&w.capture, &format!("{ptr}/capture"));
        let (service, operation, condition, timeout, interval) = match (&w.call, &w.waiter) {
            (Some(call), None) => {
                let (service, operation) = self.operation(call, &format!("{ptr}/call"))?;
                let Some(until) = &w.until else {
                    self.diags.push(
                        self.doc
                            .diag(ptr, "a `wait` with `call` needs `until`")
                            .expected("e.g. until: {path: $.Configuration.State, equals: Active}"),
                    );
                    return None;
                };
                let a = self.assertion(until, &format!("{ptr}/until"), false)?;
                (
                    service,
                    operation,
                    WaitCondition::Until(a),
                    timeout.unwrap_or(Duration::from_secs(60)),
                    interval.unwrap_or(Duration::from_secs(1)),
                )
            }
            (None, Some(name)) => {
                let found = name
                    .split_once('.')
                    .and_then(|(s, n)| crate::waiters::find(s, n).map(|w| (s, w)));
                let Some((service, waiter)) = found else {
                    let names = crate::waiters::names();
                    self.diags.push(
                        self.doc
                            .diag(&format!("{ptr}/waiter"), format!("unknown waiter {name}"))
                            .expected("service.waiter_name, e.g. lambda.function_active_v2")
                            .hint_opt(
                                did_you_mean(name, names.iter().map(String::as_str))
                                    .map(|s| format!("did you mean {s}?")),
                            ),
                    );
                    return None;
                };
                if w.until.is_some() {
                    self.diags.push(self.doc.diag(
                        &format!("{ptr}/until"),
                        "a waiter has its own conditions; `until` is for `call`",
                    ));
                }
                let op = self.operation(
                    &format!("{service}.{}", waiter.operation),
                    &format!("{ptr}/waiter"),
                )?;
                let default_timeout = Duration::from_secs(waiter.delay * waiter.max_attempts);
                (
                    op.0,
                    op.1,
                    WaitCondition::Waiter(name.clone(), waiter),
                    timeout.unwrap_or(default_timeout),
                    interval.unwrap_or(Duration::from_secs(waiter.delay)),
                )
            }
            _ => {
                self.diags.push(
                    self.doc
                        .diag(ptr, "a `wait` polls either an operation or an SDK waiter")
                        .expected("exactly one of `call` or `waiter`"),
                );
                return None;
            }
        };
        self.validate_input(&service, &operation, &input, &format!("{ptr}/input"));
        Some(WaitStep {
            service,
            operation,
            input,
            condition,
            timeout,
            interval,
            backoff,
            capture,
            match_key: w.match_key.clone(),
        })
    }

    fn duration(&mut self, text: Option<&str>, ptr: &str) -> Option<Duration> {
        let text = text?;
        match parse_duration(text) {
            Some(d) => Some(d),
            None => {
                self.diags.push(
                    self.doc
                        .diag(ptr, format!("bad duration {text:?}"))
                        .expected("a number with a unit: 500ms, 30s, 5m, 1h"),
                );
                None
            }
        }
    }

    fn include(
        &mut self,
        name: &str,
        with: &IndexMap<String, Value>,
        ptr: &str,
        groups: &Groups,
    ) -> Option<StepKind> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            self.diags.push(self.doc.diag(
                &format!("{ptr}/include"),
                "includes nest too deeply (a group including itself?)",
            ));
            return None;
        }
        let (group, steps) = if let Some((file, gname)) = name.split_once('#') {
            let path = self.doc.dir().join(file);
            let other = match std::fs::read_to_string(&path) {
                Ok(text) => match Doc::parse(&path, &text) {
                    Ok(d) => d,
                    Err(mut ds) => {
                        self.diags.append(&mut ds);
                        return None;
                    }
                },
                Err(e) => {
                    self.diags.push(self.doc.diag(
                        &format!("{ptr}/include"),
                        format!("cannot read {}: {e}", path.display()),
                    ));
                    return None;
                }
            };
            let raw: IndexMap<String, GroupDoc> = match other.typed("/groups", "`groups`") {
                Ok(g) => g,
                Err(d) => {
                    self.diags.push(*d);
                    return None;
                }
            };
            let other_groups: Groups = raw
                .into_iter()
                .map(|(k, g)| {
                    let p = format!("/groups/{}", escape_token(&k));
                    (k, (g, p))
                })
                .collect();
            let Some((g, gptr)) = other_groups.get(gname).cloned() else {
                self.diags
                    .push(self.unknown_group(gname, ptr, &other_groups));
                return None;
            };
            let mut sub = Compiler {
                doc: &other,
                templates: Templates::new(),
                diags: Vec::new(),
                opts: self.opts,
                depth: self.depth + 1,
            };
            let steps = sub.steps(&g.steps, &format!("{gptr}/steps"), &other_groups, &path);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            self.diags.extend(with_source_of(sub.diags, &path, &text));
            (g, steps)
        } else {
            let Some((g, gptr)) = groups.get(name).cloned() else {
                self.diags.push(self.unknown_group(name, ptr, groups));
                return None;
            };
            self.depth += 1;
            let file = self.doc.path.clone();
            let steps = self.steps(&g.steps, &format!("{gptr}/steps"), groups, &file);
            self.depth -= 1;
            (g, steps)
        };
        for k in with.keys() {
            if !group.params.contains_key(k) {
                let at = format!("{ptr}/with/{}", escape_token(k));
                self.diags.push(
                    Diagnostic::new(
                        &self.doc.path,
                        self.doc.located.key_pos(&at),
                        format!("group {name} has no parameter `{k}`"),
                    )
                    .expected(format!(
                        "one of: {}",
                        group.params.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                    .hint_opt(
                        did_you_mean(k, group.params.keys().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?")),
                    ),
                );
            }
            self.check_templates(&with[k], &format!("{ptr}/with/{}", escape_token(k)));
        }
        let mut params = IndexMap::new();
        for (k, default) in &group.params {
            match (with.get(k), default) {
                (Some(v), _) => {
                    params.insert(k.clone(), v.clone());
                }
                (None, Some(d)) => {
                    params.insert(k.clone(), d.clone());
                }
                (None, None) => self.diags.push(
                    self.doc
                        .diag(
                            &format!("{ptr}/include"),
                            format!("group {name} needs parameter `{k}`"),
                        )
                        .hint(format!("add `with: {{{k}: ...}}`")),
                ),
            }
        }
        Some(StepKind::Include {
            group: name.to_string(),
            params,
            steps,
        })
    }

    fn unknown_group(&self, name: &str, ptr: &str, groups: &Groups) -> Diagnostic {
        let mut d = self
            .doc
            .diag(&format!("{ptr}/include"), format!("unknown group {name}"))
            .expected(if groups.is_empty() {
                "a group defined under `groups:`".to_string()
            } else {
                format!(
                    "one of: {}",
                    groups.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            });
        if let Some(m) = did_you_mean(name, groups.keys().map(String::as_str)) {
            d = d.hint(format!("did you mean {m}?"));
        }
        d
    }
}

/// Pointers of the step lists of a document: the scenario's, each scenario's and each group's.
fn step_lists(root: &Value) -> Vec<String> {
    let mut out = vec!["/steps".to_string()];
    if let Some(Value::Array(list)) = root.get("scenarios") {
        out.extend((0..list.len()).map(|i| format!("/scenarios/{i}/steps")));
    }
    if let Some(Value::Object(groups)) = root.get("groups") {
        out.extend(
            groups
                .keys()
                .map(|k| format!("/groups/{}/steps", escape_token(k))),
        );
    }
    out
}

/// `scenarios/x/foo.yaml` → `snapshots/x/foo.snapshot.json` (the nearest `scenarios` ancestor is
/// mirrored into a sibling `snapshots`); elsewhere `foo.snapshot.json` next to the file.
pub fn default_snapshot_file(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = format!("{stem}.snapshot.json");
    let dir = scenario.parent().unwrap_or(Path::new(""));
    let mut rel = Vec::new();
    let mut cur = dir;
    loop {
        match cur.file_name() {
            Some(n) if n == "scenarios" => {
                let mut out = cur.with_file_name("snapshots");
                for part in rel.iter().rev() {
                    out.push(part);
                }
                return out.join(name);
            }
            Some(n) => {
                rel.push(n.to_os_string());
                match cur.parent() {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            None => break,
        }
    }
    dir.join(name)
}

/// Every combination of the matrix, in declaration order (first parameter slowest).
fn matrix(m: &IndexMap<String, Vec<Value>>) -> Vec<IndexMap<String, Value>> {
    let mut combos = vec![IndexMap::new()];
    for (k, values) in m {
        let mut next = Vec::new();
        for c in &combos {
            for v in values {
                let mut c = c.clone();
                c.insert(k.clone(), v.clone());
                next.push(c);
            }
        }
        combos = next;
    }
    combos
}

pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Whether any string in `v` is a template.
fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{") || s.contains("{%"),
        Value::Array(a) => a.iter().any(has_template),
        Value::Object(m) => m.values().any(has_template),
        _ => false,
    }
}

/// A templated string or a value helper: its final type is known only when rendered.
fn is_dynamic(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{") || s.contains("{%"),
        Value::Object(m) => helper(m).is_some(),
        _ => false,
    }
}

fn contains_dynamic(v: &Value) -> bool {
    is_dynamic(v)
        || match v {
            Value::Array(a) => a.iter().any(contains_dynamic),
            Value::Object(m) => m.values().any(contains_dynamic),
            _ => false,
        }
}

/// A dispatcher path (`Tags[0].Key`, `$.Tags[0].Key` or `/Tags/0/Key`) as a JSON pointer.
fn path_to_pointer(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let p = path.trim_start_matches('$').trim_start_matches('.');
    let mut out = String::new();
    for part in p.split('.').filter(|s| !s.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push('/');
            out.push_str(&escape_token(&rest[..i]));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                out.push('/');
                out.push_str(rest[1..end].trim_matches(|c| c == '"' || c == '\''));
                rest = &rest[end + 1..];
            }
        } else {
            out.push('/');
            out.push_str(&escape_token(rest));
        }
    }
    out
}

/// A did-you-mean for an unknown member, from the members the operation's input accepts.
fn member_hint(service: &str, op: &str, member_ptr: &str, message: &str) -> Option<String> {
    let unknown = member_ptr.rsplit('/').next()?;
    let known = crate::schema::input_members(service, op, member_ptr)?;
    if !message.to_ascii_lowercase().contains("unknown") || message.contains("did you mean") {
        return None;
    }
    did_you_mean(unknown, known.iter().map(String::as_str)).map(|m| format!("did you mean `{m}`?"))
}

/// The closest `service.Operation` to a misspelt one.
fn suggest_operation(name: &str) -> Option<String> {
    let all: Vec<String> = crate::dispatch::operations()
        .iter()
        .map(|o| format!("{}.{}", o.service, o.name))
        .collect();
    did_you_mean(name, all.iter().map(String::as_str)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_files_mirror_the_scenarios_tree() {
        assert_eq!(
            default_snapshot_file(Path::new("/r/scenarios/iam/users.yaml")),
            PathBuf::from("/r/snapshots/iam/users.snapshot.json")
        );
        assert_eq!(
            default_snapshot_file(Path::new("/tmp/x/users.yaml")),
            PathBuf::from("/tmp/x/users.snapshot.json")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("2 parsecs"), None);
        assert_eq!(parse_duration("s"), None);
    }

    #[test]
    fn matrix_order() {
        let mut m = IndexMap::new();
        m.insert("a".to_string(), vec![Value::from(1), Value::from(2)]);
        m.insert("b".to_string(), vec![Value::from("x")]);
        let c = matrix(&m);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1]["a"], 2);
    }

    #[test]
    fn dispatcher_paths() {
        assert_eq!(path_to_pointer("Tags[0].Key"), "/Tags/0/Key");
        assert_eq!(path_to_pointer("$.A.B"), "/A/B");
    }
}

//! Scenarios: the file format (`model`), its located source (`source`), and loading with
//! diagnostics into the checked form below (`load`), which the interpreter runs.

pub mod load;
pub mod model;
pub mod source;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use paritytest_snapshot::{TimestampSet, TransformerSpec};
use serde_json::Value;

use crate::diagnostic::Pos;

pub use load::{load_file, LoadOptions};

/// A checked, matrix-expanded scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Stable id, with matrix values: `invoke[python3.12]`.
    pub id: String,
    pub name: String,
    pub file: PathBuf,
    pub pos: Pos,
    pub tags: Vec<String>,
    pub skip_reason: Option<String>,
    /// See `ScenarioDoc::known_gap`.
    pub known_gap: Option<String>,
    /// Matrix values first, then `vars` (templates, rendered at run time in order).
    pub matrix_vars: IndexMap<String, Value>,
    pub vars: IndexMap<String, Value>,
    pub transformers: Vec<Transformer>,
    pub timestamps: TimestampSet,
    pub skip_paths: Vec<String>,
    pub snapshot: SnapshotLocation,
    pub steps: Vec<Step>,
}

impl Scenario {
    pub fn dir(&self) -> PathBuf {
        self.file
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default()
    }
    /// Whether any step (at any depth) matches a snapshot.
    pub fn has_match_points(&self) -> bool {
        fn any(steps: &[Step]) -> bool {
            steps.iter().any(|s| match &s.kind {
                StepKind::Call(c) => c.match_key.is_some() || any(&c.cleanup),
                StepKind::Wait(w) => w.match_key.is_some(),
                StepKind::Match { .. } => true,
                StepKind::Include { steps, .. } => any(steps),
                _ => false,
            })
        }
        any(&self.steps)
    }
}

/// A declared snapshot transformer, checked at load time. One whose parameters hold templates
/// (`regex: {pattern: "{{ fn_name }}", ...}`) is rendered again with the scenario's variables
/// when the scenario starts, like step inputs.
#[derive(Debug, Clone)]
pub struct Transformer {
    pub spec: TransformerSpec,
    /// The declaration as written, when it holds templates.
    pub template: Option<Value>,
    /// `file:line` of the declaration, for run-time errors.
    pub location: String,
}

/// The snapshot file and entry a scenario records into and verifies against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotLocation {
    pub file: PathBuf,
    pub key: String,
}

impl SnapshotLocation {
    /// `foo.snapshot.json` → `foo.validation.json`.
    pub fn validation_file(&self) -> PathBuf {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = name.strip_suffix(".snapshot.json").unwrap_or(&name);
        self.file.with_file_name(format!("{stem}.validation.json"))
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    /// For reports: the step's name or what it does (`iam.CreateUser`).
    pub label: String,
    pub file: PathBuf,
    pub pos: Pos,
    pub when: Option<String>,
    pub for_each: Option<Value>,
    pub loop_var: String,
    pub kind: StepKind,
}

impl Step {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.pos.line)
    }
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Call(CallStep),
    Wait(WaitStep),
    /// A group's steps with its parameters (templates, rendered when the include runs).
    Include {
        group: String,
        params: IndexMap<String, Value>,
        steps: Vec<Step>,
    },
    /// A literal match: no AWS call.
    Match {
        key: String,
        value: Value,
    },
    Assert(Vec<Assertion>),
    Set(IndexMap<String, Value>),
}

#[derive(Debug, Clone)]
pub struct CallStep {
    pub service: String,
    pub operation: String,
    pub input: Value,
    pub expect: Expect,
    pub capture: Vec<(String, String)>,
    pub match_key: Option<String>,
    pub assertions: Vec<Assertion>,
    pub cleanup: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Success,
    Any,
    Error {
        code: Option<String>,
        status: Option<u16>,
    },
    /// Success with this HTTP status.
    Status(u16),
}

#[derive(Debug, Clone)]
pub struct WaitStep {
    pub service: String,
    pub operation: String,
    pub input: Value,
    pub condition: WaitCondition,
    pub timeout: Duration,
    pub interval: Duration,
    pub backoff: f64,
    pub capture: Vec<(String, String)>,
    pub match_key: Option<String>,
}

#[derive(Debug, Clone)]
pub enum WaitCondition {
    Until(Assertion),
    Waiter(String, &'static crate::waiters::Waiter),
}

#[derive(Debug, Clone)]
pub struct Assertion {
    pub path: String,
    pub value: Option<Value>,
    pub check: Check,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum Check {
    Equals(Value),
    NotEquals(Value),
    Matches(String),
    Exists(bool),
    Contains(Value),
    Length(usize),
}

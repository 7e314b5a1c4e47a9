//! The scenario file format, as written by people: one model for YAML and JSON. These types are
//! what the parser deserializes and what the JSON Schema (schema/) is generated from; `compile`
//! turns them into the checked form the interpreter runs.

use indexmap::IndexMap;
use paritytest_snapshot::{TimestampSet, TransformerSpec};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// A scenario file: either one scenario at the top level, or several under `scenarios:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiFile {
    /// The JSON Schema of this file, for editors of JSON scenarios
    /// (`"$schema": "../../schema/scenario.schema.json"`).
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// The scenarios of this file; each id must be unique in the file.
    pub scenarios: Vec<ScenarioDoc>,
    /// Reusable step groups, used by `include:` steps of this file (or of other files, as
    /// `file.yaml#group`).
    #[serde(default)]
    pub groups: IndexMap<String, GroupDoc>,
}

/// One parity-test scenario.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDoc {
    /// The JSON Schema of this file, for editors of JSON scenarios
    /// (`"$schema": "../../schema/scenario.schema.json"`).
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// Human-readable name; also the id unless `id` is given.
    pub name: String,
    /// Stable id: the snapshot entry key (with `[matrix values]` appended). Keep it when renaming.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Tags for `--tag` filters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Set to a reason to skip this scenario everywhere.
    #[serde(default)]
    pub skip_reason: Option<String>,
    /// A known deviation of the target from AWS, with its reason. Against the emulator or an
    /// endpoint the scenario still runs: a failure is reported as a known gap and does not fail
    /// the run, and a pass fails the run until the marker is removed (strict, like pytest's
    /// `xfail(strict=True)`). Ignored against AWS. A map names matrix values instead:
    /// `{python3.8: reason}` marks only `name[python3.8]`.
    #[serde(default)]
    pub known_gap: Option<KnownGapDoc>,
    /// Variables for templates, rendered in order (a variable may use the ones before it).
    #[serde(default)]
    pub vars: IndexMap<String, Value>,
    /// Parameters: the scenario runs once per combination, with the values as variables, and its
    /// id gets the values appended, e.g. `invoke[python3.12]`.
    #[serde(default)]
    pub matrix: IndexMap<String, Vec<Value>>,
    /// Snapshot transformers, in LocalStack's semantics (account id, region and partition
    /// defaults are always applied). String parameters are templates, rendered with the
    /// scenario's variables when it starts: `regex: {pattern: "{{ fn_name }}", replacement:
    /// "<fn-name>"}`.
    #[serde(default)]
    pub transformers: Vec<TransformerSpec>,
    /// Which basic timestamp transformer set applies (LocalStack: `legacy` for Lambda and
    /// CloudFormation tests, `new` elsewhere).
    #[serde(default)]
    pub timestamps: Option<TimestampSet>,
    /// Skip paths (JSONPath on `{match-key: value}`): known deviations, ignored when verifying
    /// against anything but AWS.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Verify against (and record into) another snapshot file or entry, e.g. an existing
    /// LocalStack recording.
    #[serde(default)]
    pub snapshot: Option<SnapshotRef>,
    /// Reusable step groups (top-level scenario files only).
    #[serde(default)]
    pub groups: IndexMap<String, GroupDoc>,
    /// The steps, run in order.
    pub steps: Vec<StepDoc>,
}

/// `known_gap:` for the whole scenario, or per matrix value (the text between the brackets of
/// the id, e.g. `python3.12` or `python-Event`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum KnownGapDoc {
    All(String),
    PerMatrixValue(IndexMap<String, String>),
}

impl KnownGapDoc {
    /// The reason that applies to the expansion whose matrix part is `values` (None: no matrix).
    pub fn reason_for(&self, values: Option<&str>) -> Option<&String> {
        match self {
            KnownGapDoc::All(reason) => Some(reason),
            KnownGapDoc::PerMatrixValue(map) => values.and_then(|v| map.get(v)),
        }
    }
}

/// Where a scenario's snapshot lives.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRef {
    /// A `.snapshot.json` file, relative to the scenario file, or to `--recordings DIR` when it
    /// starts with `recordings:`; default: `snapshots/` mirrored from `scenarios/`.
    #[serde(default)]
    pub file: Option<String>,
    /// The entry key; default: the scenario id.
    #[serde(default)]
    pub key: Option<String>,
}

/// A reusable group of steps with parameters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDoc {
    /// Parameter names; each must be given by `with:` unless it has a default here.
    #[serde(default)]
    pub params: IndexMap<String, Option<Value>>,
    pub steps: Vec<StepDoc>,
}

/// One step. Exactly one of `call`, `wait`, `include`, `match` (with `value`), `assert` or `set`
/// says what it does; the other keys refine it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDoc {
    /// A label for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// Call an operation: `service.Operation`, e.g. `iam.CreateUser`.
    #[serde(default)]
    pub call: Option<String>,
    /// The operation input (AWS member names); strings are templates. `{json: ...}` sends a
    /// document as a JSON string, `{zip: {...}}` a zip archive, `{file: path}` a file's content,
    /// `{base64: "..."}` decoded bytes.
    #[serde(default)]
    pub input: Option<Value>,
    /// What the call must answer: `success` (default), `any`, or `{error: Code, status: 404}`.
    #[serde(default)]
    pub expect: Option<ExpectDoc>,
    /// Variables taken from the response: `name: $.JSON.Path`.
    #[serde(default)]
    pub capture: IndexMap<String, String>,
    /// Snapshot match key: the response (or `value`) is compared with the recording.
    #[serde(default, rename = "match")]
    pub match_key: Option<String>,
    /// With `match` and no `call`: a literal (templated) value to match, no AWS call.
    #[serde(default)]
    pub value: Option<Value>,
    /// Checks on the response (or, without `call`, on their own `value`).
    #[serde(default, rename = "assert")]
    pub assertions: Option<Vec<AssertionDoc>>,
    /// Poll an operation until a condition holds.
    #[serde(default)]
    pub wait: Option<WaitDoc>,
    /// Run a step group: `name` from this file's `groups`, or `file.yaml#name`.
    #[serde(default)]
    pub include: Option<String>,
    /// Parameters of the included group (templated).
    #[serde(default, rename = "with")]
    pub with_params: IndexMap<String, Value>,
    /// Set variables (templated), in order.
    #[serde(default)]
    pub set: Option<IndexMap<String, Value>>,
    /// Steps run after the scenario, in reverse registration order, even after a failure or
    /// Ctrl-C: one step or a list.
    #[serde(default)]
    pub cleanup: Option<OneOrMany>,
    /// Run the step only if this template expression is true, e.g. `runtime != 'python3.12'`.
    #[serde(default)]
    pub when: Option<String>,
    /// Run the step once per item of a list (or a template expression giving a list).
    #[serde(default)]
    pub for_each: Option<Value>,
    /// The loop variable of `for_each` (default `item`).
    #[serde(default, rename = "as")]
    pub loop_var: Option<String>,
}

/// One step or a list of steps.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    Many(Vec<StepDoc>),
    One(Box<StepDoc>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<StepDoc> {
        match self {
            OneOrMany::Many(v) => v,
            OneOrMany::One(s) => vec![*s],
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ExpectDoc {
    /// `success` or `any`.
    Word(ExpectWord),
    Detail(ExpectDetail),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectWord {
    Success,
    /// Success or any error.
    Any,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectDetail {
    /// The AWS error code, e.g. `NoSuchEntity`.
    #[serde(default)]
    pub error: Option<String>,
    /// The HTTP status code.
    #[serde(default)]
    pub status: Option<u16>,
}

/// A condition on a value: `path` selects inside it (JSONPath), then exactly one of `equals`,
/// `matches` or `exists` (or `not_equals`, `contains`, `length`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertionDoc {
    /// JSONPath into the value, e.g. `$.User.UserName`; default `$`.
    #[serde(default)]
    pub path: Option<String>,
    /// The value checked, for assertions outside a call (templated).
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub not_equals: Option<Value>,
    /// A regular expression the (string) value must match.
    #[serde(default)]
    pub matches: Option<String>,
    /// Whether the path selects something.
    #[serde(default)]
    pub exists: Option<bool>,
    /// A list containing this item, or a string containing this text.
    #[serde(default)]
    pub contains: Option<Value>,
    /// Length of a list, string or object.
    #[serde(default)]
    pub length: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitDoc {
    /// Poll this operation (`service.Operation`) ...
    #[serde(default)]
    pub call: Option<String>,
    /// ... or use an SDK waiter: `lambda.function_active_v2`, `iam.role_exists`,
    /// `cloudformation.stack_create_complete`.
    #[serde(default)]
    pub waiter: Option<String>,
    #[serde(default)]
    pub input: Option<Value>,
    /// With `call`: stop when this holds (errors count as "not yet").
    #[serde(default)]
    pub until: Option<AssertionDoc>,
    /// Give up after this long: `90s`, `5m`, `500ms` (default 60s, or the waiter's own).
    #[serde(default)]
    pub timeout: Option<String>,
    /// Time between polls (default 1s, or the waiter's delay).
    #[serde(default)]
    pub interval: Option<String>,
    /// Multiply the interval by this after each poll (default 1).
    #[serde(default)]
    pub backoff: Option<f64>,
    /// Capture from the last response.
    #[serde(default)]
    pub capture: IndexMap<String, String>,
    /// Match the last response.
    #[serde(default, rename = "match")]
    pub match_key: Option<String>,
}

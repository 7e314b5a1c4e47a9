//! Snapshot files and transformers, compatible with LocalStack's snapshot testing
//! (localstack-snapshot 0.4.0 + LocalStack's fixture), per ../shared/docs/snapshot-semantics.md.
//!
//! CONTRACT used by the runner (src/): the items below keep these names and signatures; new items
//! may be added. Bodies are placeholders until the engine lands.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("match key {0:?} used twice in one scenario")]
    DuplicateKey(String),
    #[error("transformer failed: {0}")]
    Transformer(String),
    #[error("not implemented yet")]
    Todo,
}

/// One entry of a `<name>.snapshot.json` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub recorded_date: String,
    pub recorded_content: IndexMap<String, Value>,
}

/// A whole `<name>.snapshot.json` file, entries in file order.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFile {
    pub entries: IndexMap<String, Entry>,
}

impl SnapshotFile {
    /// Reads a snapshot file; a missing file is an empty one.
    pub fn load(_path: &Path) -> Result<SnapshotFile, SnapshotError> {
        Err(SnapshotError::Todo)
    }
}

/// Writes (adds or replaces) one entry, atomically, keeping every other entry; safe against
/// concurrent writers of the same file (threads and processes).
pub fn write_entry(
    _path: &Path,
    _test_id: &str,
    _content: &IndexMap<String, Value>,
) -> Result<(), SnapshotError> {
    Err(SnapshotError::Todo)
}

/// Durations of a validated run, for `<name>.validation.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Durations {
    pub setup: f64,
    pub call: f64,
    pub teardown: f64,
    pub total: f64,
}

/// Records that `test_id` was validated against real AWS now.
pub fn write_validation(
    _path: &Path,
    _test_id: &str,
    _durations: Durations,
) -> Result<(), SnapshotError> {
    Err(SnapshotError::Todo)
}

/// A transformer as declared in a scenario file (`- key_value: {key: RoleName}`,
/// `- preset: lambda_api`, ...): every kind of the specification, by name, with its parameters.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TransformerSpec {
    Preset(String),
}

/// Which basic timestamp set the fixture defaults use (LocalStack: legacy for lambda_ and
/// cloudformation tests, new elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimestampSet {
    #[default]
    New,
    Legacy,
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The target's account id and region, replaced by the fixture defaults.
    pub account_id: String,
    pub region: String,
    pub timestamps: TimestampSet,
    /// Apply the built-in secret redaction (on by default; see the issue).
    pub redact_secrets: bool,
}

/// The snapshot state of one scenario run: `match` calls, then record or verify.
pub struct Session {
    _private: (),
}

/// The outcome of verifying a session against a recorded entry.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// One item per failing match key, in match order.
    pub failures: Vec<KeyFailure>,
}

#[derive(Debug, Clone)]
pub struct KeyFailure {
    pub key: String,
    /// Human-readable report for this key (paths, expected vs actual, diff); `color` chooses ANSI.
    pub lines: Vec<String>,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
    pub fn render(&self, _color: bool) -> String {
        String::new()
    }
}

impl Session {
    pub fn new(
        _transformers: Vec<TransformerSpec>,
        _options: SessionOptions,
    ) -> Result<Session, SnapshotError> {
        Err(SnapshotError::Todo)
    }
    /// Registers a match point; a key used twice is an error. `datetimes` are JSON pointers
    /// (RFC 6901, relative to `value`) of the values that are timestamps in the service model:
    /// boto3 hands them over as datetime objects, which the transformers treat differently from
    /// strings (`<datetime>`, `datetime`, raw format `YYYY-MM-DDTHH:MM:SS.mmmZ`).
    pub fn match_value(
        &mut self,
        _key: &str,
        _value: Value,
        _datetimes: &[String],
    ) -> Result<(), SnapshotError> {
        Err(SnapshotError::Todo)
    }
    /// Transformed content to record (skip paths are never applied when recording).
    pub fn recorded_content(&self) -> Result<IndexMap<String, Value>, SnapshotError> {
        Err(SnapshotError::Todo)
    }
    /// Compares the keys matched in this run with `recorded`, after removing `skip_paths`.
    pub fn verify(
        &self,
        _recorded: &Entry,
        _skip_paths: &[String],
    ) -> Result<VerifyReport, SnapshotError> {
        Err(SnapshotError::Todo)
    }
}

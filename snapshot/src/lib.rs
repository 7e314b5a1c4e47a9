//! Snapshot files and transformers, compatible with LocalStack's snapshot testing
//! (localstack-snapshot 0.4.0 + LocalStack's fixture), per ../shared/docs/snapshot-semantics.md.
//!
//! CONTRACT used by the runner (src/): the items re-exported below keep their names and
//! signatures; new items may be added.
//!
//! * [`file`]: `<name>.snapshot.json`, `.validation.json` and `.raw.snapshot.json`, written
//!   byte-compatibly with LocalStack and safely under concurrent writers.
//! * [`transform`]: transformer declarations ([`TransformerSpec`]), presets, fixture defaults.
//! * [`Session`]: `match` calls, then [`Session::recorded_content`] or [`Session::verify`].
//! * [`redact`]: built-in secret redaction, on by default.

mod datetime;
pub mod file;
pub mod jsonpath;
pub mod pyjson;
pub mod redact;
mod replace;
mod report;
mod session;
pub mod transform;

pub use file::{
    import_entry, raw_path, validation_path, write_entry, write_raw_entry, write_validation,
    Durations, Entry, Imported, SnapshotFile, ValidationFile, ValidationStatus,
};
pub use report::{Difference, KeyFailure, VerifyReport};
pub use session::{Session, SessionOptions};
pub use transform::{TimestampSet, TransformerSpec};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("match key {0:?} used twice in one scenario")]
    DuplicateKey(String),
    #[error("transformer failed: {0}")]
    Transformer(String),
    #[error("JSONPath {path:?}: {message}")]
    JsonPath { path: String, message: String },
    #[error("match key {key:?}, datetime at {pointer:?}: {message}")]
    Datetime {
        key: String,
        pointer: String,
        message: String,
    },
    /// Never produced since the engine landed; kept so that code written against the first
    /// contract still compiles.
    #[error("not implemented yet")]
    Todo,
}

/// How a run treats snapshot files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    /// Verify against the recordings; write nothing.
    #[default]
    Check,
    /// Record every scenario that passed.
    All,
    /// Record only scenarios that have no entry yet; verify the others.
    New,
}

impl UpdateMode {
    /// Whether a passed scenario's entry is (re)written, given whether it already exists.
    pub fn records(self, entry_exists: bool) -> bool {
        match self {
            UpdateMode::Check => false,
            UpdateMode::All => true,
            UpdateMode::New => !entry_exists,
        }
    }
}

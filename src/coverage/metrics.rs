//! Parity metrics, as LocalStack's ASF collects them: per service operation, the calls a run made,
//! the input members used, the status and error codes answered, and whether the target
//! implemented the operation. A run writes one metrics file; `paritytest coverage` reads one or
//! more (shards of a CI matrix merge by addition).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format tag written into every metrics file, so a reader can refuse what it does not know.
pub const FORMAT: &str = "paritytest-metrics/1";

/// The error code the emulator answers for an operation it routes but does not implement.
const NOT_IMPLEMENTED: &str = "NotImplemented";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub format: String,
    /// The targets the merged runs used (`emulator`, `aws`, `endpoint=...`).
    pub targets: BTreeSet<String>,
    /// `service.Operation` → what the runs saw of it.
    pub operations: BTreeMap<String, OperationMetrics>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationMetrics {
    pub calls: u64,
    /// Input member paths used: `UserName`, `Code.ZipFile`, `Tags[].Key`.
    pub input_members: BTreeSet<String>,
    /// HTTP status → count.
    pub status_codes: BTreeMap<u16, u64>,
    /// AWS error code → count.
    pub error_codes: BTreeMap<String, u64>,
    /// Calls the target answered with 501 NotImplemented.
    pub not_implemented: u64,
    /// Scenario ids that called the operation.
    pub scenarios: BTreeSet<String>,
    /// Scenario ids that called it and passed against an expected side recorded on real AWS.
    pub verified_scenarios: BTreeSet<String>,
}

impl OperationMetrics {
    /// Whether the target implemented the operation, as far as the calls tell (None: never called).
    pub fn implemented(&self) -> Option<bool> {
        (self.calls > 0).then_some(self.not_implemented < self.calls)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a paritytest metrics file: {message}")]
    Format { path: String, message: String },
}

impl Metrics {
    pub fn new(target: &str) -> Metrics {
        Metrics {
            format: FORMAT.into(),
            targets: BTreeSet::from([target.to_string()]),
            ..Metrics::default()
        }
    }

    /// Records one call: its input and what the target answered.
    pub fn record_call(
        &mut self,
        scenario: &str,
        service: &str,
        operation: &str,
        input: &Value,
        status: u16,
        error_code: Option<&str>,
    ) {
        let op = self
            .operations
            .entry(format!("{service}.{operation}"))
            .or_default();
        op.calls += 1;
        member_paths(input, "", &mut op.input_members);
        *op.status_codes.entry(status).or_default() += 1;
        if let Some(code) = error_code {
            *op.error_codes.entry(code.to_string()).or_default() += 1;
            if code == NOT_IMPLEMENTED && status == 501 {
                op.not_implemented += 1;
            }
        }
        op.scenarios.insert(scenario.to_string());
    }

    /// Marks every operation `scenario` called as verified (it passed against an AWS-recorded
    /// expected side).
    pub fn mark_verified(&mut self, scenario: &str) {
        for op in self.operations.values_mut() {
            if op.scenarios.contains(scenario) {
                op.verified_scenarios.insert(scenario.to_string());
            }
        }
    }

    /// Adds another run's metrics (e.g. another shard) into this one.
    pub fn merge(&mut self, other: Metrics) {
        self.targets.extend(other.targets);
        for (name, theirs) in other.operations {
            let ours = self.operations.entry(name).or_default();
            ours.calls += theirs.calls;
            ours.input_members.extend(theirs.input_members);
            for (k, v) in theirs.status_codes {
                *ours.status_codes.entry(k).or_default() += v;
            }
            for (k, v) in theirs.error_codes {
                *ours.error_codes.entry(k).or_default() += v;
            }
            ours.not_implemented += theirs.not_implemented;
            ours.scenarios.extend(theirs.scenarios);
            ours.verified_scenarios.extend(theirs.verified_scenarios);
        }
    }

    pub fn load(path: &Path) -> Result<Metrics, MetricsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MetricsError::Io {
            path: shown.clone(),
            source,
        })?;
        let metrics: Metrics = serde_json::from_str(&text).map_err(|e| MetricsError::Format {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if metrics.format != FORMAT {
            return Err(MetricsError::Format {
                path: shown,
                message: format!("format {:?}, expected {FORMAT:?}", metrics.format),
            });
        }
        Ok(metrics)
    }

    /// Writes the file atomically (temp file + rename), so a reader never sees half of it.
    pub fn write(&self, path: &Path) -> Result<(), MetricsError> {
        let shown = path.display().to_string();
        let io = |source| MetricsError::Io {
            path: shown.clone(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut text = serde_json::to_string_pretty(self).expect("metrics serialize");
        text.push('\n');
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::fs::write(tmp.path(), text).map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Collects the member paths of an input document: object keys joined by `.`, list items as `[]`.
fn member_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                member_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                member_paths(item, &path, out);
            }
        }
        _ => {}
    }
}

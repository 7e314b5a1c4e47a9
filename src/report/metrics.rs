//! `--metrics FILE`: parity metrics of the run (per operation: calls, input members, status and
//! error codes, whether the target implemented it, which scenarios verified it against AWS).

use std::path::PathBuf;

use crate::coverage::Metrics;
use crate::events::{Event, Reporter};
use crate::interpreter::Verdict;
use crate::snapshots::SnapshotStatus;

pub struct MetricsReport {
    path: PathBuf,
    metrics: Metrics,
}

impl MetricsReport {
    pub fn new(path: PathBuf, target: &str) -> MetricsReport {
        MetricsReport {
            path,
            metrics: Metrics::new(target),
        }
    }
}

impl Reporter for MetricsReport {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::ScenarioFinished { result, .. } => {
                for c in &result.calls {
                    self.metrics.record_call(
                        &result.id,
                        &c.service,
                        &c.operation,
                        &c.input,
                        c.status,
                        c.error_code.as_deref(),
                    );
                }
                let verified_vs_aws = result.verdict == Verdict::Passed
                    && matches!(
                        result.snapshot,
                        SnapshotStatus::Verified { validated: true }
                    );
                if verified_vs_aws {
                    self.metrics.mark_verified(&result.id);
                }
                self.metrics.parity.extend(super::parity::entry_of(result));
                Ok(())
            }
            Event::RunFinished { .. } => self
                .metrics
                .write(&self.path)
                .map_err(|e| std::io::Error::other(e.to_string())),
            _ => Ok(()),
        }
    }
}

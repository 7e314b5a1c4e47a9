//! A JSON report (`--report json=FILE`) for tools: every scenario with its verdict, failures and
//! snapshot status, and the summary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::events::{Event, Reporter};
use crate::interpreter::{ScenarioResult, StepFailure, Verdict};
use crate::snapshots::SnapshotStatus;

pub struct Json {
    path: PathBuf,
    results: BTreeMap<usize, ScenarioResult>,
}

impl Json {
    pub fn new(path: PathBuf) -> Self {
        Json {
            path,
            results: BTreeMap::new(),
        }
    }
}

fn failure(f: &StepFailure) -> Value {
    json!({"step": f.step, "location": f.location, "message": f.message})
}

fn scenario(r: &ScenarioResult) -> Value {
    let (verdict, reason) = match &r.verdict {
        Verdict::Passed => ("passed", None),
        Verdict::Failed => ("failed", None),
        Verdict::Skipped(why) => ("skipped", Some(why.clone())),
        Verdict::KnownGap(why) => ("known_gap", Some(why.clone())),
    };
    let snapshot = match r.snapshot {
        SnapshotStatus::None => json!(null),
        SnapshotStatus::Verified { validated } => {
            json!({"action": "verified", "validated_against_aws": validated})
        }
        SnapshotStatus::Recorded { validated } => {
            json!({"action": "recorded", "validated_against_aws": validated})
        }
    };
    json!({
        "id": r.id,
        "name": r.name,
        "file": r.file,
        "verdict": verdict,
        "skip_reason": reason,
        "duration_seconds": r.duration.as_secs_f64(),
        "failures": r.failures.iter().map(failure).collect::<Vec<_>>(),
        "cleanup_failures": r.cleanup_failures.iter().map(failure).collect::<Vec<_>>(),
        "snapshot": snapshot,
    })
}

impl Reporter for Json {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::ScenarioFinished { index, result } => {
                self.results.insert(*index, (*result).clone());
            }
            Event::RunFinished { summary } => {
                let doc = json!({
                    "scenarios": super::sorted(&self.results).iter().map(scenario).collect::<Vec<_>>(),
                    "summary": {
                        "passed": summary.passed,
                        "failed": summary.failed,
                        "skipped": summary.skipped,
                        "not_run": summary.not_run,
                        "recorded": summary.recorded,
                        "interrupted": summary.interrupted,
                        "not_validated": summary.not_validated,
                        "unreferenced": summary.unreferenced.iter().map(|(f, k)| (f.display().to_string(), k.clone())).collect::<BTreeMap<_, _>>(),
                        "duration_seconds": summary.duration.as_secs_f64(),
                        "ok": summary.ok(),
                    }
                });
                let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
                text.push('\n');
                crate::fsutil::write_atomic(&self.path, text.as_bytes())?;
            }
            _ => {}
        }
        Ok(())
    }
}

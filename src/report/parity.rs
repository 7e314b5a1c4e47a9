//! The parity summary printed after a run whose scenarios verify against AWS-recorded entries:
//! per service, entries ported, passing, passing with zero skip paths, match points passing and
//! skip paths used.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::coverage::parity::{self, ParityEntry};
use crate::events::{Event, Reporter};
use crate::interpreter::{ScenarioResult, Verdict};

pub struct ParitySummary {
    entries: Vec<ParityEntry>,
    /// `--recordings DIR`: its entries per service give the "of N recorded" figure.
    recordings: Option<PathBuf>,
}

impl ParitySummary {
    pub fn new(recordings: Option<PathBuf>) -> ParitySummary {
        ParitySummary {
            entries: Vec::new(),
            recordings,
        }
    }
}

/// The parity entry of a finished scenario, if its expected side was recorded on real AWS.
pub fn entry_of(result: &ScenarioResult) -> Option<ParityEntry> {
    if !result.parity.expected_from_aws || matches!(result.verdict, Verdict::Skipped(_)) {
        return None;
    }
    Some(ParityEntry {
        service: service_of(result),
        passed: result.verdict == Verdict::Passed,
        match_points: result.parity.match_points,
        match_points_failed: result.parity.match_points_failed,
        skip_paths: result.parity.skip_paths,
    })
}

/// The service a scenario belongs to: the folder under `scenarios/` it lives in
/// (`scenarios/iam/...` → `iam`), else the service of its first call.
fn service_of(result: &ScenarioResult) -> String {
    let parts: Vec<String> = Path::new(&result.file)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.iter().position(|p| p == "scenarios") {
        // A folder (not the file itself) right under scenarios/.
        Some(i) if i + 2 < parts.len() => parts[i + 1].clone(),
        _ => result
            .calls
            .first()
            .map(|c| c.service.clone())
            .unwrap_or_else(|| "other".into()),
    }
}

/// Snapshot entries per service folder of a LocalStack-style recordings tree.
pub fn recorded_per_service(root: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let Ok(services) = std::fs::read_dir(root) else {
        return out;
    };
    for service in services.flatten() {
        if !service.path().is_dir() {
            continue;
        }
        let name = service.file_name().to_string_lossy().into_owned();
        let mut count = 0;
        let mut stack = vec![service.path()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.to_string_lossy().ends_with(".snapshot.json") {
                    let file = paritytest_snapshot::SnapshotFile::load(&p);
                    count += file.map(|f| f.entries.len()).unwrap_or(0);
                }
            }
        }
        out.insert(name, count);
    }
    out
}

impl Reporter for ParitySummary {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::ScenarioFinished { result, .. } => {
                self.entries.extend(entry_of(result));
                Ok(())
            }
            Event::RunFinished { .. } if !self.entries.is_empty() => {
                let recorded = self
                    .recordings
                    .as_deref()
                    .map(recorded_per_service)
                    .unwrap_or_default();
                let rows = parity::summarize(&self.entries, &recorded);
                let mut out = std::io::stdout().lock();
                writeln!(out, "\nParity against AWS-recorded entries:")?;
                out.write_all(parity::render(&rows, false).as_bytes())
            }
            _ => Ok(()),
        }
    }
}

//! The runner's side of snapshots: when to record and when to verify, whether an entry was
//! validated against AWS, and which entries no scenario references.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use paritytest_snapshot::{Durations, Session, SnapshotFile};
use serde_json::Value;

use crate::scenario::Scenario;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Compare with the recording; a missing entry fails.
    Verify,
    /// Record every entry (`--update` / `--update all`).
    UpdateAll,
    /// Record only entries that do not exist yet, verify the others (`--update new`).
    UpdateNew,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    /// The scenario has no match points (or did not get that far).
    None,
    /// Compared with the recording and equal; `validated` tells whether AWS produced it.
    Verified { validated: bool },
    /// Written now; `validated` when recorded against AWS.
    Recorded { validated: bool },
}

/// Records or verifies the session's match points for `sc`.
pub fn finish(
    sc: &Scenario,
    session: &Session,
    against_aws: bool,
    mode: SnapshotMode,
    durations: Durations,
    color: bool,
) -> Result<SnapshotStatus, String> {
    let loc = &sc.snapshot;
    let file = SnapshotFile::load(&loc.file).map_err(|e| format!("{}: {e}", loc.file.display()))?;
    let existing = file.entries.get(&loc.key);
    let record = match mode {
        SnapshotMode::UpdateAll => true,
        SnapshotMode::UpdateNew => existing.is_none(),
        SnapshotMode::Verify => false,
    };
    if record {
        let content = session
            .recorded_content()
            .map_err(|e| format!("snapshot: {e}"))?;
        paritytest_snapshot::write_entry(&loc.file, &loc.key, &content)
            .map_err(|e| format!("writing {}: {e}", loc.file.display()))?;
        if against_aws {
            paritytest_snapshot::write_validation(&loc.validation_file(), &loc.key, durations)
                .map_err(|e| format!("writing {}: {e}", loc.validation_file().display()))?;
        }
        return Ok(SnapshotStatus::Recorded {
            validated: against_aws,
        });
    }
    let Some(entry) = existing else {
        return Err(format!(
            "no recording for {:?} in {} (record it with --update, against --target aws for the ground truth)",
            loc.key,
            loc.file.display()
        ));
    };
    // Known deviations are ignored everywhere but on AWS itself.
    let skip: &[String] = if against_aws { &[] } else { &sc.skip_paths };
    let report = session
        .verify(entry, skip)
        .map_err(|e| format!("snapshot: {e}"))?;
    if !report.passed() {
        return Err(format!(
            "snapshot {} [{}] differs:\n{}",
            loc.file.display(),
            loc.key,
            report.render(color)
        ));
    }
    Ok(SnapshotStatus::Verified {
        validated: is_validated(&loc.validation_file(), &loc.key, &entry.recorded_date),
    })
}

/// Whether `<name>.validation.json` says AWS validated the entry at or after its recording.
pub fn is_validated(validation_file: &Path, key: &str, recorded_date: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(validation_file) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let Some(validated) = v
        .get(key)
        .and_then(|e| e.get("last_validated_date"))
        .and_then(Value::as_str)
    else {
        return false;
    };
    match (parse_validated(validated), parse_recorded(recorded_date)) {
        (Some(val), Some(rec)) => val >= rec,
        (Some(_), None) => true,
        _ => false,
    }
}

/// `2024-05-01T12:00:00+00:00` (seconds since the epoch, fraction ignored).
fn parse_validated(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory]:[offset_minute]"
    );
    time::OffsetDateTime::parse(s, fmt)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// `01-05-2024, 12:00:00` (UTC).
fn parse_recorded(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[day]-[month]-[year], [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s, fmt)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Entries of the snapshot files of `scenarios` that none of them uses, by file.
pub fn unreferenced(scenarios: &[Scenario]) -> BTreeMap<PathBuf, Vec<String>> {
    let mut used: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for sc in scenarios {
        used.entry(sc.snapshot.file.clone())
            .or_default()
            .insert(sc.snapshot.key.clone());
    }
    let mut out = BTreeMap::new();
    for (file, keys) in used {
        if !file.exists() {
            continue;
        }
        let Ok(snap) = SnapshotFile::load(&file) else {
            continue;
        };
        let stale: Vec<String> = snap
            .entries
            .keys()
            .filter(|k| !keys.contains(*k))
            .cloned()
            .collect();
        if !stale.is_empty() {
            out.insert(file, stale);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_dates_compare_with_recording_dates() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.validation.json");
        std::fs::write(
            &f,
            r#"{"k": {"last_validated_date": "2024-05-01T12:00:00+00:00"}}"#,
        )
        .unwrap();
        assert!(is_validated(&f, "k", "01-05-2024, 11:59:59"));
        assert!(is_validated(&f, "k", "01-05-2024, 12:00:00"));
        assert!(!is_validated(&f, "k", "01-05-2024, 12:00:01"));
        assert!(!is_validated(&f, "other", "01-05-2024, 11:00:00"));
    }
}

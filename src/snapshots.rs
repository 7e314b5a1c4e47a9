//! The runner's side of snapshots: when to record and when to verify, whether an entry was
//! validated against AWS, and which entries no scenario references.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use paritytest_snapshot::{
    Durations, Entry, Session, SnapshotFile, ValidationFile, ValidationStatus,
};

use crate::interpreter::ParityFacts;
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

/// What a run does with snapshot files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotOptions {
    pub mode: SnapshotMode,
    /// Beside every entry recorded, also write the untransformed (secret-redacted) state to
    /// `<name>.raw.snapshot.json` (`--snapshot-raw` / `SNAPSHOT_RAW=1`). Only entries being
    /// recorded get one: a verifying run writes nothing, and its snapshot file may be a
    /// read-only recordings folder.
    pub raw_copy: bool,
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
    session: Session,
    against_aws: bool,
    options: SnapshotOptions,
    durations: Durations,
    color: bool,
    parity: &mut ParityFacts,
) -> Result<SnapshotStatus, String> {
    let loc = &sc.snapshot;
    let file = SnapshotFile::load(&loc.file).map_err(|e| format!("{}: {e}", loc.file.display()))?;
    let existing = file.entries.get(&loc.key);
    parity.match_points = session.keys().count();
    parity.expected_from_aws =
        existing.is_some_and(|entry| is_validated(&loc.validation_file(), &loc.key, entry));
    let record = match options.mode {
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
        if options.raw_copy {
            paritytest_snapshot::write_raw_entry(&loc.file, &loc.key, &session.raw_content())
                .map_err(|e| {
                    let raw = paritytest_snapshot::raw_path(&loc.file);
                    format!("writing {}: {e}", raw.display())
                })?;
        }
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
    parity.skip_paths = skip.len();
    // The session's last use: verify_owned moves the values instead of copying them.
    let report = session
        .verify_owned(entry, skip)
        .map_err(|e| format!("snapshot: {e}"))?;
    parity.match_points_failed = report.failures.len();
    if !report.passed() {
        return Err(format!(
            "snapshot {} [{}] differs:\n{}",
            loc.file.display(),
            loc.key,
            report.render(color)
        ));
    }
    Ok(SnapshotStatus::Verified {
        validated: parity.expected_from_aws,
    })
}

/// Parity facts for a scenario that failed before its match points were compared: every match
/// point of its expected entry counts as failed, so failures never drop out of the figures.
pub fn facts_without_verify(sc: &Scenario) -> ParityFacts {
    let loc = &sc.snapshot;
    let Ok(file) = SnapshotFile::load(&loc.file) else {
        return ParityFacts::default();
    };
    let Some(entry) = file.entries.get(&loc.key) else {
        return ParityFacts::default();
    };
    let points = entry.recorded_content.len();
    ParityFacts {
        expected_from_aws: is_validated(&loc.validation_file(), &loc.key, entry),
        match_points: points,
        match_points_failed: points,
        skip_paths: sc.skip_paths.len(),
    }
}

/// Whether `<name>.validation.json` says AWS validated the entry in the run that recorded it
/// (or later); the rule, with its clock slack, is the snapshot crate's.
pub fn is_validated(validation_file: &Path, key: &str, entry: &Entry) -> bool {
    ValidationFile::load(validation_file)
        .is_ok_and(|v| v.status(key, entry) == ValidationStatus::Validated)
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
        let ran: Vec<&str> = keys.iter().map(String::as_str).collect();
        let stale: Vec<String> = snap
            .unreferenced(&ran)
            .into_iter()
            .map(String::from)
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
        let entry = |date: &str| Entry {
            recorded_date: date.into(),
            recorded_content: Default::default(),
        };
        assert!(is_validated(&f, "k", &entry("01-05-2024, 11:59:59")));
        // Validation is written at teardown of the recording run, slightly before or after the
        // snapshot: the recordings hold entries validated up to a minute before their recording.
        assert!(is_validated(&f, "k", &entry("01-05-2024, 12:00:30")));
        assert!(!is_validated(&f, "k", &entry("01-05-2024, 13:00:00")));
        assert!(!is_validated(&f, "other", &entry("01-05-2024, 11:00:00")));
    }
}

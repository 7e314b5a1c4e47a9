//! Snapshot and validation files: byte-identical round trip over the AWS recordings, writes
//! that keep every other entry, concurrency, raw copies and unreferenced entries.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use paritytest_snapshot::{
    raw_path, write_entry, write_raw_entry, write_validation, Durations, Session, SessionOptions,
    SnapshotFile, ValidationFile, ValidationStatus,
};
use serde_json::{json, Value};

/// `PARITYTEST_RECORDINGS`, else `shared/aws-recordings-visible` next to the workspace root
/// (main checkout) or one level further up (worktrees under `wt/`).
fn recordings_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PARITYTEST_RECORDINGS") {
        return PathBuf::from(dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        root.join("../shared/aws-recordings-visible"),
        root.join("../../shared/aws-recordings-visible"),
    ];
    candidates
        .iter()
        .find(|d| d.is_dir())
        .unwrap_or(&candidates[1])
        .clone()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_recording_round_trips_byte_identically() {
    let dir = recordings_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: recordings folder {} not found (set PARITYTEST_RECORDINGS)",
            dir.display()
        );
        return;
    }
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    let (mut snapshots, mut validations) = (0, 0);
    for path in &files {
        let original = std::fs::read_to_string(path).unwrap();
        let written = if path.to_string_lossy().ends_with(".validation.json") {
            validations += 1;
            ValidationFile::load(path).unwrap().to_text()
        } else {
            snapshots += 1;
            SnapshotFile::load(path).unwrap().to_text()
        };
        assert!(
            written == original,
            "{} does not round-trip",
            path.display()
        );
    }
    eprintln!("round trip: {snapshots} snapshot and {validations} validation files identical");
    assert!(snapshots > 0 && validations > 0);
}

fn content(pairs: &[(&str, Value)]) -> IndexMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn write_entry_keeps_other_entries_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/x.snapshot.json");
    write_entry(&path, "a", &content(&[("k", json!(1))])).unwrap();
    write_entry(&path, "b", &content(&[("k", json!("é"))])).unwrap();
    write_entry(&path, "a", &content(&[("k", json!(2))])).unwrap();
    let file = SnapshotFile::load(&path).unwrap();
    let ids: Vec<&String> = file.entries.keys().collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(file.entries["a"].recorded_content["k"], json!(2));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("}\n") && text.contains("\"\\u00e9\""),
        "{text}"
    );
    assert!(file.entries["a"].recorded_at().is_some());
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.snapshot.json");
    std::thread::scope(|s| {
        for t in 0..8 {
            let path = &path;
            s.spawn(move || {
                for i in 0..10 {
                    let id = format!("t{t}-{i}");
                    write_entry(path, &id, &content(&[("k", json!(i))])).unwrap();
                }
            });
        }
    });
    assert_eq!(SnapshotFile::load(&path).unwrap().entries.len(), 80);
}

#[test]
fn a_corrupt_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.snapshot.json");
    std::fs::write(&path, "{\"a\": {\"recorded-date\": 1}}").unwrap();
    let err = SnapshotFile::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.snapshot.json") && err.contains("\"a\""),
        "{err}"
    );
    std::fs::write(&path, "[").unwrap();
    assert!(write_entry(&path, "x", &IndexMap::new()).is_err());
    assert!(SnapshotFile::load(&dir.path().join("missing.json"))
        .unwrap()
        .entries
        .is_empty());
}

#[test]
fn validation_entries_are_sorted_and_compared_with_recording_dates() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("v.snapshot.json");
    let val = paritytest_snapshot::validation_path(&snap);
    assert!(val.ends_with("v.validation.json"));
    let durations = Durations {
        setup: 0.014,
        call: 2.771,
        teardown: 0.65,
        total: 3.435,
    };
    write_validation(&val, "z", durations).unwrap();
    write_validation(&val, "a", durations).unwrap();
    let text = std::fs::read_to_string(&val).unwrap();
    assert!(text.find("\"a\"").unwrap() < text.find("\"z\"").unwrap());
    assert!(
        text.contains("\"setup\": 0.01,") && text.contains("\"call\": 2.77,"),
        "{text}"
    );
    write_entry(&snap, "a", &IndexMap::new()).unwrap();
    let entry = &SnapshotFile::load(&snap).unwrap().entries["a"];
    let file = ValidationFile::load(&val).unwrap();
    assert_eq!(file.status("a", entry), ValidationStatus::Validated);
    assert_eq!(file.status("b", entry), ValidationStatus::NeverValidated);
    let mut old = entry.clone();
    old.recorded_date = "01-01-2099, 00:00:00".into();
    assert_eq!(
        file.status("a", &old),
        ValidationStatus::RecordedAfterValidation
    );
}

#[test]
fn raw_copy_is_untransformed_but_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("r.snapshot.json");
    let options = SessionOptions {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        ..SessionOptions::default()
    };
    let mut session = Session::new(vec![], options).unwrap();
    let value = json!({"Credentials": {"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Expiration": "2024-05-01T12:00:00.123456Z", "AccessKeyId": "ASIA123"},
        "Arn": "arn:aws:sts::123456789012:assumed-role/r/s"});
    session
        .match_value("creds", value, &["/Credentials/Expiration".into()])
        .unwrap();
    write_raw_entry(&snap, "t", &session.raw_content()).unwrap();
    let raw = std::fs::read_to_string(raw_path(&snap)).unwrap();
    assert!(raw_path(&snap).ends_with("r.raw.snapshot.json"));
    assert!(!raw.contains("EXAMPLEKEY"), "{raw}");
    assert!(raw.contains("\"2024-05-01T12:00:00.123Z\""), "{raw}");
    assert!(raw.contains("123456789012"), "raw keeps the account: {raw}");
}

#[test]
fn unreferenced_entries_are_listed_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.snapshot.json");
    for id in ["a", "b", "c"] {
        write_entry(&path, id, &IndexMap::new()).unwrap();
    }
    let file = SnapshotFile::load(&path).unwrap();
    assert_eq!(file.unreferenced(&["b"]), ["a", "c"]);
}

#[test]
fn write_entry_never_writes_a_raw_secret() {
    // The runner passes Session::recorded_content; this guards against anything else.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.snapshot.json");
    let leaked = content(&[(
        "creds",
        json!({"Credentials": [{"SessionToken": "FwoGZXIvYXdzEXAMPLETOKEN", "SecretAccessKey": "<secret-access-key:1>"}],
               "LoginProfile": {"Password": "password"}}),
    )]);
    write_entry(&path, "t", &leaked).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("FwoGZXIvYXdzEXAMPLETOKEN"), "{text}");
    assert!(text.contains("\"<session-token:redacted>\""), "{text}");
    assert!(
        text.contains("\"<secret-access-key:1>\""),
        "placeholders stay: {text}"
    );
    assert!(
        text.contains("\"Password\": \"password\""),
        "a bare kebab name stays: {text}"
    );
}

/// Writer half of `concurrent_processes_lose_nothing`: does nothing unless started by it.
#[test]
fn child_process_writer() {
    let (Some(path), Some(id)) = (
        std::env::var_os("PARITYTEST_CHILD_FILE"),
        std::env::var("PARITYTEST_CHILD_ID").ok(),
    ) else {
        return;
    };
    for i in 0..25 {
        write_entry(
            Path::new(&path),
            &format!("{id}-{i}"),
            &content(&[("k", json!(i))]),
        )
        .unwrap();
    }
}

#[test]
fn concurrent_processes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.snapshot.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|p| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_process_writer", "--test-threads=1"])
                .env("PARITYTEST_CHILD_FILE", &path)
                .env("PARITYTEST_CHILD_ID", format!("p{p}"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(SnapshotFile::load(&path).unwrap().entries.len(), 100);
}

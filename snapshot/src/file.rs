//! `<name>.snapshot.json`, `<name>.validation.json` and `<name>.raw.snapshot.json` files:
//! reading, byte-compatible writing, and safe concurrent updates.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::pyjson;
use crate::SnapshotError;

/// One entry of a `<name>.snapshot.json` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `DD-MM-YYYY, HH:MM:SS` (UTC).
    pub recorded_date: String,
    pub recorded_content: IndexMap<String, Value>,
}

impl Entry {
    /// The recording time, if `recorded_date` has the expected format.
    pub fn recorded_at(&self) -> Option<OffsetDateTime> {
        let format = format_description!("[day]-[month]-[year], [hour]:[minute]:[second]");
        PrimitiveDateTime::parse(&self.recorded_date, format)
            .ok()
            .map(PrimitiveDateTime::assume_utc)
    }
}

/// A whole `<name>.snapshot.json` file, entries in file order.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFile {
    pub entries: IndexMap<String, Entry>,
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> SnapshotError {
    SnapshotError::File {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Reads a JSON object file; a missing file is an empty object.
fn read_object(path: &Path) -> Result<Map<String, Value>, SnapshotError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(file_error(path, e)),
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(file_error(path, "the top level is not a JSON object")),
        Err(e) => Err(file_error(path, format!("invalid JSON: {e}"))),
    }
}

impl SnapshotFile {
    /// Reads a snapshot file; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<SnapshotFile, SnapshotError> {
        let map = read_object(path)?;
        let mut entries = IndexMap::with_capacity(map.len());
        for (id, entry) in map {
            let entry = parse_entry(&entry)
                .ok_or_else(|| file_error(path, format!("entry {id:?} is not {{\"recorded-date\": string, \"recorded-content\": object}}")))?;
            entries.insert(id, entry);
        }
        Ok(SnapshotFile { entries })
    }

    /// The file's text as LocalStack writes it (indent 2, ASCII escapes, trailing newline).
    pub fn to_text(&self) -> String {
        let mut map = Map::new();
        for (id, entry) in &self.entries {
            map.insert(id.clone(), entry_value(entry));
        }
        let mut text = pyjson::dumps_pretty(&Value::Object(map));
        text.push('\n');
        text
    }

    /// Ids of entries that no scenario of a full run referenced (`ran` = the ids that ran),
    /// in file order: stale keys left behind by renamed or deleted scenarios.
    pub fn unreferenced<'a>(&'a self, ran: &[&str]) -> Vec<&'a str> {
        let ran: std::collections::HashSet<&str> = ran.iter().copied().collect();
        self.entries
            .keys()
            .map(String::as_str)
            .filter(|id| !ran.contains(id))
            .collect()
    }
}

fn parse_entry(value: &Value) -> Option<Entry> {
    let obj = value.as_object()?;
    if obj.len() != 2 {
        return None;
    }
    let recorded_date = obj.get("recorded-date")?.as_str()?.to_string();
    let content = obj.get("recorded-content")?.as_object()?;
    Some(Entry {
        recorded_date,
        recorded_content: content
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

fn entry_value(entry: &Entry) -> Value {
    let mut obj = Map::new();
    obj.insert(
        "recorded-date".into(),
        Value::String(entry.recorded_date.clone()),
    );
    let content: Map<String, Value> = entry
        .recorded_content
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    obj.insert("recorded-content".into(), Value::Object(content));
    Value::Object(obj)
}

/// `DD-MM-YYYY, HH:MM:SS` for now (UTC), the `recorded-date` format.
pub fn recorded_date_now() -> String {
    let format = format_description!("[day]-[month]-[year], [hour]:[minute]:[second]");
    OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| String::from("01-01-1970, 00:00:00"))
}

/// Writes (adds or replaces) one entry, atomically, keeping every other entry; safe against
/// concurrent writers of the same file (threads and processes). An existing id keeps its
/// position; a new one is appended.
///
/// Pass [`crate::Session::recorded_content`]: the runner never writes for a failed scenario, and
/// as a last guard any secret-looking value that escaped the session's redaction is replaced here
/// too (see [`crate::redact`]).
pub fn write_entry(
    path: &Path,
    test_id: &str,
    content: &IndexMap<String, Value>,
) -> Result<(), SnapshotError> {
    write_entry_map(path, test_id, content)
}

/// Writes the raw (untransformed) copy, `<name>.raw.snapshot.json`, next to the snapshot file
/// `snapshot_path`. Pass [`crate::Session::raw_content`] (secrets already redacted).
pub fn write_raw_entry(
    snapshot_path: &Path,
    test_id: &str,
    raw: &IndexMap<String, Value>,
) -> Result<(), SnapshotError> {
    write_entry_map(&raw_path(snapshot_path), test_id, raw)
}

/// `x/name.snapshot.json` → `x/name.raw.snapshot.json`.
pub fn raw_path(snapshot_path: &Path) -> PathBuf {
    let name = snapshot_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".snapshot.json").unwrap_or(&name);
    snapshot_path.with_file_name(format!("{stem}.raw.snapshot.json"))
}

/// `x/name.snapshot.json` → `x/name.validation.json`.
pub fn validation_path(snapshot_path: &Path) -> PathBuf {
    let name = snapshot_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".snapshot.json").unwrap_or(&name);
    snapshot_path.with_file_name(format!("{stem}.validation.json"))
}

fn write_entry_map(
    path: &Path,
    test_id: &str,
    content: &IndexMap<String, Value>,
) -> Result<(), SnapshotError> {
    update_locked(path, |map| {
        let mut recorded_content = content.clone();
        for value in recorded_content.values_mut() {
            crate::redact::scrub(value);
        }
        let entry = Entry {
            recorded_date: recorded_date_now(),
            recorded_content,
        };
        // Map::insert keeps an existing key's position and appends a new one.
        map.insert(test_id.to_string(), entry_value(&entry));
        Ok(())
    })
}

/// Read-modify-write of a JSON object file under an exclusive lock, then an atomic rename.
fn update_locked(
    path: &Path,
    modify: impl FnOnce(&mut Map<String, Value>) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| file_error(&dir, e))?;
    let _lock = FileLock::acquire(path)?;
    let mut map = read_object(path)?;
    modify(&mut map)?;
    let mut text = pyjson::dumps_pretty(&Value::Object(map));
    text.push('\n');
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| file_error(path, e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| file_error(path, e))?;
    tmp.persist(path).map_err(|e| file_error(path, e.error))?;
    Ok(())
}

/// An exclusive advisory lock (flock/LockFileEx via `std::fs::File::lock`) on a lock file kept
/// in the system temp directory, keyed by the target's absolute path. The lock cannot live on the
/// target itself, which is replaced by rename; and keeping it out of the snapshot directory leaves
/// no lock files next to committed snapshots.
struct FileLock {
    file: fs::File,
}

impl FileLock {
    fn acquire(target: &Path) -> Result<FileLock, SnapshotError> {
        let absolute = std::path::absolute(target).map_err(|e| file_error(target, e))?;
        let lock_dir = std::env::temp_dir().join("paritytest-snapshot-locks");
        fs::create_dir_all(&lock_dir).map_err(|e| file_error(&lock_dir, e))?;
        let lock_path = lock_dir.join(format!(
            "{:016x}.lock",
            fnv1a(absolute.as_os_str().as_encoded_bytes())
        ));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| file_error(&lock_path, e))?;
        file.lock().map_err(|e| file_error(&lock_path, e))?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// FNV-1a: a stable hash across processes and builds (std's hasher is randomly seeded).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// Durations of a validated run, for `<name>.validation.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Durations {
    pub setup: f64,
    pub call: f64,
    pub teardown: f64,
    pub total: f64,
}

/// Records that `test_id` was validated against real AWS now (`path` is the validation file).
/// Durations are rounded to 2 decimals; the top-level keys are sorted, as LocalStack writes them.
pub fn write_validation(
    path: &Path,
    test_id: &str,
    durations: Durations,
) -> Result<(), SnapshotError> {
    let now = OffsetDateTime::now_utc();
    update_locked(path, |map| {
        map.insert(test_id.to_string(), validation_entry(now, durations));
        map.sort_keys();
        Ok(())
    })
}

fn validation_entry(when: OffsetDateTime, d: Durations) -> Value {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
    let date = when
        .to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default();
    let round = |x: f64| {
        let r = (x * 100.0).round() / 100.0;
        serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
    };
    let mut durations = Map::new();
    durations.insert("setup".into(), round(d.setup));
    durations.insert("call".into(), round(d.call));
    durations.insert("teardown".into(), round(d.teardown));
    durations.insert("total".into(), round(d.total));
    let mut obj = Map::new();
    obj.insert("last_validated_date".into(), Value::String(date));
    obj.insert("durations_in_seconds".into(), Value::Object(durations));
    Value::Object(obj)
}

/// A `<name>.validation.json` file. Entries stay JSON values so that any layout round-trips.
#[derive(Debug, Clone, Default)]
pub struct ValidationFile {
    pub entries: IndexMap<String, Value>,
}

/// Whether a snapshot entry's content was last produced by a run validated against AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationStatus {
    /// Validated against AWS in the run that recorded it (or later).
    Validated,
    /// The entry was re-recorded after its last AWS validation (e.g. against an emulator).
    RecordedAfterValidation,
    /// No validation entry.
    NeverValidated,
}

impl ValidationFile {
    pub fn load(path: &Path) -> Result<ValidationFile, SnapshotError> {
        Ok(ValidationFile {
            entries: read_object(path)?.into_iter().collect(),
        })
    }

    pub fn to_text(&self) -> String {
        let map: Map<String, Value> = self
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut text = pyjson::dumps_pretty(&Value::Object(map));
        text.push('\n');
        text
    }

    /// `last_validated_date` of `test_id`, if present and well-formed.
    pub fn last_validated(&self, test_id: &str) -> Option<OffsetDateTime> {
        let date = self
            .entries
            .get(test_id)?
            .get("last_validated_date")?
            .as_str()?;
        OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).ok()
    }

    /// Compares the validation date with the entry's `recorded-date`. Both are taken at
    /// teardown of the same run, the validation date up to a test's duration earlier, so the
    /// entry counts as validated when validation is no older than recording minus the run's
    /// total duration (or 60 s when durations are not recorded) .
    pub fn status(&self, test_id: &str, entry: &Entry) -> ValidationStatus {
        let Some(validated) = self.last_validated(test_id) else {
            return ValidationStatus::NeverValidated;
        };
        let Some(recorded) = entry.recorded_at() else {
            return ValidationStatus::Validated;
        };
        let slack = self
            .entries
            .get(test_id)
            .and_then(|e| e.pointer("/durations_in_seconds/total"))
            .and_then(Value::as_f64)
            .map_or(60.0, |total| total.ceil() + 2.0);
        if validated + time::Duration::seconds_f64(slack) >= recorded {
            ValidationStatus::Validated
        } else {
            ValidationStatus::RecordedAfterValidation
        }
    }
}

/// What [`import_entry`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Copied (or replaced by) the source entry.
    Written,
    /// The destination already held the same entry.
    Unchanged,
    /// The source file has no such entry.
    Missing,
}

/// Copies one entry verbatim (its recorded date and content) from `src` to `dest`, and its
/// validation entry (if any) from `src`'s validation file to `dest`'s, so an existing recording
/// (e.g. LocalStack's, recorded on AWS) becomes a scenario's own expected side without losing
/// the proof that AWS produced it. Writes are atomic and locked like every other write.
pub fn import_entry(
    src: &Path,
    src_key: &str,
    dest: &Path,
    dest_key: &str,
) -> Result<Imported, SnapshotError> {
    let source = SnapshotFile::load(src)?;
    let Some(entry) = source.entries.get(src_key) else {
        return Ok(Imported::Missing);
    };
    let existing = SnapshotFile::load(dest)?;
    let validation = ValidationFile::load(&validation_path(src))?
        .entries
        .get(src_key)
        .cloned();
    let dest_validation = ValidationFile::load(&validation_path(dest))?
        .entries
        .get(dest_key)
        .cloned();
    if existing.entries.get(dest_key) == Some(entry) && dest_validation == validation {
        return Ok(Imported::Unchanged);
    }
    update_locked(dest, |map| {
        map.insert(dest_key.to_string(), entry_value(entry));
        Ok(())
    })?;
    if let Some(v) = validation {
        update_locked(&validation_path(dest), |map| {
            map.insert(dest_key.to_string(), v);
            map.sort_keys();
            Ok(())
        })?;
    }
    Ok(Imported::Written)
}

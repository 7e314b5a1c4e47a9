//! Data-driven transformer and verification cases: every folder under tests/cases/ holds a
//! `case.yaml`:
//!
//! ```yaml
//! options: {account_id: "123456789012", region: us-east-1, timestamps: new, redact_secrets: true}
//! transformers: [ ... ]          # TransformerSpec list, as in a scenario file
//! matches:                       # match calls, in order
//!   - {key: create-role, value: {...}, datetimes: [/Role/CreateDate]}
//! # record mode: the transformed content, compared as LocalStack writes it (key order included)
//! expect_content: {...}
//! # verify mode: the recorded entry content, skip paths and the uncoloured report ("" = pass)
//! recorded: {...}
//! skip_paths: [...]
//! expect_report: "..."
//! # or, in either mode: a substring of the expected error
//! expect_error: "..."
//! ```
//!
//! All cases run; failures are reported together with the actual output.

use std::path::Path;

use indexmap::IndexMap;
use paritytest_snapshot::{
    pyjson, Entry, Session, SessionOptions, SnapshotError, TimestampSet, TransformerSpec,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    options: Options,
    /// Parsed in `run`, so that declaration errors can be expected.
    #[serde(default)]
    transformers: Vec<Value>,
    #[serde(default)]
    matches: Vec<Match>,
    expect_content: Option<Value>,
    recorded: Option<IndexMap<String, Value>>,
    #[serde(default)]
    skip_paths: Vec<String>,
    expect_report: Option<String>,
    expect_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default = "account")]
    account_id: String,
    #[serde(default = "region")]
    region: String,
    #[serde(default)]
    timestamps: TimestampSet,
    #[serde(default = "yes")]
    redact_secrets: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            account_id: account(),
            region: region(),
            timestamps: TimestampSet::New,
            redact_secrets: true,
        }
    }
}

fn account() -> String {
    "123456789012".into()
}
fn region() -> String {
    "us-east-1".into()
}
fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Match {
    key: String,
    value: Value,
    #[serde(default)]
    datetimes: Vec<String>,
}

enum Outcome {
    Content(String),
    Report(String),
}

fn run(case: Case) -> Result<Outcome, String> {
    let mut transformers = Vec::new();
    for declared in case.transformers {
        let spec: TransformerSpec =
            serde_json::from_value(declared).map_err(|e| format!("declaration: {e}"))?;
        transformers.push(spec);
    }
    run_session(
        case.options,
        transformers,
        case.matches,
        case.recorded,
        &case.skip_paths,
    )
    .map_err(|e| e.to_string())
}

fn run_session(
    options: Options,
    transformers: Vec<TransformerSpec>,
    matches: Vec<Match>,
    recorded: Option<IndexMap<String, Value>>,
    skip_paths: &[String],
) -> Result<Outcome, SnapshotError> {
    let options = SessionOptions {
        account_id: options.account_id,
        region: options.region,
        timestamps: options.timestamps,
        redact_secrets: options.redact_secrets,
    };
    let mut session = Session::new(transformers, options)?;
    for m in matches {
        session.match_value(&m.key, m.value, &m.datetimes)?;
    }
    match recorded {
        None => {
            let content = session.recorded_content()?;
            let map: serde_json::Map<String, Value> = content.into_iter().collect();
            Ok(Outcome::Content(pyjson::dumps_pretty(&Value::Object(map))))
        }
        Some(recorded) => {
            let entry = Entry {
                recorded_date: "01-01-2025, 00:00:00".into(),
                recorded_content: recorded,
            };
            let report = session.verify(&entry, skip_paths)?;
            let rendered = report.render(false);
            // The consuming verify the runner uses must report exactly the same.
            let owned = session.verify_owned(&entry, skip_paths)?;
            assert_eq!(
                owned.render(false),
                rendered,
                "verify_owned agrees with verify"
            );
            assert_eq!(
                report.passed(),
                rendered.is_empty(),
                "passed() agrees with the report"
            );
            Ok(Outcome::Report(rendered))
        }
    }
}

fn check(dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("case.yaml")).map_err(|e| e.to_string())?;
    let case: Case = serde_yaml::from_str(&text).map_err(|e| format!("case.yaml: {e}"))?;
    let expect_error = case.expect_error.clone();
    let expect_content = case.expect_content.clone();
    let expect_report = case.expect_report.clone();
    match (run(case), expect_error) {
        (Err(e), Some(want)) if e.contains(&want) => Ok(()),
        (Err(e), Some(want)) => Err(format!("error {e:?} does not contain {want:?}")),
        (Err(e), None) => Err(format!("unexpected error: {e}")),
        (Ok(_), Some(want)) => Err(format!("expected an error containing {want:?}")),
        (Ok(Outcome::Content(actual)), None) => {
            let want = expect_content.ok_or("record case without expect_content")?;
            let want = pyjson::dumps_pretty(&want);
            (actual == want)
                .then_some(())
                .ok_or_else(|| format!("content differs; actual:\n{actual}\nexpected:\n{want}"))
        }
        (Ok(Outcome::Report(actual)), None) => {
            let want = expect_report.ok_or("verify case without expect_report")?;
            (actual == want)
                .then_some(())
                .ok_or_else(|| format!("report differs; actual:\n{actual}\nexpected:\n{want}"))
        }
    }
}

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under {}", root.display());
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Err(message) = check(dir) {
            failures.push(format!(
                "== {}\n{message}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    eprintln!("{} cases, {} failed", dirs.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

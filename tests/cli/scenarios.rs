//! The committed scenarios and their schema: the schema is current, every scenario file
//! validates against it, and the scenarios pass against the embedded emulator.

use std::path::{Path, PathBuf};

use super::runner::{pt, Standalone};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_is_current() {
    let out = pt(&root(), &["schema"]);
    assert_eq!(out.code, 0);
    let committed = std::fs::read_to_string(root().join("schema/scenario.schema.json"))
        .expect("schema/scenario.schema.json is committed");
    assert!(
        committed == out.stdout,
        "schema/scenario.schema.json is stale: run `cargo run -- schema > schema/scenario.schema.json`"
    );
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scenario_files(&p, out);
        } else if paritytest::runner::is_scenario_file(&p) {
            out.push(p);
        }
    }
}

#[test]
fn every_scenario_file_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/scenario.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the schema compiles");
    let mut files = Vec::new();
    scenario_files(&root().join("scenarios"), &mut files);
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {}", f.display(), errors.join("\n"));
    }
    // And the schema rejects what the parser rejects.
    let bad = serde_json::json!({"name": "x", "steps": [{"call": "iam.GetUser", "input": {"UserNam": "a"}}]});
    assert!(!validator.is_valid(&bad));
    let bad = serde_json::json!({"name": "x", "steps": [{"call": "iam.NoSuchOperation"}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn committed_scenarios_pass_against_the_embedded_emulator() {
    let out = pt(&root(), &["run", "scenarios", "--jobs", "2"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn committed_scenarios_pass_against_a_standalone_emulator() {
    let emu = Standalone::start();
    let target = format!("endpoint={}", emu.url);
    let out = pt(
        &root(),
        &["run", "scenarios", "--jobs", "2", "--target", &target],
    );
    assert_eq!(out.code, 0, "{out:?}");
}

/// A scenario can verify against an existing LocalStack recording in place, here the real AWS
/// answers to STS AssumeRole with malformed role ARNs.
#[test]
fn verifies_against_an_aws_recording_in_place() {
    // The shared recordings sit beside the repository (CI), or where PARITYTEST_RECORDINGS says.
    let recordings = std::env::var_os("PARITYTEST_RECORDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/aws-recordings-visible"));
    if !recordings.join("sts/test_sts.snapshot.json").exists() {
        eprintln!(
            "skipped: no recordings at {} (set PARITYTEST_RECORDINGS)",
            recordings.display()
        );
        return;
    }
    let s = r#"
name: sts invalid parameters
snapshot:
  file: recordings:sts/test_sts.snapshot.json
  key: tests/aws/services/sts/test_sts.py::TestSTSIntegrations::test_sts_invalid_parameters
steps:
  - call: sts.AssumeRole
    input: {RoleArn: "{{ item.arn }}", RoleSessionName: s1}
    expect: {error: ValidationError, status: 400}
    match: "{{ item.key }}"
    for_each:
      - {key: malformed-arn, arn: nothing-valid-in-here}
      - {key: no-partition, arn: "arn::b:::something/test-role"}
      - {key: no-service, arn: "arn:a::::something/test-role"}
      - {key: not-enough-colons, arn: "arn:a:::something/test-role"}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sts.yaml"), s).unwrap();
    let out = pt(
        dir.path(),
        &[
            "run",
            "sts.yaml",
            "--recordings",
            recordings.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // Validated by AWS: not listed as unvalidated.
    assert!(!out.stdout.contains("not validated"), "{out:?}");
}

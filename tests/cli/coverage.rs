//! `run --metrics`, the parity summary and `paritytest coverage`, through the CLI.

use std::path::Path;
use std::process::{Command, Output};

fn paritytest(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paritytest"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("paritytest runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const SCENARIO: &str = r#"
name: coverage sample
id: coverage-sample
transformers:
  - preset: iam_api
steps:
  - call: iam.CreateUser
    input: { UserName: "cov-{{ short_uid() }}", Tags: [{ Key: team, Value: parity }] }
    capture: { user: $.User.UserName }
    cleanup:
      call: iam.DeleteUser
      input: { UserName: "{{ user }}" }
  - call: iam.GetUser
    input: { UserName: "{{ user }}" }
    match: get_user
  - call: iam.GetUser
    input: { UserName: "no-such-user-{{ short_uid() }}" }
    expect: { error: NoSuchEntity, status: 404 }
"#;

/// Marks the recorded entry as validated against AWS after its recording, as a recording made
/// with `--target aws --update` would be.
fn mark_validated(dir: &Path) {
    std::fs::write(
        dir.join("snapshots/iam/sample.validation.json"),
        "{\n  \"coverage-sample\": {\n    \"last_validated_date\": \"2100-01-01T00:00:00+00:00\"\n  }\n}\n",
    )
    .unwrap();
}

#[test]
fn metrics_feed_coverage_and_parity_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("scenarios/iam")).unwrap();
    std::fs::write(dir.join("scenarios/iam/sample.yaml"), SCENARIO).unwrap();

    let recorded = paritytest(dir, &["run", "scenarios", "--update"]);
    assert!(recorded.status.success(), "{}", text(&recorded));
    // Recorded against the emulator: not validated, so no parity figures yet.
    assert!(
        !text(&recorded).contains("Parity against AWS-recorded entries"),
        "{}",
        text(&recorded)
    );

    mark_validated(dir);
    let run = paritytest(dir, &["run", "scenarios", "--metrics", "out/metrics.json"]);
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    assert!(out.contains("Parity against AWS-recorded entries"), "{out}");
    let iam_line = out
        .lines()
        .find(|l| l.starts_with("iam "))
        .unwrap_or_else(|| panic!("no iam row: {out}"));
    assert!(iam_line.contains("1/1 (100.0%)"), "{iam_line}");

    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/metrics.json")).unwrap())
            .unwrap();
    let get_user = &metrics["operations"]["iam.GetUser"];
    assert_eq!(get_user["calls"], 2, "{metrics:#}");
    assert_eq!(get_user["error_codes"]["NoSuchEntity"], 1);
    assert_eq!(get_user["status_codes"]["404"], 1);
    assert_eq!(
        get_user["verified_scenarios"],
        serde_json::json!(["coverage-sample"])
    );
    let create = &metrics["operations"]["iam.CreateUser"];
    assert_eq!(
        create["input_members"],
        serde_json::json!(["Tags", "Tags[].Key", "Tags[].Value", "UserName"])
    );
    // The cleanup call counts too.
    assert_eq!(metrics["operations"]["iam.DeleteUser"]["calls"], 1);

    let md = paritytest(
        dir,
        &["coverage", "out/metrics.json", "--format", "markdown"],
    );
    let md_text = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(md.status.success(), "{}", text(&md));
    let row = md_text
        .lines()
        .find(|l| l.starts_with("| iam |"))
        .unwrap_or_else(|| panic!("{md_text}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    // | iam | in model | implemented | exercised | verified |
    let in_model: usize = cells[2].parse().unwrap();
    assert!(in_model > 150, "{row}");
    assert!(
        cells[4].starts_with("3 "),
        "three IAM operations exercised: {row}"
    );
    assert!(
        cells[5].starts_with("3 "),
        "all three verified against AWS: {row}"
    );

    let html = paritytest(
        dir,
        &[
            "coverage",
            "out/metrics.json",
            "--format",
            "html",
            "-o",
            "out/coverage.html",
        ],
    );
    assert!(html.status.success(), "{}", text(&html));
    let page = std::fs::read_to_string(dir.join("out/coverage.html")).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains("GetUser")
            && !page.contains("<script")
    );

    // A deviation from the AWS-recorded entry shows in the parity figures and fails the run.
    let snap_path = dir.join("snapshots/iam/sample.snapshot.json");
    let snap = std::fs::read_to_string(&snap_path)
        .unwrap()
        .replace("\"Path\": \"/\"", "\"Path\": \"/other/\"");
    std::fs::write(&snap_path, snap).unwrap();
    mark_validated(dir);
    let failing = paritytest(dir, &["run", "scenarios"]);
    let out = text(&failing);
    assert_eq!(failing.status.code(), Some(1), "{out}");
    let iam_line = out
        .lines()
        .find(|l| l.starts_with("iam "))
        .unwrap_or_else(|| panic!("no iam row: {out}"));
    assert!(iam_line.contains("0/1 (0.0%)"), "{iam_line}");
}

#[test]
fn coverage_refuses_a_file_that_is_not_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("m.json"),
        "{\"format\": \"something-else\"}",
    )
    .unwrap();
    let o = paritytest(tmp.path(), &["coverage", "m.json"]);
    assert_eq!(o.status.code(), Some(64), "{}", text(&o));
    assert!(
        text(&o).contains("not a paritytest metrics file"),
        "{}",
        text(&o)
    );
}

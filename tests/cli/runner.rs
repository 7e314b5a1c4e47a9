//! The `paritytest` binary end to end: runs against the embedded emulator and a standalone one,
//! snapshots written and verified, failures with their diff, cleanup after a failure, parallel
//! runs, sharding, reports, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `dir` without colours.
pub fn pt(dir: &Path, args: &[&str]) -> Output {
    pt_env(dir, args, &[])
}

/// As `pt`, with extra environment variables.
pub fn pt_env(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_paritytest"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("PARITYTEST_RECORDINGS")
        .env_remove("SNAPSHOT_RAW")
        .envs(vars.iter().copied())
        .output()
        .expect("run paritytest");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A project folder with `scenarios/<name>` files.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const USER: &str = r#"
name: user
transformers:
  - preset: iam_api
vars:
  user_name: "u-{{ short_uid() }}"
steps:
  - call: iam.CreateUser
    input: {UserName: "{{ user_name }}", Path: /pt/}
    match: create_user
    cleanup:
      call: iam.DeleteUser
      input: {UserName: "{{ user_name }}"}
  - call: iam.GetUser
    input: {UserName: "{{ user_name }}"}
    match: get_user
"#;

#[test]
fn update_writes_snapshots_then_a_run_verifies_them() {
    let p = project(&[("scenarios/iam/user.yaml", USER)]);
    let rec = pt(p.path(), &["run", "--update"]);
    assert_eq!(rec.code, 0, "{rec:?}");
    assert!(rec.stdout.contains("PASS"), "{rec:?}");
    assert!(rec.stdout.contains("not validated against AWS"), "{rec:?}");
    let snap_path = p.path().join("snapshots/iam/user.snapshot.json");
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap_path).unwrap()).unwrap();
    let content = &snap["user"]["recorded-content"];
    assert_eq!(content["create_user"]["User"]["UserName"], "<user-name:1>");
    assert_eq!(content["get_user"]["User"]["Path"], "/pt/");
    // Not recorded against AWS: no validation file.
    assert!(!p.path().join("snapshots/iam/user.validation.json").exists());

    let verify = pt(p.path(), &["run"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(verify.stdout.contains("1 passed, 0 failed"), "{verify:?}");
    assert!(
        verify
            .stdout
            .contains("1 snapshot entry is not validated against AWS"),
        "{verify:?}"
    );

    // --check writes nothing and passes on a complete recording.
    let before = std::fs::read(&snap_path).unwrap();
    let check = pt(p.path(), &["run", "--check"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert_eq!(std::fs::read(&snap_path).unwrap(), before);
}

#[test]
fn a_changed_recording_fails_with_its_diff() {
    let p = project(&[("scenarios/user.yaml", USER)]);
    assert_eq!(pt(p.path(), &["run", "--update"]).code, 0);
    let snap_path = p.path().join("snapshots/user.snapshot.json");
    let text = std::fs::read_to_string(&snap_path).unwrap();
    std::fs::write(
        &snap_path,
        text.replacen("\"Path\": \"/pt/\"", "\"Path\": \"/other/\"", 1),
    )
    .unwrap();
    let run = pt(p.path(), &["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL"), "{run:?}");
    assert!(run.stdout.contains(">> match key: create_user"), "{run:?}");
    assert!(run.stdout.contains("/User/Path"), "{run:?}");
    assert!(run.stdout.contains("\"/other/\" → \"/pt/\""), "{run:?}");
    assert!(run.stdout.contains("scenarios/user.yaml"), "{run:?}");
}

#[test]
fn a_missing_recording_fails_and_update_new_adds_only_it() {
    let two = r#"
scenarios:
  - name: first
    steps:
      - {match: value, value: {A: 1}}
  - name: second
    steps:
      - {match: value, value: {B: 2}}
"#;
    let p = project(&[("scenarios/two.yaml", two)]);
    let snap_path = p.path().join("snapshots/two.snapshot.json");
    assert_eq!(pt(p.path(), &["run", "--update", "-E", "first"]).code, 0);
    let first_only = std::fs::read_to_string(&snap_path).unwrap();
    let run = pt(p.path(), &["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("no recording for \"second\""),
        "{run:?}"
    );
    let new = pt(p.path(), &["run", "--update", "new"]);
    assert_eq!(new.code, 0, "{new:?}");
    let both = std::fs::read_to_string(&snap_path).unwrap();
    assert!(
        both.starts_with(first_only.trim_end().trim_end_matches('}').trim_end()),
        "first entry kept as it was:\n{both}"
    );
    assert!(both.contains("\"second\""));
}

#[test]
fn literal_match_steps_apply_transformers() {
    let s = r#"
name: literal
transformers:
  - key_value: {key: Name}
steps:
  - match: doc
    value: {Name: "n-{{ 1 + 1 }}", Arn: "arn:aws:iam::{{ account_id }}:user/n-2"}
"#;
    let p = project(&[("scenarios/lit.yaml", s)]);
    let r = pt(p.path(), &["run", "--update"]);
    assert_eq!(r.code, 0, "{r:?}");
    let snap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("snapshots/lit.snapshot.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        snap["literal"]["recorded-content"]["doc"],
        serde_json::json!({"Arn": "arn:<partition>:iam::111111111111:user/<name:1>", "Name": "<name:1>"})
    );
}

/// `--snapshot-raw` / `SNAPSHOT_RAW=1` with `--update`: the same entry in
/// `<name>.raw.snapshot.json`, untransformed (names, account id, headers as answered; datetimes
/// as `YYYY-MM-DDTHH:MM:SS.mmmZ`) but with secrets redacted. A verifying run writes none.
#[test]
fn snapshot_raw_writes_the_untransformed_entry_with_secrets_redacted() {
    const KEYS: &str = r#"
name: keys
transformers:
  - preset: iam_api
  - key_value: {key: AccessKeyId}
vars:
  user_name: "raw-{{ short_uid() }}"
steps:
  - call: iam.CreateUser
    input: {UserName: "{{ user_name }}"}
    match: create_user
    cleanup:
      call: iam.DeleteUser
      input: {UserName: "{{ user_name }}"}
  - call: iam.CreateAccessKey
    input: {UserName: "{{ user_name }}"}
    capture: {key_id: $.AccessKey.AccessKeyId, secret: $.AccessKey.SecretAccessKey}
    match: create_key
    cleanup:
      call: iam.DeleteAccessKey
      input: {UserName: "{{ user_name }}", AccessKeyId: "{{ key_id }}"}
  - match: echoed
    value: {Text: "export AWS_SECRET_ACCESS_KEY={{ secret }}"}
"#;
    let p = project(&[("scenarios/keys.yaml", KEYS)]);
    let raw_path = p.path().join("snapshots/keys.raw.snapshot.json");

    let first = pt(p.path(), &["run", "--update", "new"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(!raw_path.exists(), "no raw copy unless asked");
    // Asked for, but nothing is recorded: nothing is written, and the run says why.
    let nothing = pt_env(p.path(), &["run"], &[("SNAPSHOT_RAW", "1")]);
    assert_eq!(nothing.code, 0, "{nothing:?}");
    assert!(!raw_path.exists(), "{nothing:?}");
    assert!(
        nothing.stderr.contains("this run records nothing"),
        "{nothing:?}"
    );

    for (args, vars) in [
        (&["run", "--update", "--snapshot-raw"][..], &[][..]),
        (&["run", "--update"][..], &[("SNAPSHOT_RAW", "1")][..]),
    ] {
        let _ = std::fs::remove_file(&raw_path);
        let rec = pt_env(p.path(), args, vars);
        assert_eq!(rec.code, 0, "{rec:?}");
        let text = std::fs::read_to_string(&raw_path).expect("raw copy written");
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let entry = &raw["keys"];
        assert!(entry["recorded-date"].is_string(), "{text}");
        let content = &entry["recorded-content"];
        assert_eq!(
            content.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["create_user", "create_key", "echoed"]
        );
        let user = &content["create_user"]["User"];
        let name = user["UserName"].as_str().unwrap();
        assert!(name.starts_with("raw-"), "untransformed name: {text}");
        let arn = user["Arn"].as_str().unwrap();
        assert!(
            arn.starts_with("arn:aws:iam::") && arn.ends_with(&format!(":user/{name}")),
            "{text}"
        );
        let date = user["CreateDate"].as_str().unwrap();
        let shape = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$").unwrap();
        assert!(shape.is_match(date), "raw datetime form: {date}");
        let meta = &content["create_user"]["ResponseMetadata"];
        assert_eq!(meta["HTTPStatusCode"], 200, "{text}");
        assert!(meta["RequestId"].is_string(), "{text}");
        let key = &content["create_key"]["AccessKey"];
        assert_eq!(key["SecretAccessKey"], "<secret-access-key:redacted>");
        assert!(
            key["AccessKeyId"].as_str().unwrap().starts_with("AKIA"),
            "{text}"
        );
        // A secret repeated under another key is redacted too.
        assert_eq!(
            content["echoed"]["Text"], "export AWS_SECRET_ACCESS_KEY=<secret-access-key:redacted>",
            "{text}"
        );
        // The transformed entry sits beside it as usual.
        let snap = std::fs::read_to_string(p.path().join("snapshots/keys.snapshot.json")).unwrap();
        assert!(
            snap.contains("<user-name:1>") && !snap.contains(name),
            "{snap}"
        );
    }
}

/// A standalone `paritytest emulator` on a free port, stopped on drop.
pub struct Standalone {
    child: Child,
    pub url: String,
}

impl Standalone {
    pub fn start() -> Standalone {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_paritytest"))
            .args(["emulator", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Standalone { child, url };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the standalone emulator did not start on {url}");
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn cleanup_runs_after_a_failure_and_cleanup_failures_are_reported() {
    let emu = Standalone::start();
    let target = format!("endpoint={}", emu.url);
    let name = format!("cleanup-{}", std::process::id());
    let failing = format!(
        r#"
name: fails after creating
steps:
  - call: iam.CreateUser
    input: {{UserName: {name}}}
    cleanup:
      call: iam.DeleteUser
      input: {{UserName: {name}}}
  - assert:
      - {{value: 1, equals: 2}}
  - call: iam.GetUser
    name: never reached
    input: {{UserName: {name}}}
"#
    );
    let gone = format!(
        r#"
name: user is gone
steps:
  - call: iam.GetUser
    input: {{UserName: {name}}}
    expect: {{error: NoSuchEntity}}
"#
    );
    let broken_cleanup = r#"
name: broken cleanup
steps:
  - set: {x: 1}
  - call: sts.GetCallerIdentity
    cleanup:
      call: iam.DeleteUser
      input: {UserName: nobody-paritytest}
"#;
    let p = project(&[
        ("a/failing.yaml", &failing),
        ("b/gone.yaml", &gone),
        ("c/broken.yaml", broken_cleanup),
    ]);
    let r = pt(p.path(), &["run", "a", "--target", &target]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("step assert at a/failing.yaml:10"),
        "{r:?}"
    );
    assert!(r.stdout.contains("expected 2, got 1"), "{r:?}");
    // The cleanup deleted the user on the shared emulator.
    let r = pt(p.path(), &["run", "b", "--target", &target]);
    assert_eq!(r.code, 0, "{r:?}");
    // A cleanup that fails fails the scenario, with the cleanup named.
    let r = pt(p.path(), &["run", "c", "--target", &target]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("cleanup iam.DeleteUser at c/broken.yaml:7 failed"),
        "{r:?}"
    );
    assert!(r.stdout.contains("NoSuchEntity"), "{r:?}");
}

fn many(n: usize) -> String {
    let mut s = String::from("scenarios:\n");
    for i in 0..n {
        // Later scenarios finish first when run in parallel.
        let polls = n - i;
        s.push_str(&format!(
            "  - name: s{i:02}\n    tags: [{}]\n    steps:\n      - call: sts.GetCallerIdentity\n        for_each: \"range({polls})\"\n",
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    s
}

fn ids_in_order(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with(" PASS [") || l.starts_with(" FAIL ["))
        .map(|l| l.rsplit(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn parallel_runs_report_in_scenario_order() {
    let p = project(&[("s/many.yaml", &many(8))]);
    let r = pt(p.path(), &["run", "s", "--jobs", "4"]);
    assert_eq!(r.code, 0, "{r:?}");
    let expected: Vec<String> = (0..8).map(|i| format!("s{i:02}")).collect();
    assert_eq!(ids_in_order(&r.stdout), expected, "{r:?}");
    assert!(r.stdout.contains("(4 at a time)"));
}

#[test]
fn shards_split_the_run_disjointly_and_filters_select() {
    let p = project(&[("s/many.yaml", &many(7))]);
    let mut seen = Vec::new();
    for i in 1..=3 {
        let r = pt(p.path(), &["run", "s", "--shard", &format!("{i}/3")]);
        assert_eq!(r.code, 0, "{r:?}");
        seen.extend(ids_in_order(&r.stdout));
    }
    seen.sort();
    let all: Vec<String> = (0..7).map(|i| format!("s{i:02}")).collect();
    assert_eq!(seen, all);

    let r = pt(p.path(), &["list", "s", "--tag", "odd"]);
    assert_eq!(r.code, 0, "{r:?}");
    let ids: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["s01", "s03", "s05"]);
    let r = pt(
        p.path(),
        &["list", "s", "-E", "s0", "-E", "nothing", "--shard", "2/2"],
    );
    let ids: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["s01", "s03", "s05"]);
}

#[test]
fn junit_and_json_reports() {
    let s = r#"
scenarios:
  - name: good
    steps:
      - assert: [{value: "{{ region }}", exists: true}]
  - name: bad <one>
    steps:
      - assert: [{value: {A: 1}, path: $.A, equals: 2}]
  - name: skipped
    skip_reason: not on this target
    steps:
      - set: {a: 1}
"#;
    let p = project(&[("r/report.yaml", s)]);
    let r = pt(
        p.path(),
        &[
            "run",
            "r",
            "--report",
            "junit=out/junit.xml",
            "--report",
            "json=out/report.json",
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let xml = std::fs::read_to_string(p.path().join("out/junit.xml")).unwrap();
    assert!(
        xml.contains(
            "<testsuites name=\"paritytest\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"good\" classname=\"r/report.yaml\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"bad &lt;one&gt;\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"assert at r/report.yaml:8: $.A: expected 2, got 1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<skipped message=\"not on this target\"/>"),
        "{xml}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["passed"], 1);
    assert_eq!(json["summary"]["failed"], 1);
    assert_eq!(
        json["scenarios"][1]["failures"][0]["location"],
        "r/report.yaml:8"
    );
}

#[test]
fn fail_fast_stops_starting_scenarios() {
    let s = r#"
scenarios:
  - name: a
    steps: [{assert: [{value: 1, equals: 2}]}]
  - name: b
    steps: [{set: {x: 1}}]
"#;
    let p = project(&[("f/x.yaml", s)]);
    let r = pt(p.path(), &["run", "f", "--fail-fast"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("0 passed, 1 failed, 1 not run"), "{r:?}");
}

#[test]
fn exit_codes_are_distinct() {
    let p = project(&[
        ("ok/x.yaml", "name: x\nsteps: [{set: {a: 1}}]\n"),
        ("bad/x.yaml", "name: x\nsteps: [{sett: 1}]\n"),
    ]);
    assert_eq!(pt(p.path(), &["run", "ok"]).code, 0);
    assert_eq!(pt(p.path(), &["run", "bad"]).code, 2);
    assert_eq!(
        pt(
            p.path(),
            &["run", "ok", "--target", "endpoint=http://127.0.0.1:1"]
        )
        .code,
        3
    );
    assert_eq!(pt(p.path(), &["run", "--no-such-flag"]).code, 64);
    assert_eq!(pt(p.path(), &["run", "ok", "--shard", "3/2"]).code, 64);
    assert_eq!(pt(p.path(), &["run", "missing-dir"]).code, 64);
}

#[test]
fn unreferenced_entries_are_reported_and_can_fail() {
    let p = project(&[(
        "scenarios/u.yaml",
        "name: kept\nsteps: [{match: k, value: 1}]\n",
    )]);
    assert_eq!(pt(p.path(), &["run", "--update"]).code, 0);
    let snap_path = p.path().join("snapshots/u.snapshot.json");
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap_path).unwrap()).unwrap();
    let entry = snap["kept"].clone();
    snap.as_object_mut().unwrap().insert("stale".into(), entry);
    std::fs::write(&snap_path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("1 unreferenced snapshot entry"), "{r:?}");
    assert!(r.stdout.contains("[stale]"), "{r:?}");
    assert_eq!(pt(p.path(), &["run", "--fail-unreferenced"]).code, 1);
    assert_eq!(pt(p.path(), &["run", "--check"]).code, 1);
}

/// Each file in tests/cli/invalid/ is an invalid scenario; `<name>.expected` holds the exact
/// diagnostics `paritytest check` prints for it.
#[test]
fn invalid_scenario_files_give_their_expected_diagnostics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/invalid");
    let bless = std::env::var_os("PARITYTEST_BLESS").is_some();
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".expected") || name.starts_with('_') {
            continue;
        }
        cases += 1;
        let out = pt(&dir, &["check", &name]);
        let expected_path = dir.join(format!("{name}.expected"));
        if bless {
            std::fs::write(&expected_path, &out.stderr).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if out.code != 2 || out.stderr != expected {
            failures.push(format!(
                "{name}: exit {}\n--- expected\n{expected}--- actual\n{}",
                out.code, out.stderr
            ));
        }
    }
    assert!(cases >= 10, "only {cases} invalid cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ctrl_c_stops_the_run_and_still_cleans_up() {
    let emu = Standalone::start();
    let target = format!("endpoint={}", emu.url);
    let name = format!("interrupted-{}", std::process::id());
    let slow = format!(
        r#"
name: slow
steps:
  - call: iam.CreateUser
    input: {{UserName: {name}}}
    cleanup:
      call: iam.DeleteUser
      input: {{UserName: {name}}}
  - wait:
      call: iam.GetUser
      input: {{UserName: {name}}}
      until: {{path: $.User.Path, equals: /never/}}
      timeout: 60s
"#
    );
    let exists =
        format!("name: exists\nsteps:\n  - call: iam.GetUser\n    input: {{UserName: {name}}}\n");
    let p = project(&[("slow/s.yaml", &slow), ("exists/e.yaml", &exists)]);
    let child = Command::new(env!("CARGO_BIN_EXE_paritytest"))
        .args(["run", "slow", "--target", &target])
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the user exists, i.e. the scenario is polling.
    let mut created = false;
    for _ in 0..100 {
        if pt(p.path(), &["run", "exists", "--target", &target]).code == 0 {
            created = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(created, "the scenario never created its user");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("interrupted (Ctrl-C)"), "{stdout}");
    assert!(stdout.contains("INTERRUPTED"), "{stdout}");
    // The cleanup deleted the user.
    let r = pt(p.path(), &["run", "exists", "--target", &target]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("NoSuchEntity"), "{r:?}");
}

#[test]
fn groups_from_another_file_and_template_helpers() {
    let common = r#"
groups:
  tagged_user:
    params: {name: null, tags: [{Key: a, Value: b}]}
    steps:
      - call: iam.CreateUser
        input: {UserName: "{{ name }}", Tags: "{{ tags }}"}
        capture: {created: $.User.UserName}
        cleanup:
          call: iam.DeleteUser
          input: {UserName: "{{ name }}"}
"#;
    let s = r#"
name: uses a shared group
vars:
  n: "g-{{ short_uid() }}"
  doc: {A: [1, 2]}
steps:
  - include: _common.yaml#tagged_user
    with: {name: "{{ n }}"}
  - assert:
      - {value: "{{ created }}", equals: "{{ n }}"}
      - {value: "{{ doc | tojson }}", equals: '{"A":[1,2]}'}
      - {value: "{{ 'hi' | b64encode }}", equals: aGk=}
      - {value: "{{ random_name('x') }}", matches: "^x-[0-9a-f]{8}$"}
      - {value: {json: {k: "{{ n }}"}}, matches: '^\{"k":"g-'}
  - call: iam.ListUserTags
    input: {UserName: "{{ n }}"}
    assert:
      - {path: "$.Tags[0].Key", equals: a}
"#;
    let p = project(&[("g/_common.yaml", common), ("g/main.yaml", s)]);
    let list = pt(p.path(), &["list", "g"]);
    assert_eq!(list.stdout.lines().count(), 1, "{list:?}");
    let r = pt(p.path(), &["run", "g"]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// `known_gap` is a strict expected failure: a failing scenario is a known gap (exit 0), a
/// passing one fails the run until its marker is removed; a map marks single matrix values.
#[test]
fn known_gaps_are_strict_expected_failures() {
    const GAPS: &str = r#"
scenarios:
  - name: gap still open
    known_gap: the emulator answers 200 here
    steps:
      - call: iam.GetUser
        input: {UserName: "missing-{{ short_uid() }}"}
  - name: per value
    matrix: {path: [/a/, /b/]}
    known_gap: {/b/: path /b/ differs}
    steps:
      - set: {p: "{{ path }}"}
      - assert:
          - value: "{{ p }}"
            equals: /a/
"#;
    let dir = project(&[("scenarios/gaps.yaml", GAPS)]);
    let out = pt(dir.path(), &["run", "scenarios"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("GAP")
            && out
                .stdout
                .contains("known gap: the emulator answers 200 here"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("per value[/a/]") && out.stdout.contains("known gap: path /b/ differs"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("1 passed, 0 failed, 2 known gaps"),
        "{out:?}"
    );

    // Once the gap is closed the marker must go: a pass fails the run.
    let closed = GAPS.replace(
        "known_gap: {/b/: path /b/ differs}",
        "known_gap: {/a/: fixed long ago}",
    );
    let dir = project(&[("scenarios/gaps.yaml", &closed)]);
    let out = pt(dir.path(), &["run", "scenarios"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("passes now, but is marked known_gap (fixed long ago): remove the marker"),
        "{out:?}"
    );

    // A matrix value that does not exist is a diagnostic, not a silently ignored marker.
    let typo = GAPS.replace(
        "known_gap: {/b/: path /b/ differs}",
        "known_gap: {/c/: typo}",
    );
    let dir = project(&[("scenarios/gaps.yaml", &typo)]);
    let out = pt(dir.path(), &["check", "scenarios"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("known_gap names \"/c/\", which is not a matrix value"),
        "{out:?}"
    );
}

//! Step semantics end to end through the CLI: `when:` on cleanups, templated transformers,
//! included groups from another file (diagnostics and variable scope).

use crate::runner::{project, pt};

/// A cleanup's `when:` is evaluated when the cleanups run, with the variables it was
/// registered with; a false condition skips it, a true one runs it.
#[test]
fn cleanup_steps_honour_when() {
    const WHEN: &str = r#"
scenarios:
  - name: a registers cleanups
    vars: {delete_it: true}
    steps:
      - call: iam.CreateUser
        input: {UserName: when-kept}
        cleanup:
          call: iam.DeleteUser
          input: {UserName: when-kept}
          when: not delete_it
      - call: iam.CreateUser
        input: {UserName: when-deleted}
        cleanup:
          - call: iam.DeleteUser
            input: {UserName: when-deleted}
            when: delete_it
          # would fail (no such user) if it ran
          - call: iam.DeleteUser
            input: {UserName: never-created}
            when: delete_it and false
  - name: b sees what the cleanups did
    steps:
      - call: iam.GetUser
        input: {UserName: when-kept}
      - call: iam.GetUser
        input: {UserName: when-deleted}
        expect: {error: NoSuchEntity}
"#;
    let p = project(&[("scenarios/when.yaml", WHEN)]);
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("2 passed, 0 failed"), "{r:?}");

    // A `when:` that cannot be evaluated is a cleanup failure, named with its location.
    let broken = WHEN.replace("when: not delete_it", "when: no_such_var.x");
    let p = project(&[("scenarios/when.yaml", &broken)]);
    let r = pt(p.path(), &["run", "-E", "a registers"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("when:"), "{r:?}");
    assert!(r.stdout.contains("scenarios/when.yaml:9"), "{r:?}");
}

/// Transformer parameters are templates like step inputs: a captured or generated name can be
/// the regex or the text replaced (LocalStack's `regex(fn_name, "<fn-name>")`).
#[test]
fn transformer_parameters_are_templated() {
    const TEMPLATED: &str = r#"
name: templated transformers
vars:
  fn_name: "fn-{{ short_uid() }}"
  suffix: "{{ 6 * 7 }}"
transformers:
  - regex: {pattern: "{{ fn_name }}", replacement: "<fn-name>"}
  - text: {text: "v{{ suffix }}", replacement: "<version>"}
  - key_value: {key: "{{ 'Hand' ~ 'ler' }}", reference_replacement: false}
steps:
  - match: doc
    value:
      FunctionArn: "arn:aws:lambda:us-east-1:{{ account_id }}:function:{{ fn_name }}"
      Description: "{{ fn_name }} at v42"
      Handler: index.handler
"#;
    let p = project(&[("scenarios/t.yaml", TEMPLATED)]);
    let r = pt(p.path(), &["run", "--update"]);
    assert_eq!(r.code, 0, "{r:?}");
    let snap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("snapshots/t.snapshot.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        snap["templated transformers"]["recorded-content"]["doc"],
        serde_json::json!({
            "Description": "<fn-name> at <version>",
            "FunctionArn": "arn:<partition>:lambda:<region>:111111111111:function:<fn-name>",
            "Handler": "handler",
        })
    );
    // A fresh name every run, still the same snapshot.
    let again = pt(p.path(), &["run"]);
    assert_eq!(again.code, 0, "{again:?}");

    // A template that fails when rendered is reported like a step input's, at the
    // transformer's line.
    let undefined = TEMPLATED.replace(
        "{{ fn_name }}\", replacement",
        "{{ no_such }}\", replacement",
    );
    let p = project(&[("scenarios/t.yaml", &undefined)]);
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("step transformers[0] at scenarios/t.yaml:7"),
        "{r:?}"
    );
    assert!(r.stdout.contains("no_such"), "{r:?}");
    // Rendered into something that is not a transformer (a whole `{{ expression }}` keeps its
    // type): the rendered value is shown.
    let wrong = TEMPLATED.replace("'Hand' ~ 'ler'", "6 * 7");
    let p = project(&[("scenarios/t.yaml", &wrong)]);
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("step transformers[2] at scenarios/t.yaml:9")
            && r.stdout.contains("after templating"),
        "{r:?}"
    );
}

const GROUPS: &str = r#"# groups only
groups:
  make_user:
    params: {name: null, only_param: unused}
    steps:
      - call: iam.CreateUser
        input: {UserName: "{{ name }}"}
        capture: {user_arn: $.User.Arn}
        cleanup:
          call: iam.DeleteUser
          input: {UserName: "{{ name }}"}
      - assert:
          - {value: "{{ name }}", matches: "^inner-"}
"#;

/// A group's parameters are its own: after the include the including scenario sees its own
/// variables again; what the group captures is its output. A failing step of a group from
/// another file is reported at that file's line.
#[test]
fn included_groups_scope_their_parameters() {
    const MAIN: &str = r#"
name: scoped
vars:
  name: outer
steps:
  - include: _groups.yaml#make_user
    with: {name: "inner-{{ short_uid() }}"}
  - assert:
      - {value: "{{ name }}", equals: outer}
      - {value: "{{ only_param is defined }}", equals: false}
      - {value: "{{ user_arn }}", matches: ":user/inner-"}
"#;
    let p = project(&[
        ("scenarios/_groups.yaml", GROUPS),
        ("scenarios/main.yaml", MAIN),
    ]);
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 0, "{r:?}");

    let failing = MAIN.replace("inner-{{ short_uid() }}", "other");
    let p = project(&[
        ("scenarios/_groups.yaml", GROUPS),
        ("scenarios/main.yaml", &failing),
    ]);
    let r = pt(p.path(), &["run"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("step assert at scenarios/_groups.yaml:13"),
        "{r:?}"
    );
}

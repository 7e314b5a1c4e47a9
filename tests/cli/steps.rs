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

//! The public declaration surface: the editor schema covers every transformer kind, and the
//! update modes decide what is written.

use paritytest_snapshot::{TransformerSpec, UpdateMode};

#[test]
fn schema_names_every_transformer_kind_with_docs() {
    let schema = serde_json::to_value(schemars::schema_for!(Vec<TransformerSpec>)).unwrap();
    let text = schema.to_string();
    for kind in [
        "key_value",
        "jsonpath",
        "regex",
        "text",
        "resource_name",
        "uuid",
        "sorting",
        "remove_key",
        "json_string",
        "preset",
        "timestamps",
        "response_metadata",
        "reference_replacement",
        "priority",
        "iam_api",
        "cloudformation_api",
    ] {
        assert!(text.contains(&format!("\"{kind}\"")), "schema lacks {kind}");
    }
    // Doc comments become hover descriptions.
    assert!(
        text.contains("kebab case"),
        "schema lacks the key_value description"
    );
}

#[test]
fn yaml_and_json_declarations_read_alike() {
    let yaml: Vec<TransformerSpec> = serde_yaml::from_str(
        "- key_value: {key: RoleName}\n- remove_key: Noise\n- preset: {name: lambda_api, priority: -1}\n",
    )
    .unwrap();
    let json: Vec<TransformerSpec> = serde_json::from_str(
        r#"[{"key_value": {"key": "RoleName"}}, {"remove_key": "Noise"},
            {"preset": {"name": "lambda_api", "priority": -1}}]"#,
    )
    .unwrap();
    assert_eq!(yaml, json);
    assert!(serde_yaml::from_str::<Vec<TransformerSpec>>("- no_such_kind: {}").is_err());
    assert!(serde_yaml::from_str::<Vec<TransformerSpec>>("- preset: ec2_api").is_err());
}

#[test]
fn update_modes() {
    assert!(!UpdateMode::Check.records(false) && !UpdateMode::Check.records(true));
    assert!(UpdateMode::All.records(false) && UpdateMode::All.records(true));
    assert!(UpdateMode::New.records(false) && !UpdateMode::New.records(true));
}

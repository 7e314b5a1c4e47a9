//! Handler-level tests of IAM and STS.
//!
//! Most behaviour is checked by the data-driven cases in `emulator/testdata/{iam,sts}/*.json`:
//! each file is a sequence of calls with the exact response (or error) expected, derived from
//! the AWS recordings. Matching rules (see `matches`):
//! - objects must have exactly the expected keys (so absent members are checked too);
//! - `"<datetime>"` matches an RFC 3339 timestamp, `"<any>"` any value,
//!   `"<re:PATTERN>"` a string matching the anchored regex;
//! - `{"$urlencoded_json": VALUE}` matches a URL-encoded JSON document equal to VALUE;
//! - `"${name}"` (also inside strings) is replaced by a value saved by an earlier step's
//!   `"save": {"name": "/json/pointer"}`; `${account}` is the calling account.
//!
//! A step may set `"as_key": "${saved key}"` to call with credentials registered by IAM or STS,
//! resolved the way the router resolves them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde_json::{json, Value};

use super::Iam;
use crate::service::{Caller, RequestContext, Service};
use crate::services::sts::Sts;
use crate::{Config, Shared};

pub(crate) const ACCOUNT: &str = "111111111111";

pub(crate) struct Harness {
    pub shared: Arc<Shared>,
    pub iam: Iam,
    pub sts: Sts,
}

impl Harness {
    pub fn new() -> Harness {
        let shared = Arc::new(Shared::new(Config {
            default_account_id: ACCOUNT.into(),
            ..Config::default()
        }));
        Harness {
            iam: Iam::new(shared.clone()),
            sts: Sts::new(shared.clone()),
            shared,
        }
    }

    pub fn root() -> Caller {
        Caller {
            access_key_id: "test".into(),
            account_id: ACCOUNT.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:root"),
            user_id: ACCOUNT.into(),
        }
    }

    /// The caller a key stands for, as the router resolves it (unknown keys: root).
    pub fn caller_for(&self, key: &str) -> Caller {
        self.shared
            .credentials
            .read()
            .get(key)
            .cloned()
            .unwrap_or_else(Harness::root)
    }

    pub fn call_as(
        &self,
        caller: Caller,
        service: &str,
        operation: &str,
        input: Value,
    ) -> Result<Value, crate::AwsError> {
        let ctx = RequestContext {
            service: if service == "sts" { "sts" } else { "iam" },
            operation: operation.to_string(),
            region: "us-east-1".into(),
            request_id: "test-request".into(),
            caller,
        };
        let handler: &dyn Service = if service == "sts" {
            &self.sts
        } else {
            &self.iam
        };
        block_on(handler.handle(&ctx, input))
    }

    pub fn iam(&self, operation: &str, input: Value) -> Result<Value, crate::AwsError> {
        self.call_as(Harness::root(), "iam", operation, input)
    }
}

/// Handlers never await anything, so one poll finishes them.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime builds")
        .block_on(future)
}

fn substitute(value: &Value, vars: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) if s.contains("${") => {
            let mut out = s.clone();
            for (name, v) in vars {
                out = out.replace(&format!("${{{name}}}"), v);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Does `actual` match `expected` (rules in the module docs)? Errors name the first mismatch.
fn matches(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    let fail = || Err(format!("at {at}: expected {expected}, got {actual}"));
    match expected {
        Value::String(s) if s == "<any>" => Ok(()),
        Value::String(s) if s == "<datetime>" => {
            let ok = actual.as_str().is_some_and(|a| {
                time::OffsetDateTime::parse(a, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            });
            if ok {
                Ok(())
            } else {
                fail()
            }
        }
        Value::String(s) if s.starts_with("<re:") && s.ends_with('>') => {
            let re =
                Regex::new(&format!("^(?:{})$", &s[4..s.len() - 1])).map_err(|e| e.to_string())?;
            if actual.as_str().is_some_and(|a| re.is_match(a)) {
                Ok(())
            } else {
                fail()
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("$urlencoded_json") => {
            let decoded = actual
                .as_str()
                .and_then(|a| percent_encoding::percent_decode_str(a).decode_utf8().ok())
                .and_then(|d| serde_json::from_str::<Value>(&d).ok());
            match decoded {
                Some(doc) => matches(&map["$urlencoded_json"], &doc, at),
                None => fail(),
            }
        }
        Value::Object(map) => {
            let Some(actual_map) = actual.as_object() else {
                return fail();
            };
            let mut expected_keys: Vec<&String> = map.keys().collect();
            let mut actual_keys: Vec<&String> = actual_map.keys().collect();
            expected_keys.sort();
            actual_keys.sort();
            if expected_keys != actual_keys {
                return Err(format!(
                    "at {at}: keys {expected_keys:?} expected, got {actual_keys:?} in {actual}"
                ));
            }
            for (k, v) in map {
                matches(v, &actual_map[k], &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(actual_items) = actual.as_array() else {
                return fail();
            };
            if items.len() != actual_items.len() {
                return fail();
            }
            for (i, (e, a)) in items.iter().zip(actual_items).enumerate() {
                matches(e, a, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        _ if expected == actual => Ok(()),
        _ => fail(),
    }
}

/// Run one case file; returns a description of the first failing step.
fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let harness = Harness::new();
    let mut vars: HashMap<String, String> =
        HashMap::from([("account".to_string(), ACCOUNT.to_string())]);
    let steps = case["steps"].as_array().ok_or("a case has a steps array")?;
    for (i, step) in steps.iter().enumerate() {
        let step = substitute(step, &vars);
        let op = step["op"].as_str().ok_or("a step has an op")?;
        let service = step["service"].as_str().unwrap_or("iam");
        let caller = match step["as_key"].as_str() {
            Some(key) => harness.caller_for(key),
            None => Harness::root(),
        };
        let input = step.get("input").cloned().unwrap_or_else(|| json!({}));
        let result = harness.call_as(caller, service, op, input);
        let label = format!("{} step {i} ({op})", path.display());
        match (&result, step.get("error")) {
            (Ok(out), None) => {
                if let Some(expected) = step.get("output") {
                    matches(expected, out, "").map_err(|e| format!("{label}: {e}"))?;
                }
                if let Some(Value::Object(saves)) = step.get("save") {
                    for (name, pointer) in saves {
                        let value = out
                            .pointer(pointer.as_str().unwrap_or_default())
                            .ok_or_else(|| format!("{label}: nothing at {pointer} to save"))?;
                        let value = value
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| value.to_string());
                        vars.insert(name.clone(), value);
                    }
                }
            }
            (Err(err), Some(expected)) => {
                let actual =
                    json!({"Code": err.code, "Message": err.message, "Status": err.status});
                matches(expected, &actual, "").map_err(|e| format!("{label}: {e}"))?;
            }
            (Ok(out), Some(_)) => return Err(format!("{label}: expected an error, got {out}")),
            (Err(err), None) => return Err(format!("{label}: unexpected error {err:?}")),
        }
    }
    Ok(())
}

#[test]
fn recorded_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut files = Vec::new();
    for service in ["iam", "sts"] {
        for entry in std::fs::read_dir(root.join(service)).expect("testdata folder exists") {
            let path = entry.expect("readable entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 15,
        "expected the case files, found {}",
        files.len()
    );
    let failures: Vec<String> = files.iter().filter_map(|f| run_case(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn matcher_rejects_extra_and_missing_keys() {
    assert!(matches(&json!({"a": 1}), &json!({"a": 1, "b": 2}), "").is_err());
    assert!(matches(&json!({"a": 1, "b": 2}), &json!({"a": 1}), "").is_err());
    assert!(matches(
        &json!({"a": "<re:AIDA[A-Z0-9]{17}>"}),
        &json!({"a": "AIDA123"}),
        ""
    )
    .is_err());
    assert!(matches(&json!({"d": "<datetime>"}), &json!({"d": "yesterday"}), "").is_err());
    assert!(matches(
        &json!({"$urlencoded_json": {"a": 1}}),
        &json!("%7B%22a%22%3A2%7D"),
        ""
    )
    .is_err());
    assert!(matches(
        &json!({"$urlencoded_json": {"a": 1}}),
        &json!("%7B%22a%22%3A1%7D"),
        ""
    )
    .is_ok());
}

#[test]
fn every_listed_operation_is_handled() {
    let harness = Harness::new();
    for (service, ops) in [
        ("iam", harness.iam.implemented_operations()),
        ("sts", harness.sts.implemented_operations()),
    ] {
        for op in ops {
            let result = harness.call_as(Harness::root(), service, op, json!({}));
            if let Err(err) = result {
                assert_ne!(
                    err.status, 501,
                    "{service} {op} is listed but not implemented"
                );
                assert!(err.status < 500, "{service} {op} with empty input: {err:?}");
            }
        }
    }
    let err = harness.iam("ListMFADevices", json!({})).unwrap_err();
    assert_eq!(err.status, 501);
}

#[test]
fn bad_input_types_never_panic() {
    let harness = Harness::new();
    let odd_inputs = [
        json!({"UserName": 5, "Tags": "x", "MaxItems": "many", "Marker": "zz"}),
        json!({"RoleName": ["a"], "AssumeRolePolicyDocument": {"not": "a string"}}),
        json!({"PolicyArn": "", "PolicyDocument": "", "Tags": [{"Key": 1}]}),
        json!(null),
    ];
    for op in harness
        .iam
        .implemented_operations()
        .iter()
        .chain(harness.sts.implemented_operations())
    {
        let service = if harness.sts.implemented_operations().contains(op) {
            "sts"
        } else {
            "iam"
        };
        for input in &odd_inputs {
            let _ = harness.call_as(Harness::root(), service, op, input.clone());
        }
    }
}

#[test]
fn concurrent_creates_of_one_name_have_exactly_one_winner() {
    let harness = Arc::new(Harness::new());
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let harness = harness.clone();
            std::thread::spawn(move || {
                harness
                    .iam("CreateUser", json!({"UserName": "racer"}))
                    .map_err(|e| (e.code, e.status))
            })
        })
        .collect();
    let results: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread ends"))
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for err in results.into_iter().filter_map(Result::err) {
        assert_eq!(err, ("EntityAlreadyExists".to_string(), 409));
    }
}

#[test]
fn pagination_walks_every_user_once() {
    let harness = Harness::new();
    for i in 0..25 {
        harness
            .iam("CreateUser", json!({"UserName": format!("user-{i:02}")}))
            .expect("created");
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"MaxItems": 10});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = harness.iam("ListUsers", input).expect("listed");
        for user in page["Users"].as_array().expect("users") {
            seen.push(user["UserName"].as_str().expect("name").to_string());
        }
        if page["IsTruncated"] == json!(true) {
            marker = Some(page["Marker"].as_str().expect("marker").to_string());
        } else {
            assert!(page.get("Marker").is_none());
            break;
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("user-{i:02}")).collect();
    assert_eq!(seen, expected);
    let err = harness
        .iam("ListUsers", json!({"Marker": "bogus"}))
        .unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("ValidationError", 400));
}

#[test]
fn state_is_per_account_and_reset_forgets_it() {
    let harness = Harness::new();
    harness
        .iam("CreateUser", json!({"UserName": "alice"}))
        .expect("created");
    let other = Caller {
        account_id: "222222222222".into(),
        arn: "arn:aws:iam::222222222222:root".into(),
        user_id: "222222222222".into(),
        access_key_id: "other".into(),
    };
    let err = harness
        .call_as(
            other.clone(),
            "iam",
            "GetUser",
            json!({"UserName": "alice"}),
        )
        .unwrap_err();
    assert_eq!(err.message, "The user with name alice cannot be found.");
    let key = harness
        .iam("CreateAccessKey", json!({"UserName": "alice"}))
        .expect("key");
    let key_id = key["AccessKey"]["AccessKeyId"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(harness.shared.credentials.read().contains_key(&key_id));
    harness.iam.reset();
    assert!(!harness.shared.credentials.read().contains_key(&key_id));
    assert_eq!(
        harness
            .iam("GetUser", json!({"UserName": "alice"}))
            .unwrap_err()
            .status,
        404
    );
}

#[test]
fn bundled_data_loads() {
    let catalog = super::aws_managed::catalog();
    for name in [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "PowerUserAccess",
        "IAMFullAccess",
        "AWSLambdaExecute",
        "AmazonS3ReadOnlyAccess",
    ] {
        assert!(
            catalog.contains_key(&format!("arn:aws:iam::aws:policy/{name}")),
            "{name}"
        );
    }
    assert!(
        catalog.contains_key("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    );
    for policy in catalog.values() {
        let doc = &policy.versions[0].document.text;
        assert!(
            serde_json::from_str::<Value>(doc).is_ok(),
            "{}",
            policy.name
        );
    }
}

//! Data-driven Lambda control-plane cases: every file in tests/lambda_cases/ is a sequence of
//! handler calls with the answers (or errors) AWS gives, taken from the recordings in
//! shared/aws-recordings-visible/lambda/.
//!
//! Step format: `{"op", "input", "expect"?, "error"?: {"code","message"?,"status"?,"body"?},
//! "capture"?: {"var": "/json/pointer"}, "sleep_ms"?}`, where an error's `body` is matched against
//! the JSON body the protocol layer sends. In inputs and expectations, `${var}` is replaced by captured values (plus `fn`, `fn2`, `account`, `region`), `{"$zip": {..}}` by a
//! base64 zip of those files. Expectations are partial: listed keys must match, `"<any>"`
//! matches any present value, `"<absent>"` requires the key to be missing.

mod lambda_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use lambda_support::*;
use paritytest_emulator::model::pinned;
use paritytest_emulator::protocol::rest_json;
use paritytest_emulator::{AwsError, Service};
use serde_json::{Map, Value};

fn substitute(v: &Value, vars: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => {
            let mut out = s.clone();
            for (k, val) in vars {
                out = out.replace(&format!("${{{k}}}"), val);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(m) => {
            if let Some(Value::Object(files)) = m.get("$zip") {
                let files: Vec<(String, String)> = files
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                let refs: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                return Value::String(zip_b64(&refs));
            }
            Value::Object(
                m.iter()
                    .map(|(k, x)| {
                        (
                            substitute(&Value::String(k.clone()), vars)
                                .as_str()
                                .unwrap()
                                .to_string(),
                            substitute(x, vars),
                        )
                    })
                    .collect::<Map<_, _>>(),
            )
        }
        other => other.clone(),
    }
}

/// Where `actual` differs from the partial `expected`, as a path and reason.
fn mismatch(expected: &Value, actual: Option<&Value>, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::String(s), Some(_)) if s == "<any>" => None,
        (Value::String(s), None) if s == "<absent>" => None,
        (Value::String(s), Some(a)) if s == "<absent>" => {
            Some(format!("{path}: expected absent, got {a}"))
        }
        (_, None) => Some(format!("{path}: missing, expected {expected}")),
        (Value::Object(e), Some(Value::Object(a))) => e
            .iter()
            .find_map(|(k, ev)| mismatch(ev, a.get(k), &format!("{path}.{k}"))),
        (Value::Array(e), Some(Value::Array(a))) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path}: expected {} items, got {}: {}",
                    e.len(),
                    a.len(),
                    Value::Array(a.clone())
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (ev, av))| mismatch(ev, Some(av), &format!("{path}[{i}]")))
        }
        (e, Some(a)) if e == a => None,
        (e, Some(a)) => Some(format!("{path}: expected {e}, got {a}")),
    }
}

/// The JSON body a client receives for `err` (what AWS's recordings show, after the protocol
/// layer has applied the error shape: message casing, `Type` defaulting or omission).
fn error_body(err: &AwsError) -> Result<Value, String> {
    let model = pinned("lambda").ok_or("no pinned lambda model")?.get();
    let wire = rest_json::serialize_error(model, err, "request-id");
    serde_json::from_slice(&wire.body).map_err(|e| format!("error body is not JSON: {e}"))
}

async fn run_case(file: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let l = lambda();
    let mut vars = BTreeMap::new();
    let uid = uuid::Uuid::new_v4().simple().to_string();
    vars.insert("fn".to_string(), format!("fn-{}", &uid[..8]));
    vars.insert("fn2".to_string(), format!("fn2-{}", &uid[..8]));
    vars.insert("account".to_string(), ACCOUNT.to_string());
    vars.insert("region".to_string(), REGION.to_string());
    vars.insert("role".to_string(), ROLE.to_string());
    let steps = case["steps"].as_array().ok_or("no steps")?;
    for (i, step) in steps.iter().enumerate() {
        if let Some(ms) = step["sleep_ms"].as_u64() {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let Some(op) = step["op"].as_str() else {
            continue;
        };
        let input = substitute(&step["input"], &vars);
        let at = format!("step {i} ({op})");
        // The HTTP path's entry point (it may answer shared, cached outputs).
        let result = l
            .handle_shared(&ctx(op), input)
            .await
            .map(Arc::unwrap_or_clone);
        match (result, step.get("error")) {
            (Ok(out), None) => {
                if let Some(exp) = step.get("expect") {
                    let exp = substitute(exp, &vars);
                    if let Some(m) = mismatch(&exp, Some(&out), "$") {
                        return Err(format!("{at}: {m}\nfull answer: {out}"));
                    }
                }
                if let Some(Value::Object(caps)) = step.get("capture") {
                    for (name, ptr) in caps {
                        let v = out
                            .pointer(ptr.as_str().unwrap_or_default())
                            .ok_or_else(|| format!("{at}: nothing at {ptr} to capture"))?;
                        let s = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        vars.insert(name.clone(), s);
                    }
                }
            }
            (Ok(out), Some(e)) => return Err(format!("{at}: expected error {e}, got {out}")),
            (Err(err), None) => return Err(format!("{at}: unexpected error {err:?}")),
            (Err(err), Some(e)) => {
                let e = substitute(e, &vars);
                if e["code"] != err.code.as_str() {
                    return Err(format!("{at}: expected {}, got {err:?}", e["code"]));
                }
                if let Some(m) = e["message"].as_str() {
                    if m != err.message {
                        return Err(format!(
                            "{at}: message\n  expected {m}\n  got      {}",
                            err.message
                        ));
                    }
                }
                if let Some(s) = e["status"].as_u64() {
                    if s != err.status as u64 {
                        return Err(format!("{at}: status {s} expected, got {}", err.status));
                    }
                }
                if let Some(body) = e.get("body") {
                    let wire = error_body(&err)?;
                    if let Some(m) = mismatch(body, Some(&wire), "body") {
                        return Err(format!("{at}: {m}\nfull body: {wire}"));
                    }
                }
            }
        }
    }
    Ok(steps.len())
}

#[tokio::test]
async fn lambda_control_plane_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lambda_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no case files in {}", dir.display());
    let mut failures = Vec::new();
    let mut total = 0;
    for f in &files {
        match run_case(f).await {
            Ok(n) => total += n,
            Err(e) => failures.push(format!("{}: {e}", f.file_name().unwrap().to_string_lossy())),
        }
    }
    println!(
        "{} case files, {total} steps passed",
        files.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing case files:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn state_is_per_account_and_region() {
    let l = lambda();
    let create = serde_json::json!({
        "FunctionName": "regional", "Runtime": "python3.12", "Role": ROLE, "Handler": "index.handler",
        "Code": {"ZipFile": zip_b64(&[("index.py", "")])},
    });
    l.handle(&ctx("CreateFunction"), create.clone())
        .await
        .unwrap();
    let get = serde_json::json!({"FunctionName": "regional"});
    assert!(l.handle(&ctx("GetFunction"), get.clone()).await.is_ok());
    let err = l
        .handle(&ctx_in("GetFunction", "eu-west-1"), get.clone())
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        format!("Function not found: arn:aws:lambda:eu-west-1:{ACCOUNT}:function:regional")
    );
    let mut other = ctx("GetFunction");
    other.caller.account_id = "222222222222".into();
    let err = l.handle(&other, get.clone()).await.unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    // The same name is free in another region.
    l.handle(&ctx_in("CreateFunction", "eu-west-1"), create)
        .await
        .unwrap();
    l.reset();
    assert!(
        l.handle(&ctx("GetFunction"), get).await.is_err(),
        "reset forgets everything"
    );
}

/// Bad input never panics: every implemented operation gets empty, mistyped and odd inputs and
/// must answer (an error is fine).
#[tokio::test(flavor = "multi_thread")]
async fn odd_inputs_never_panic() {
    let l = lambda();
    l.handle(
        &ctx("CreateFunction"),
        serde_json::json!({"FunctionName": "odd", "Runtime": "python3.12", "Role": ROLE,
            "Handler": "index.handler", "Code": {"ZipFile": zip_b64(&[("index.py", "")])}}),
    )
    .await
    .unwrap();
    let odd = [
        serde_json::json!({}),
        serde_json::json!({"FunctionName": "", "Qualifier": ""}),
        serde_json::json!({"FunctionName": 5, "Qualifier": [], "Name": {}, "Tags": "x", "Layers": "x"}),
        serde_json::json!({"FunctionName": "arn:aws:lambda:us-east-1:111111111111:function", "Qualifier": "$LATEST",
            "Layers": ["arn:aws:lambda:::awslayer:x"], "Arn": "arn:aws:lambda:::awslayer:x",
            "Resource": "arn:aws:lambda:us-east-1:111111111111:function:odd:1:2", "LayerName": "arn:aws:lambda:us-east-1:111111111111:layer:",
            "VersionNumber": -1, "UUID": "", "Code": {"ZipFile": "!!"}, "ZipFile": "", "Payload": "e30=",
            "RoutingConfig": {"AdditionalVersionWeights": {"": null}}, "Marker": "zz", "MaxItems": -5,
            "StatementId": "a", "Action": "*", "Principal": "", "AuthType": "NONE",
            "ProvisionedConcurrentExecutions": 1, "ReservedConcurrentExecutions": -1,
            "DestinationConfig": {"OnSuccess": {"Destination": "arn:"}}, "EventSourceArn": "arn",
            "CodeSigningConfigArn": "", "RecursiveLoop": 1, "UpdateRuntimeOn": "Manual", "TagKeys": [1, 2],
            "Environment": {"Variables": {"A": 1}}, "Architectures": [null], "Timeout": "x"}),
        serde_json::json!({"FunctionName": "odd", "Qualifier": "1", "Name": "a", "FunctionVersion": "$LATEST",
            "Resource": "arn:aws:lambda:us-east-1:111111111111:event-source-mapping:00000000-0000-0000-0000-000000000000",
            "LayerName": "l", "VersionNumber": 1, "InvocationType": "DryRun"}),
    ];
    for op in l.implemented_operations() {
        for input in &odd {
            // Answers vary; what matters is that there is one.
            let _ = l.handle(&ctx(op), input.clone()).await;
        }
    }
}

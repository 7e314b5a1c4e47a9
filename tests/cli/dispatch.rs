//! The SDK dispatch end to end: real SDK calls of each protocol (awsQuery: iam, sts,
//! cloudformation; restJson1: lambda) against a canned loopback server. The cases are data:
//! tests/cli/dispatch_cases/*.yaml, one call each with the canned response and what `call` must
//! return (or which error), plus what the request must have carried.

use crate::dispatch_server::{Canned, CannedServer};
use indexmap::IndexMap;
use paritytest::dispatch::{self, Clients, DispatchError};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    call: String,
    #[serde(default)]
    input: Value,
    response: Option<CannedSpec>,
    request: Option<RequestSpec>,
    expect: Option<Expect>,
    expect_error: Option<ExpectError>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CannedSpec {
    status: u16,
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default)]
    body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestSpec {
    method: Option<String>,
    path: Option<String>,
    #[serde(default)]
    body_contains: Vec<String>,
    body_json: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: u16,
    body: Value,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    datetimes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectError {
    kind: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    contains: Vec<String>,
}

fn kind(e: &DispatchError) -> &'static str {
    match e {
        DispatchError::UnknownService { .. } => "UnknownService",
        DispatchError::UnknownOperation { .. } => "UnknownOperation",
        DispatchError::Validation { .. } => "Validation",
        DispatchError::Unparseable { .. } => "Unparseable",
        DispatchError::Transport { .. } => "Transport",
    }
}

async fn clients(url: &str) -> Clients {
    Clients::new(&dispatch::endpoint_config(url, "us-east-1").await)
}

/// Runs one case; Err(description) on any mismatch.
async fn run_case(server: &CannedServer, case: Case) -> Result<(), String> {
    let (service, operation) = case
        .call
        .split_once('.')
        .ok_or("call must be service.Operation")?;
    let canned_headers: Vec<String> = case
        .response
        .as_ref()
        .map(|r| r.headers.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    if let Some(r) = &case.response {
        server.push(Canned {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: r.body.clone(),
        });
    }
    let result = dispatch::call(&clients(&server.url).await, service, operation, &case.input).await;
    let requests = server.take_requests();
    if let Some(spec) = &case.request {
        let req = requests.first().ok_or("no request reached the server")?;
        if let Some(m) = &spec.method {
            if &req.method != m {
                return Err(format!("request method {} != {m}", req.method));
            }
        }
        if let Some(p) = &spec.path {
            if &req.path != p {
                return Err(format!("request path {} != {p}", req.path));
            }
        }
        for s in &spec.body_contains {
            if !req.body.contains(s.as_str()) {
                return Err(format!("request body lacks {s:?}: {}", req.body));
            }
        }
        if let Some(want) = &spec.body_json {
            let got: Value = serde_json::from_str(&req.body)
                .map_err(|e| format!("request body is not JSON: {e}"))?;
            if &got != want {
                return Err(format!("request JSON {got} != {want}"));
            }
        }
    }
    match (result, case.expect, case.expect_error) {
        (Ok(mut outcome), Some(want), None) => {
            let meta = &mut outcome.body["ResponseMetadata"];
            // a 204 has no content-length (RFC 9110 §8.6), the one header the server always adds
            let captured_headers =
                meta["HTTPHeaders"]["content-length"].is_string() || want.status == 204;
            if meta["RetryAttempts"] != 0 || !captured_headers {
                return Err(format!(
                    "ResponseMetadata lacks RetryAttempts or captured headers: {meta}"
                ));
            }
            // keep only the headers the case controls (the server adds content-length)
            if let Some(Value::Object(h)) = meta.get_mut("HTTPHeaders") {
                h.retain(|k, _| canned_headers.contains(k));
            }
            if outcome.status != want.status {
                return Err(format!("status {} != {}", outcome.status, want.status));
            }
            if outcome.error_code != want.error_code {
                return Err(format!(
                    "error_code {:?} != {:?}",
                    outcome.error_code, want.error_code
                ));
            }
            if outcome.body != want.body {
                return Err(format!(
                    "body differs\n got: {}\nwant: {}",
                    serde_json::to_string_pretty(&outcome.body).unwrap_or_default(),
                    serde_json::to_string_pretty(&want.body).unwrap_or_default()
                ));
            }
            if outcome.datetimes != want.datetimes {
                return Err(format!(
                    "datetimes {:?} != {:?}",
                    outcome.datetimes, want.datetimes
                ));
            }
            Ok(())
        }
        (Err(e), None, Some(want)) => {
            let text = e.to_string();
            if kind(&e) != want.kind {
                return Err(format!("error kind {} != {}: {text}", kind(&e), want.kind));
            }
            if let (Some(p), DispatchError::Validation { path, .. }) = (&want.path, &e) {
                if p != path {
                    return Err(format!("validation path {path} != {p}: {text}"));
                }
            }
            for s in &want.contains {
                if !text.contains(s.as_str()) {
                    return Err(format!("error lacks {s:?}: {text}"));
                }
            }
            // validation happens before anything is sent
            if matches!(
                e,
                DispatchError::Validation { .. } | DispatchError::UnknownOperation { .. }
            ) && !requests.is_empty()
            {
                return Err(format!("a request was sent despite {text}"));
            }
            Ok(())
        }
        (Ok(outcome), _, Some(want)) => Err(format!(
            "expected a {} error, got {}",
            want.kind, outcome.body
        )),
        (Err(e), Some(_), _) => Err(format!("expected success, got {e}")),
        _ => Err("a case needs exactly one of expect / expect_error".into()),
    }
}

#[tokio::test]
async fn dispatch_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/dispatch_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cli/dispatch_cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the dispatch cases, found {}",
        files.len()
    );
    let server = CannedServer::start().await;
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(file).expect("readable case");
        let result = match serde_yaml::from_str::<Case>(&text) {
            Ok(case) => run_case(&server, case).await,
            Err(e) => Err(format!("bad case file: {e}")),
        };
        if let Err(e) = result {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn unreachable_target_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let clients = clients(&format!("http://127.0.0.1:{port}")).await;
    let e = dispatch::call(&clients, "sts", "GetCallerIdentity", &Value::Null)
        .await
        .expect_err("nothing listens there");
    assert_eq!(kind(&e), "Transport", "{e}");
    assert!(e.to_string().contains("sts.GetCallerIdentity"), "{e}");
}

#[tokio::test]
async fn missing_credentials_are_a_transport_error() {
    let server = CannedServer::start().await;
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .endpoint_url(&server.url)
        .http_client(dispatch::lite_http_client())
        .build();
    let e = dispatch::call(
        &Clients::new(&sdk),
        "sts",
        "GetCallerIdentity",
        &Value::Null,
    )
    .await
    .expect_err("no credentials to sign with");
    assert_eq!(kind(&e), "Transport", "{e}");
    assert!(e.to_string().contains("no identity resolver"), "{e}");
    assert!(
        server.take_requests().is_empty(),
        "nothing may be sent unsigned"
    );
}

#[test]
fn call_can_run_on_a_spawned_task() {
    fn spawnable<T: Send + 'static>(_: &T) {}
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let clients = Clients::new(&sdk);
    let input = Value::Null;
    let future = async move { dispatch::call(&clients, "sts", "GetCallerIdentity", &input).await };
    spawnable(&future);
}

#[test]
fn operations_and_left_out_are_listed() {
    let ops = dispatch::operations();
    let count = |s: &str| ops.iter().filter(|o| o.service == s).count();
    assert_eq!(
        (
            count("iam"),
            count("lambda"),
            count("cloudformation"),
            count("sts")
        ),
        (180, 87, 90, 11)
    );
    assert!(ops
        .iter()
        .any(|o| o.service == "iam" && o.name == "CreateSAMLProvider"));
    let stream = dispatch::left_out()
        .iter()
        .find(|(s, o, _)| *s == "lambda" && *o == "InvokeWithResponseStream")
        .expect("the event-stream operation is left out");
    assert!(stream.2.contains("event stream"), "{stream:?}");
    assert!(!ops.iter().any(|o| o.name == "InvokeWithResponseStream"));
}

#[test]
fn input_schemas_cover_every_operation() {
    let schemas: Value = serde_json::from_str(dispatch::INPUT_SCHEMAS).expect("valid JSON");
    let defs = schemas["definitions"].as_object().expect("definitions");
    let calls = schemas["call"]["enum"].as_array().expect("call enum");
    let docs = schemas["call"]["markdownEnumDescriptions"]
        .as_array()
        .expect("enum docs");
    assert_eq!(calls.len(), dispatch::operations().len());
    assert_eq!(docs.len(), calls.len());
    for op in dispatch::operations() {
        let id = format!("{}.{}", op.service, op.name);
        let def = defs
            .get(&id)
            .unwrap_or_else(|| panic!("no definition for {id}"));
        assert_eq!(def["additionalProperties"], false, "{id}");
        assert!(
            def["title"].is_string() && def["markdownDescription"].is_string(),
            "{id}"
        );
    }
    let create_user = &defs["iam.CreateUser"];
    assert_eq!(create_user["required"], serde_json::json!(["UserName"]));
    let tag_ref = create_user["properties"]["Tags"]["items"]["allOf"][0]["$ref"]
        .as_str()
        .expect("Tags items ref");
    let tag = defs
        .get(tag_ref.trim_start_matches("#/definitions/"))
        .expect("referenced definition exists");
    assert_eq!(tag["required"], serde_json::json!(["Key", "Value"]));
    // every $ref resolves
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&schemas, &mut all);
    for r in all {
        assert!(
            defs.contains_key(r.trim_start_matches("#/definitions/")),
            "dangling {r}"
        );
    }
    // docs are Markdown, not HTML
    let doc = create_user["markdownDescription"]
        .as_str()
        .unwrap_or_default();
    assert!(!doc.contains("<p>") && doc.contains("IAM"), "{doc}");
}

#[test]
fn validate_reports_the_operation_and_member_path() {
    let e = dispatch::validate(
        "iam",
        "CreateUser",
        &serde_json::json!({"UserName": "a", "Tags": [{"Key": "k"}]}),
    )
    .expect_err("Tags[0].Value is required");
    assert_eq!(
        e.to_string(),
        "invalid input for iam.CreateUser at Tags[0].Value: missing required member"
    );
    assert!(dispatch::validate("iam", "CreateUser", &serde_json::json!({"UserName": "a"})).is_ok());
    let e = dispatch::validate("lambdaa", "Invoke", &Value::Null).expect_err("unknown service");
    assert_eq!(
        e.to_string(),
        "unknown service \"lambdaa\" (did you mean lambda?)"
    );
}

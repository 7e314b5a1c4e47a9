//! Invoke through real runtime processes (python3 and node on this machine; see
//! scripts/setup-runtimes): results, errors, timeouts, logs, warm reuse, concurrency, versions,
//! layers, limits and cleanup.

mod lambda_support;

use std::time::{Duration, Instant};

use lambda_support::*;
use paritytest_emulator::services::lambda::Lambda;
use paritytest_emulator::Service;
use serde_json::{json, Value};

async fn create(
    l: &Lambda,
    name: &str,
    runtime: &str,
    handler: &str,
    files: &[(&str, &str)],
    extra: Value,
) {
    let mut input = json!({
        "FunctionName": name, "Runtime": runtime, "Role": ROLE, "Handler": handler,
        "Code": {"ZipFile": zip_b64(files)},
    });
    if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        i.extend(e.clone());
    }
    call(l, "CreateFunction", input).await.expect("create");
    wait_active(l, name).await;
}

async fn wait_active(l: &Lambda, name: &str) {
    for _ in 0..100 {
        let c = call(l, "GetFunctionConfiguration", json!({"FunctionName": name}))
            .await
            .unwrap();
        if c["State"] == "Active" && c["LastUpdateStatus"] == "Successful" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name} never became active");
}

async fn invoke(l: &Lambda, input: Value) -> Value {
    call(l, "Invoke", input).await.expect("invoke")
}

fn payload(out: &Value) -> Value {
    serde_json::from_str(&unb64(out["Payload"].as_str().expect("payload"))).expect("json payload")
}

fn uid(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

const ECHO_PY: &str = "def handler(event, context):\n    return event\n";

#[tokio::test(flavor = "multi_thread")]
async fn python_echo_and_context() {
    let l = lambda();
    let name = uid("py");
    let code = "import os\nCOUNT = 0\ndef handler(event, context):\n    global COUNT\n    COUNT += 1\n    return {'event': event, 'count': COUNT, 'pid': os.getpid(),\n      'request_id': context.aws_request_id, 'function_name': context.function_name,\n      'remaining': context.get_remaining_time_in_millis(), 'arn': context.invoked_function_arn,\n      'env': {k: os.environ.get(k) for k in ['AWS_LAMBDA_FUNCTION_NAME', '_HANDLER', 'AWS_REGION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'MY_VAR', 'AWS_EXECUTION_ENV']},\n      'runtime_api': os.environ.get('AWS_LAMBDA_RUNTIME_API'), 'task_root': os.environ.get('LAMBDA_TASK_ROOT'), 'cwd': os.getcwd(),\n      'file': __file__, 'private': sorted(k for k in os.environ if 'PARITYTEST' in k),\n      'keys': [os.environ.get(k) for k in ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']]}\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({"Environment": {"Variables": {"MY_VAR": "hello"}}, "MemorySize": 256, "Timeout": 7}),
    )
    .await;
    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"a": 1}"#)}),
    )
    .await;
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert!(out.get("FunctionError").is_none(), "{out}");
    let p = payload(&out);
    assert_eq!(p["event"], json!({"a": 1}));
    assert_eq!(p["count"], 1);
    assert_eq!(p["function_name"], name.as_str());
    assert_eq!(
        p["arn"],
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
    );
    let remaining = p["remaining"].as_i64().unwrap();
    assert!(
        remaining > 5000 && remaining <= 7000,
        "remaining {remaining}"
    );
    assert_eq!(
        p["env"],
        json!({
        "AWS_LAMBDA_FUNCTION_NAME": name, "_HANDLER": "index.handler", "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "MY_VAR": "hello", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"})
    );
    // The runtime got the real Runtime API address privately; the handler sees AWS's.
    assert_eq!(p["runtime_api"], "169.254.100.1:9001");
    assert_eq!(p["private"], json!([]));
    // Wherever the code is (/var/task when the machine allows AWS's layout), the variables
    // say where it really is.
    assert_eq!(p["cwd"], p["task_root"]);
    assert_eq!(
        p["file"],
        format!("{}/index.py", p["task_root"].as_str().unwrap())
    );
    // A role session, not the account id: temporary-key shaped and all three distinct.
    let keys: Vec<&str> = p["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        keys[0].starts_with("ASIA") && keys[0].len() == 20,
        "{keys:?}"
    );
    assert!(keys[1] != keys[2] && keys[1].len() == 40, "{keys:?}");
    assert!(uuid::Uuid::parse_str(p["request_id"].as_str().unwrap()).is_ok());

    // Warm: the same process serves the next call, module state kept.
    let second = payload(&invoke(&l, json!({"FunctionName": name, "Payload": b64("{}")})).await);
    assert_eq!(second["count"], 2);
    assert_eq!(second["pid"], p["pid"]);
    assert_ne!(second["request_id"], p["request_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn python_errors_timeouts_and_exits() {
    let l = lambda();
    let name = uid("pyerr");
    let code = "import sys, time\ndef handler(event, context):\n    mode = event.get('mode')\n    if mode == 'raise':\n        raise Exception('Handler fails')\n    if mode == 'sleep':\n        time.sleep(5)\n    if mode == 'exit0':\n        sys.exit(0)\n    if mode == 'exit3':\n        sys.exit(3)\n    if mode == 'unserializable':\n        return object()\n    return 'ok'\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({"Timeout": 1}),
    )
    .await;

    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"mode": "raise"}"#)}),
    )
    .await;
    assert_eq!(out["FunctionError"], "Unhandled");
    let p = payload(&out);
    assert_eq!(p["errorMessage"], "Handler fails");
    assert_eq!(p["errorType"], "Exception");
    let trace = p["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "only the user's frame: {trace:?}");
    assert!(trace[0]
        .as_str()
        .unwrap()
        .contains("raise Exception('Handler fails')"));
    assert!(uuid::Uuid::parse_str(p["requestId"].as_str().unwrap()).is_ok());

    // The environment survives a handler error.
    assert_eq!(
        payload(&invoke(&l, json!({"FunctionName": name, "Payload": b64("{}")})).await),
        json!("ok")
    );

    let started = Instant::now();
    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"mode": "sleep"}"#)}),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "timeout took {:?}",
        started.elapsed()
    );
    assert_eq!(out["FunctionError"], "Unhandled");
    let p = payload(&out);
    assert_eq!(p["errorType"], "Sandbox.Timedout");
    let msg = p["errorMessage"].as_str().unwrap();
    assert!(
        msg.starts_with("RequestId: ")
            && msg.ends_with(" Error: Task timed out after 1.00 seconds"),
        "{msg}"
    );
    // A fresh environment serves the next call.
    assert_eq!(
        payload(&invoke(&l, json!({"FunctionName": name, "Payload": b64("{}")})).await),
        json!("ok")
    );

    let p = payload(
        &invoke(
            &l,
            json!({"FunctionName": name, "Payload": b64(r#"{"mode": "exit0"}"#)}),
        )
        .await,
    );
    assert_eq!(p["errorType"], "Runtime.ExitError");
    assert!(p["errorMessage"]
        .as_str()
        .unwrap()
        .ends_with("Error: Runtime exited without providing a reason"));
    let p = payload(
        &invoke(
            &l,
            json!({"FunctionName": name, "Payload": b64(r#"{"mode": "exit3"}"#)}),
        )
        .await,
    );
    assert!(
        p["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Error: Runtime exited with error: exit status 3"),
        "{p}"
    );
    let p = payload(
        &invoke(
            &l,
            json!({"FunctionName": name, "Payload": b64(r#"{"mode": "unserializable"}"#)}),
        )
        .await,
    );
    assert_eq!(p["errorType"], "Runtime.MarshalError");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_init_errors() {
    let l = lambda();
    let name = uid("pyinit");
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", "raise Exception('Runtime startup fails')\n")],
        json!({}),
    )
    .await;
    let out = invoke(&l, json!({"FunctionName": name})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    let p = payload(&out);
    assert_eq!(p["errorMessage"], "Runtime startup fails");
    assert_eq!(p["errorType"], "Exception");
    assert_eq!(p["requestId"], "");
    let last = p["stackTrace"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(last.contains("index.py\", line 1, in <module>"), "{last}");

    let name = uid("pynohandler");
    create(
        &l,
        &name,
        "python3.12",
        "index.missing",
        &[("index.py", ECHO_PY)],
        json!({}),
    )
    .await;
    let p = payload(&invoke(&l, json!({"FunctionName": name})).await);
    assert_eq!(p["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        p["errorMessage"],
        "Handler 'missing' missing on module 'index'"
    );

    let name = uid("pynomodule");
    create(
        &l,
        &name,
        "python3.12",
        "nomodule.handler",
        &[("index.py", ECHO_PY)],
        json!({}),
    )
    .await;
    let p = payload(&invoke(&l, json!({"FunctionName": name})).await);
    assert_eq!(p["errorType"], "Runtime.ImportModuleError");
    assert_eq!(
        p["errorMessage"],
        "Unable to import module 'nomodule': No module named 'nomodule'"
    );
}

fn decode_log(out: &Value) -> String {
    unb64(out["LogResult"].as_str().expect("LogResult"))
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_logs() {
    let l = lambda();
    let name = uid("pylog");
    let code =
        "def handler(event, context):\n    print('hello from the handler')\n    return event\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let out = invoke(
        &l,
        json!({"FunctionName": name, "LogType": "Tail", "Payload": b64("{}")}),
    )
    .await;
    let log = decode_log(&out);
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[0].starts_with("START RequestId: ") && lines[0].ends_with(" Version: $LATEST"),
        "{log}"
    );
    assert!(log.contains("hello from the handler\n"), "{log}");
    assert!(
        lines.iter().any(|l| l.starts_with("END RequestId: ")),
        "{log}"
    );
    let report = lines.last().unwrap();
    assert!(
        report.starts_with("REPORT RequestId: ")
            && report.contains("\tDuration: ")
            && report.contains("\tMemory Size: 128 MB\t"),
        "{report}"
    );
    assert!(
        report.contains("Init Duration: "),
        "cold start reports init: {report}"
    );
    let warm = decode_log(&invoke(&l, json!({"FunctionName": name, "LogType": "Tail"})).await);
    assert!(!warm.contains("Init Duration"), "{warm}");
    // Without LogType there is no LogResult.
    assert!(invoke(&l, json!({"FunctionName": name}))
        .await
        .get("LogResult")
        .is_none());

    // Only the last 4 KB are returned.
    let name = uid("pylonglog");
    let code = "def handler(event, context):\n    for i in range(500):\n        print('line %04d of a long log' % i)\n    return 1\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let log = decode_log(&invoke(&l, json!({"FunctionName": name, "LogType": "Tail"})).await);
    assert!(log.len() <= 4096 && log.len() > 3500, "{}", log.len());
    assert!(log.contains("line 0499") && !log.contains("line 0001") && log.ends_with('\n'));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_invocations_use_separate_environments() {
    let l = lambda();
    let name = uid("pyconc");
    let code = "import os, time\ndef handler(event, context):\n    start = time.time()\n    time.sleep(0.6)\n    return [os.getpid(), start, time.time()]\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let (a, b) = tokio::join!(
        invoke(&l, json!({"FunctionName": name})),
        invoke(&l, json!({"FunctionName": name}))
    );
    let (a, b) = (payload(&a), payload(&b));
    assert_ne!(a[0], b[0], "two environments");
    // The handler runs overlapped: each started before the other ended (load-independent).
    let f = |v: &Value, i: usize| v[i].as_f64().unwrap();
    assert!(
        f(&a, 1) < f(&b, 2) && f(&b, 1) < f(&a, 2),
        "ran in parallel: {a} {b}"
    );
    assert!(l.idle_environments() >= 2);

    // Reserved concurrency 1: a second call while one runs is throttled as on AWS.
    call(
        &l,
        "PutFunctionConcurrency",
        json!({"FunctionName": name, "ReservedConcurrentExecutions": 1}),
    )
    .await
    .unwrap();
    let (a, b) = tokio::join!(call(&l, "Invoke", json!({"FunctionName": name})), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        call(&l, "Invoke", json!({"FunctionName": name})).await
    });
    assert!(a.is_ok());
    let err = b.unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.status),
        ("TooManyRequestsException", 429)
    );
    assert!(
        call(&l, "Invoke", json!({"FunctionName": name}))
            .await
            .is_ok(),
        "the slot is free again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn node_runtime() {
    let l = lambda();
    let name = uid("node");
    let code = "let count = 0;\nexports.handler = async (event, context) => {\n  count += 1;\n  if (event.fail) { throw new Error('some_error_msg'); }\n  console.log('node log line');\n  return { event, count, fn: context.functionName, rid: context.awsRequestId, mem: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE };\n};\n";
    create(
        &l,
        &name,
        "nodejs20.x",
        "index.handler",
        &[("index.js", code)],
        json!({}),
    )
    .await;
    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"x": 1}"#), "LogType": "Tail"}),
    )
    .await;
    assert!(out.get("FunctionError").is_none(), "{out}");
    let p = payload(&out);
    assert_eq!(p["event"], json!({"x": 1}));
    assert_eq!(p["fn"], name.as_str());
    assert_eq!(p["mem"], "128");
    assert!(decode_log(&out).contains("node log line"));
    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"fail": true}"#)}),
    )
    .await;
    assert_eq!(out["FunctionError"], "Unhandled");
    let p = payload(&out);
    assert_eq!(p["errorType"], "Error");
    assert_eq!(p["errorMessage"], "some_error_msg");
    assert!(p["trace"].as_array().unwrap()[0]
        .as_str()
        .unwrap()
        .starts_with("Error: some_error_msg"));
    assert_eq!(
        payload(&invoke(&l, json!({"FunctionName": name})).await)["count"],
        3
    );

    // ES modules and callback-style handlers.
    let name = uid("nodeesm");
    let code = "export const handler = (event, context, callback) => { callback(null, { esm: true, got: event }); };\n";
    create(
        &l,
        &name,
        "nodejs20.x",
        "app.handler",
        &[("app.mjs", code)],
        json!({}),
    )
    .await;
    let p = payload(&invoke(&l, json!({"FunctionName": name, "Payload": b64("[1,2]")})).await);
    assert_eq!(p, json!({"esm": true, "got": [1, 2]}));
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_aliases_and_qualifiers() {
    let l = lambda();
    let name = uid("pyver");
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", "def handler(e, c):\n    return 'v1'\n")],
        json!({"Publish": true}),
    )
    .await;
    call(&l, "UpdateFunctionCode", json!({"FunctionName": name, "ZipFile": zip_b64(&[("index.py", "def handler(e, c):\n    return 'v2'\n")])})).await.unwrap();
    wait_active(&l, &name).await;
    call(
        &l,
        "CreateAlias",
        json!({"FunctionName": name, "Name": "live", "FunctionVersion": "1"}),
    )
    .await
    .unwrap();

    let latest = invoke(&l, json!({"FunctionName": name})).await;
    assert_eq!(payload(&latest), json!("v2"));
    assert_eq!(latest["ExecutedVersion"], "$LATEST");
    let v1 = invoke(&l, json!({"FunctionName": name, "Qualifier": "1"})).await;
    assert_eq!(payload(&v1), json!("v1"));
    assert_eq!(v1["ExecutedVersion"], "1");
    let alias = invoke(
        &l,
        json!({"FunctionName": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:live")}),
    )
    .await;
    assert_eq!(payload(&alias), json!("v1"));
    assert_eq!(alias["ExecutedVersion"], "1");

    let err = call(
        &l,
        "Invoke",
        json!({"FunctionName": name, "Qualifier": "9"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(
        err.message,
        format!("Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:9")
    );
    let err = call(&l, "Invoke", json!({"FunctionName": "doesnotexist"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:doesnotexist:$LATEST"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn provisioned_qualifiers_run_in_provisioned_environments() {
    let l = lambda();
    let name = uid("pyprov");
    let init_type =
        "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", init_type)],
        json!({"Publish": true}),
    )
    .await;
    call(
        &l,
        "CreateAlias",
        json!({"FunctionName": name, "Name": "live", "FunctionVersion": "1"}),
    )
    .await
    .unwrap();
    // Warm an on-demand environment of version 1 first: it must not serve provisioned invokes.
    let before = invoke(&l, json!({"FunctionName": name, "Qualifier": "1"})).await;
    assert_eq!(payload(&before), json!("on-demand"));
    call(
        &l,
        "PutProvisionedConcurrencyConfig",
        json!({"FunctionName": name, "Qualifier": "live", "ProvisionedConcurrentExecutions": 1}),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for qualifier in ["live", "1"] {
        let out = invoke(&l, json!({"FunctionName": name, "Qualifier": qualifier})).await;
        assert_eq!(
            payload(&out),
            json!("provisioned-concurrency"),
            "{qualifier}"
        );
    }
    let latest = invoke(&l, json!({"FunctionName": name})).await;
    assert_eq!(payload(&latest), json!("on-demand"));
}

#[tokio::test(flavor = "multi_thread")]
async fn python_handlers_see_aws_sandbox_limits() {
    let l = lambda();
    let name = uid("pylimits");
    let limits = "import resource\ndef handler(e, c):\n    return [list(resource.getrlimit(getattr(resource, n))) for n in ('RLIMIT_NOFILE', 'RLIMIT_MEMLOCK')]\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", limits)],
        json!({}),
    )
    .await;
    let out = invoke(&l, json!({"FunctionName": name})).await;
    assert_eq!(payload(&out), json!([[1024, 1024], [65536, 65536]]));
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_up_to_six_mib_and_a_bit_come_back() {
    let l = lambda();
    let name = uid("pybig");
    let sized = "def handler(e, c):\n    return 'a' * e['n']\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", sized)],
        json!({}),
    )
    .await;
    let ok = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64("{\"n\": 6291456}")}),
    )
    .await;
    assert!(ok.get("FunctionError").is_none());
    assert_eq!(unb64(ok["Payload"].as_str().unwrap()).len(), 6_291_458);
    let over = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64("{\"n\": 6291560}")}),
    )
    .await;
    assert_eq!(over["FunctionError"], "Unhandled");
    assert_eq!(
        payload(&over)["errorMessage"],
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_exec_wrapper_fails_the_runtime() {
    let l = lambda();
    let name = uid("pywrap");
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", ECHO_PY)],
        json!({"Environment": {"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/idontexist.sh"}}}),
    )
    .await;
    let out = invoke(&l, json!({"FunctionName": name, "Payload": b64("{}")})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    let err = payload(&out);
    assert_eq!(err["errorType"], "Runtime.ExitError");
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("exit status 127"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invocation_types_limits_and_pending_state() {
    let l = lambda();
    let name = uid("pytypes");
    let code = "import os\ndef handler(event, context):\n    open(os.environ['MARK'], 'w').write('ran')\n    return None\n";
    let mark = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let mark_path = mark.to_str().unwrap().to_string();
    std::fs::remove_file(&mark_path).ok();
    call(&l, "CreateFunction", json!({"FunctionName": name, "Runtime": "python3.12", "Role": ROLE, "Handler": "index.handler",
        "Environment": {"Variables": {"MARK": mark_path}}, "Code": {"ZipFile": zip_b64(&[("index.py", code)])}})).await.unwrap();
    let err = call(&l, "Invoke", json!({"FunctionName": name}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "ResourceConflictException");
    assert_eq!(err.message, "The operation cannot be performed at this time. The function is currently in the following state: Pending");
    wait_active(&l, &name).await;

    assert_eq!(
        invoke(
            &l,
            json!({"FunctionName": name, "InvocationType": "DryRun"})
        )
        .await,
        json!({"StatusCode": 204})
    );
    assert!(
        !std::path::Path::new(&mark_path).exists(),
        "DryRun runs nothing"
    );
    assert_eq!(
        invoke(&l, json!({"FunctionName": name, "InvocationType": "Event"})).await,
        json!({"StatusCode": 202})
    );
    for _ in 0..200 {
        if std::path::Path::new(&mark_path).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        std::path::Path::new(&mark_path).exists(),
        "Event ran in the background"
    );
    let out = invoke(&l, json!({"FunctionName": name})).await;
    assert_eq!(unb64(out["Payload"].as_str().unwrap()), "null");

    let big = format!("\"{}\"", "a".repeat(6_291_456));
    let err = call(
        &l,
        "Invoke",
        json!({"FunctionName": name, "Payload": b64(&big)}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.status),
        ("RequestTooLargeException", 413)
    );
    let async_big = format!("\"{}\"", "a".repeat(262_144));
    let err = call(
        &l,
        "Invoke",
        json!({"FunctionName": name, "InvocationType": "Event", "Payload": b64(&async_big)}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "Request must be smaller than 262144 bytes for the InvokeFunction operation"
    );
    let err = call(
        &l,
        "Invoke",
        json!({"FunctionName": name, "Payload": b64("{not json")}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidRequestContentException");

    call(
        &l,
        "PutFunctionConcurrency",
        json!({"FunctionName": name, "ReservedConcurrentExecutions": 0}),
    )
    .await
    .unwrap();
    let err = call(&l, "Invoke", json!({"FunctionName": name}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("TooManyRequestsException", "Rate Exceeded.")
    );
    assert_eq!(
        err.fields["Reason"],
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn layers_are_on_the_import_path() {
    let l = lambda();
    let layer = call(
        &l,
        "PublishLayerVersion",
        json!({"LayerName": uid("layer"),
        "Content": {"ZipFile": zip_b64(&[("python/greeting.py", "WORD = 'from-layer'\n")])}}),
    )
    .await
    .unwrap();
    let name = uid("pylayer");
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[(
            "index.py",
            "import greeting\ndef handler(e, c):\n    return greeting.WORD\n",
        )],
        json!({"Layers": [layer["LayerVersionArn"]]}),
    )
    .await;
    assert_eq!(
        payload(&invoke(&l, json!({"FunctionName": name})).await),
        json!("from-layer")
    );
}

fn process_alive(pid: i64) -> bool {
    // A zombie (reaped later by tokio) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split_whitespace().nth(2) != Some("Z"))
        .unwrap_or(false)
}

async fn gone(pid: i64) -> bool {
    for _ in 0..100 {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn environments_end_on_update_delete_reset_and_drop() {
    let l = lambda();
    let name = uid("pypid");
    let code = "import os\ndef handler(e, c):\n    return os.getpid()\n";
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let pid = payload(&invoke(&l, json!({"FunctionName": name})).await)
        .as_i64()
        .unwrap();
    assert!(process_alive(pid));
    call(
        &l,
        "UpdateFunctionConfiguration",
        json!({"FunctionName": name, "Description": "changed"}),
    )
    .await
    .unwrap();
    assert!(gone(pid).await, "update ends the old environment");
    wait_active(&l, &name).await;

    let pid = payload(&invoke(&l, json!({"FunctionName": name})).await)
        .as_i64()
        .unwrap();
    call(&l, "DeleteFunction", json!({"FunctionName": name}))
        .await
        .unwrap();
    assert!(gone(pid).await, "delete ends the environment");

    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let pid = payload(&invoke(&l, json!({"FunctionName": name})).await)
        .as_i64()
        .unwrap();
    l.reset();
    assert!(gone(pid).await, "reset ends the environment");

    let l = lambda();
    create(
        &l,
        &name,
        "python3.12",
        "index.handler",
        &[("index.py", code)],
        json!({}),
    )
    .await;
    let pid = payload(&invoke(&l, json!({"FunctionName": name})).await)
        .as_i64()
        .unwrap();
    drop(l);
    assert!(gone(pid).await, "dropping the service ends the environment");
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_runtime_answers_clearly() {
    let l = lambda();
    let name = uid("java");
    create(
        &l,
        &name,
        "java21",
        "x.Handler::handle",
        &[("x.txt", "")],
        json!({}),
    )
    .await;
    let started = Instant::now();
    let out = invoke(&l, json!({"FunctionName": name})).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(out["FunctionError"], "Unhandled");
    let p = payload(&out);
    assert_eq!(p["errorType"], "Runtime.Unavailable");
    assert!(
        p["errorMessage"].as_str().unwrap().contains("java21"),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn node_layers_and_custom_runtime_bootstrap() {
    let l = lambda();
    let layer = call(&l, "PublishLayerVersion", json!({"LayerName": uid("nodelayer"),
        "Content": {"ZipFile": zip_b64(&[("nodejs/node_modules/greet/index.js", "module.exports = () => 'hi from layer';\n")])}})).await.unwrap();
    let name = uid("nodelayer-fn");
    create(
        &l,
        &name,
        "nodejs20.x",
        "index.handler",
        &[(
            "index.js",
            "const greet = require('greet');\nexports.handler = async () => greet();\n",
        )],
        json!({"Layers": [layer["LayerVersionArn"]]}),
    )
    .await;
    assert_eq!(
        payload(&invoke(&l, json!({"FunctionName": name})).await),
        json!("hi from layer")
    );

    // A provided.al2023 function brings its own bootstrap speaking the Runtime API (here a shell
    // script with curl): the emulator's Runtime API is the real protocol.
    let bootstrap = r#"#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\r' | cut -d' ' -f2)
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\"custom\": $EVENT}" > /dev/null
done
"#;
    let name = uid("custom");
    create(
        &l,
        &name,
        "provided.al2023",
        "unused",
        &[("bootstrap", bootstrap)],
        json!({}),
    )
    .await;
    let out = invoke(
        &l,
        json!({"FunctionName": name, "Payload": b64(r#"{"n": 1}"#)}),
    )
    .await;
    assert_eq!(payload(&out), json!({"custom": {"n": 1}}), "{out}");
}

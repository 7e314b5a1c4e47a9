//! Time to transform and verify 10 MB of responses (target: < 200 ms in release).
//! `cargo bench -p paritytest-snapshot` prints the figures.

use std::time::{Duration, Instant};

use paritytest_snapshot::{pyjson, Entry, Session, SessionOptions, TimestampSet, TransformerSpec};
use serde_json::{json, Value};

const TARGET_BYTES: usize = 10 * 1024 * 1024;

/// A Lambda GetFunction-like response, unique per `i`, in the shape the recordings show.
fn response(i: usize) -> Value {
    let name = format!("fn-bench-{i:05}-a1b2c3");
    json!({
        "Configuration": {
            "FunctionName": name,
            "FunctionArn": format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
            "Runtime": "python3.12",
            "Role": format!("arn:aws:iam::123456789012:role/lambda-role-{i:05}"),
            "Handler": "handler.handler",
            "CodeSize": 276 + i,
            "Description": format!("Function number {i} with a longer description text to pad"),
            "Timeout": 30,
            "MemorySize": 128,
            "LastModified": "2025-03-06T12:24:57.000+0000",
            "CodeSha256": format!("n0wHo+AbCdEf/{i:05}="),
            "Version": "$LATEST",
            "Environment": {"Variables": {"STAGE": "bench", "INDEX": i.to_string()}},
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": format!("3e4f5a6b-aaaa-bbbb-cccc-{i:012}"),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{name}")},
            "Layers": (0..3).map(|l| json!({
                "Arn": format!("arn:aws:lambda:us-east-1:123456789012:layer:layer-{l}:{i}"),
                "CodeSize": 1000 + l
            })).collect::<Vec<_>>(),
        },
        "Code": {
            "RepositoryType": "S3",
            "Location": format!("https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/snapshots/123456789012/{name}-0123?versionId=abc&X-Amz-Signature=0123456789abcdef")
        },
        "Tags": {"owner": "bench", "index": i.to_string()},
        "ResponseMetadata": {
            "RequestId": format!("7a8b9c0d-aaaa-bbbb-cccc-{i:012}"),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"content-type": "application/json", "content-length": "2048"},
            "RetryAttempts": 0
        }
    })
}

fn session() -> Session {
    let transformers: Vec<TransformerSpec> = serde_json::from_value(json!([
        {"preset": "lambda_api"},
        {"key_value": {"key": "CodeSha256", "replacement": "code-sha256"}}
    ]))
    .expect("bench transformers");
    let options = SessionOptions {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        timestamps: TimestampSet::Legacy,
        redact_secrets: true,
    };
    Session::new(transformers, options).expect("bench session")
}

fn main() {
    let mut responses = Vec::new();
    let mut bytes = 0;
    while bytes < TARGET_BYTES {
        let r = response(responses.len());
        bytes += pyjson::dumps_compact(&r).len();
        responses.push(r);
    }
    // One scenario matching every response, so references span the whole 10 MB.
    let mut s = session();
    for (i, r) in responses.iter().enumerate() {
        s.match_value(&format!("get-function-{i}"), r.clone(), &[])
            .expect("match");
    }
    let mut best_record = Duration::MAX;
    let mut best_verify = Duration::MAX;
    let mut content = None;
    for _ in 0..3 {
        let start = Instant::now();
        content = Some(s.recorded_content().expect("record"));
        best_record = best_record.min(start.elapsed());
    }
    let entry = Entry {
        recorded_date: "06-03-2025, 12:24:58".into(),
        recorded_content: content.expect("content"),
    };
    for _ in 0..3 {
        let start = Instant::now();
        let report = s
            .verify(&entry, &["$..Tags.index".to_string()])
            .expect("verify");
        best_verify = best_verify.min(start.elapsed());
        assert!(report.passed(), "{}", report.render(false));
    }
    println!(
        "transform+record {:.1} MB ({} responses): {:.1} ms; transform+verify: {:.1} ms",
        bytes as f64 / (1024.0 * 1024.0),
        responses.len(),
        best_record.as_secs_f64() * 1e3,
        best_verify.as_secs_f64() * 1e3
    );
}

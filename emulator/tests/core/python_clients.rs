//! The standalone emulator answers the AWS CLI and boto3 (from the .venv that
//! scripts/setup-test-env creates). Skips, saying so, when the .venv is missing.

use std::path::PathBuf;
use std::process::Command;

use paritytest_emulator::{Config, Emulator};
use serde_json::Value;

fn venv_bin(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.venv/bin")
        .join(name);
    path.exists().then_some(path)
}

/// A client process with test credentials and no host configuration leaking in.
fn client(program: &PathBuf) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn implemented(service: &str, operation: &str) -> bool {
    Emulator::implemented_operations()
        .iter()
        .any(|o| o.service == service && o.operation == operation && o.implemented)
}

const BOTO3_SCRIPT: &str = r#"
import json, sys, boto3, botocore.exceptions
url = sys.argv[1]
out = {}
def attempt(name, fn):
    try:
        r = fn()
        r.pop("ResponseMetadata", None)
        out[name] = {"ok": json.loads(json.dumps(r, default=str))}
    except botocore.exceptions.ClientError as e:
        out[name] = {"error": e.response["Error"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                     "request_id": e.response["ResponseMetadata"].get("RequestId")}
attempt("sts", lambda: boto3.client("sts", endpoint_url=url).get_caller_identity())
attempt("iam", lambda: boto3.client("iam", endpoint_url=url).get_user(UserName="nobody-here"))
attempt("lambda", lambda: boto3.client("lambda", endpoint_url=url).get_function(FunctionName="nobody-here"))
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_and_boto3_talk_to_the_emulator() {
    let (Some(python), Some(aws)) = (venv_bin("python"), venv_bin("aws")) else {
        eprintln!(
            "SKIPPED aws_cli_and_boto3_talk_to_the_emulator: no .venv (run scripts/setup-test-env)"
        );
        return;
    };
    let emu = Emulator::start(Config::default()).await.unwrap();
    let url = emu.url();

    let cli = {
        let (aws, url) = (aws.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            client(&aws)
                .args([
                    "--endpoint-url",
                    &url,
                    "--output",
                    "json",
                    "sts",
                    "get-caller-identity",
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let stdout = String::from_utf8_lossy(&cli.stdout);
    let stderr = String::from_utf8_lossy(&cli.stderr);
    if implemented("sts", "GetCallerIdentity") {
        assert!(cli.status.success(), "{stderr}");
        let v: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["Account"], "000000000000", "{v}");
    } else {
        assert!(!cli.status.success());
        assert!(
            stderr.contains("(NotImplemented)") && stderr.contains("GetCallerIdentity"),
            "{stderr}"
        );
    }

    let boto = tokio::task::spawn_blocking(move || {
        client(&python)
            .args(["-c", BOTO3_SCRIPT, &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        boto.status.success(),
        "{}",
        String::from_utf8_lossy(&boto.stderr)
    );
    let out: Value = serde_json::from_slice(&boto.stdout).unwrap();
    for (service, operation, not_found) in [
        ("sts", "GetCallerIdentity", None),
        ("iam", "GetUser", Some(("NoSuchEntity", 404))),
        (
            "lambda",
            "GetFunction",
            Some(("ResourceNotFoundException", 404)),
        ),
    ] {
        let r = &out[service];
        if !implemented(service, operation) {
            // boto3 parses the emulator's 501 in each protocol's error format.
            assert_eq!(r["status"], 501, "{service}: {r}");
            assert_eq!(r["error"]["Code"], "NotImplemented", "{service}: {r}");
            let msg = r["error"]["Message"].as_str().unwrap_or_default();
            assert!(
                msg.contains(operation) && msg.contains(service),
                "{service}: {r}"
            );
            assert!(
                r["request_id"].as_str().is_some_and(|id| id.len() == 36),
                "{service}: {r}"
            );
        } else if let Some((code, status)) = not_found {
            assert_eq!(
                (r["error"]["Code"].as_str(), r["status"].as_u64()),
                (Some(code), Some(status)),
                "{service}: {r}"
            );
        } else {
            assert_eq!(r["ok"]["Account"], "000000000000", "{service}: {r}");
        }
    }
    emu.shutdown().await;
}

//! End to end: the real aws-sdk-lambda against the bundled emulator, functions running as local
//! python processes.

use std::io::Write;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, InvocationType, LogType, Runtime, State};
use aws_smithy_http_client::{tls, Builder};
use base64::Engine;
use paritytest_emulator::{Config, Emulator};

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, content) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(content.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

async fn client(url: &str) -> aws_sdk_lambda::Client {
    let http = Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(url)
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(conf)
}

async fn wait_active(c: &aws_sdk_lambda::Client, name: &str) {
    for _ in 0..200 {
        let f = c.get_function().function_name(name).send().await.unwrap();
        let conf = f.configuration().unwrap();
        if conf.state() == Some(&State::Active)
            && conf.last_update_status().map(|s| s.as_str()) == Some("Successful")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name} never became active");
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_control_plane_and_invoke_through_the_sdk() {
    let emu = Emulator::start(Config::default()).await.expect("emulator");
    let c = client(&emu.url()).await;
    let name = format!("e2e-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let code = "import os\ndef handler(event, context):\n    print('got', event)\n    if event.get('fail'):\n        raise ValueError('boom')\n    return {'echo': event, 'version': context.function_version, 'pid': os.getpid()}\n";

    let created = c
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .role("arn:aws:iam::000000000000:role/lambda-role")
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip(&[("index.py", code)])))
                .build(),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(created.state(), Some(&State::Pending));
    assert_eq!(
        created.function_arn(),
        Some(format!("arn:aws:lambda:us-east-1:000000000000:function:{name}").as_str())
    );
    assert_eq!(created.memory_size(), Some(128));
    wait_active(&c, &name).await;

    let out = c
        .invoke()
        .function_name(&name)
        .payload(Blob::new(r#"{"a": 1}"#))
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.executed_version(), Some("$LATEST"));
    assert_eq!(out.function_error(), None);
    let payload: serde_json::Value =
        serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["echo"], serde_json::json!({"a": 1}));
    assert_eq!(payload["version"], "$LATEST");
    let pid = payload["pid"].as_i64().unwrap();
    let log = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(out.log_result().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(
        log.starts_with("START RequestId: ")
            && log.contains("got {'a': 1}")
            && log.contains("REPORT RequestId: "),
        "{log}"
    );

    let failed = c
        .invoke()
        .function_name(&name)
        .payload(Blob::new(r#"{"fail": true}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.function_error(), Some("Unhandled"));
    let err: serde_json::Value =
        serde_json::from_slice(failed.payload().unwrap().as_ref()).unwrap();
    assert_eq!(
        (err["errorType"].as_str(), err["errorMessage"].as_str()),
        (Some("ValueError"), Some("boom"))
    );

    let event = c
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::Event)
        .send()
        .await
        .unwrap();
    assert_eq!(event.status_code(), 202);
    let dry = c
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .unwrap();
    assert_eq!(dry.status_code(), 204);

    let v1 = c
        .publish_version()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.version(), Some("1"));
    c.create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    let via_alias = c
        .invoke()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(via_alias.executed_version(), Some("1"));

    c.add_permission()
        .function_name(&name)
        .statement_id("s3")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap();
    let policy = c.get_policy().function_name(&name).send().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        doc["Statement"][0]["Principal"]["Service"],
        "s3.amazonaws.com"
    );

    let missing = c
        .get_function()
        .function_name("does-not-exist")
        .send()
        .await
        .unwrap_err();
    let service_err = missing.into_service_error();
    assert!(
        service_err.is_resource_not_found_exception(),
        "{service_err:?}"
    );
    assert_eq!(
        service_err.meta().message(),
        Some("Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist")
    );

    c.delete_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let listed = c.list_functions().send().await.unwrap();
    assert!(listed
        .functions()
        .iter()
        .all(|f| f.function_name() != Some(name.as_str())));
    // A function still warm when the emulator stops must not outlive it.
    let keep = format!("keep-{name}");
    c.create_function()
        .function_name(&keep)
        .runtime(Runtime::Python312)
        .role("arn:aws:iam::000000000000:role/lambda-role")
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip(&[("index.py", code)])))
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_active(&c, &keep).await;
    let out = c
        .invoke()
        .function_name(&keep)
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    let warm: serde_json::Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    let warm_pid = warm["pid"].as_i64().unwrap();
    assert!(alive(warm_pid));
    assert!(
        !alive(pid) || pid == warm_pid,
        "deleted function's environment ended"
    );
    emu.shutdown().await;
    let mut ended = false;
    for _ in 0..100 {
        if !alive(warm_pid) {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(ended, "runtime process {warm_pid} outlived the emulator");
}

/// Running (zombies, reaped later, count as ended).
fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split_whitespace().nth(2) != Some("Z"))
        .unwrap_or(false)
}

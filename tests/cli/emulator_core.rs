//! The emulator core driven by the real Rust SDK: each protocol's answers (here the 501 of an
//! operation without a handler, and a success through STS when implemented) parse in the SDK.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_http_client::{tls, Builder};
use paritytest_emulator::{Config, Emulator};

async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    let http = Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

fn implemented(service: &str, operation: &str) -> bool {
    Emulator::implemented_operations()
        .iter()
        .any(|o| o.service == service && o.operation == operation && o.implemented)
}

#[tokio::test]
async fn the_rust_sdk_parses_the_emulator_answers() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let sdk = sdk_config(&emu.url()).await;

    let iam = aws_sdk_iam::Client::new(&sdk);
    let r = iam.get_user().user_name("nobody-here").send().await;
    let err = r.expect_err("no such user, or no handler");
    let status = err.raw_response().map(|r| r.status().as_u16());
    if implemented("iam", "GetUser") {
        assert_eq!(
            (err.code(), status),
            (Some("NoSuchEntity"), Some(404)),
            "{err:?}"
        );
    } else {
        assert_eq!(
            (err.code(), status),
            (Some("NotImplemented"), Some(501)),
            "{err:?}"
        );
        assert!(
            err.message().unwrap_or_default().contains("GetUser"),
            "{err:?}"
        );
    }

    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let err = lambda
        .get_function()
        .function_name("nobody-here")
        .send()
        .await
        .expect_err("no such function, or no handler");
    let status = err.raw_response().map(|r| r.status().as_u16());
    if implemented("lambda", "GetFunction") {
        assert_eq!(
            (err.code(), status),
            (Some("ResourceNotFoundException"), Some(404)),
            "{err:?}"
        );
    } else {
        assert_eq!(
            (err.code(), status),
            (Some("NotImplemented"), Some(501)),
            "{err:?}"
        );
    }

    let sts = aws_sdk_sts::Client::new(&sdk);
    let r = sts.get_caller_identity().send().await;
    if implemented("sts", "GetCallerIdentity") {
        let out = r.expect("GetCallerIdentity");
        assert_eq!(out.account(), Some("000000000000"));
    } else {
        let err = r.expect_err("no handler");
        assert_eq!(err.code(), Some("NotImplemented"), "{err:?}");
    }
    emu.shutdown().await;
}

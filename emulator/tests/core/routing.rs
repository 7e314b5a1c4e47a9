//! Routing, the awsQuery and restJson1 wire formats, and error shapes, over real HTTP.

use paritytest_emulator::{Config, Emulator};

use crate::client::{query, request, sigv4};
use crate::fake;

async fn fake_server(config: Config) -> paritytest_emulator::RunningEmulator {
    fake::emulator(config).serve().await.expect("start")
}

fn text_between<'a>(body: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = body.find(open)? + open.len();
    let end = body[start..].find(close)? + start;
    Some(&body[start..end])
}

#[tokio::test]
async fn aws_query_success_is_model_shaped_xml_with_request_id() {
    let emu = fake_server(Config::default()).await;
    let r = query(
        emu.addr(),
        "iam",
        "test",
        "Action=GetUser&Version=2010-05-08&UserName=alice",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/xml"));
    let body = r.text();
    assert!(body.starts_with("<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User>"), "{body}");
    assert!(body.contains("<UserName>alice</UserName>"), "{body}");
    assert!(
        body.contains("<Arn>arn:aws:iam::000000000000:user/alice</Arn>"),
        "{body}"
    );
    assert!(
        body.contains("<Tags><member><Key>k</Key><Value>v &lt;&amp;&gt;</Value></member></Tags>"),
        "{body}"
    );
    assert!(
        body.contains("<CreateDate>2024-05-01T12:00:00Z</CreateDate>"),
        "{body}"
    );
    let id = text_between(&body, "<RequestId>", "</RequestId>").expect("request id");
    assert_eq!(r.header("x-amzn-RequestId"), Some(id));
    assert!(
        body.ends_with("</ResponseMetadata></GetUserResponse>"),
        "{body}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn aws_query_errors_carry_type_code_message_and_status() {
    let emu = fake_server(Config::default()).await;
    let r = query(
        emu.addr(),
        "iam",
        "test",
        "Action=GetUser&Version=2010-05-08&UserName=missing",
    )
    .await;
    assert_eq!(r.status, 404);
    let body = r.text();
    assert!(body.starts_with("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name missing cannot be found.</Message></Error><RequestId>"), "{body}");
    assert_eq!(
        r.header("x-amzn-RequestId"),
        text_between(&body, "<RequestId>", "</RequestId>")
    );

    let r = query(
        emu.addr(),
        "iam",
        "test",
        "Action=NoSuchThing&Version=2010-05-08",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Code>InvalidAction</Code>"),
        "{}",
        r.text()
    );
    let r = query(emu.addr(), "iam", "test", "Version=2010-05-08").await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Code>MissingAction</Code>"),
        "{}",
        r.text()
    );
    // Malformed scalar values answer a validation error, never a crash.
    let r = query(emu.addr(), "iam", "test", "Action=ListUsers&MaxItems=lots").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("<Code>ValidationError</Code>"),
        "{}",
        r.text()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn accounts_come_from_the_access_key_and_region_from_the_scope() {
    let emu = fake_server(Config {
        default_account_id: "123456789012".into(),
        ..Config::default()
    })
    .await;
    for (key, account) in [("test", "123456789012"), ("111122223333", "111122223333")] {
        let r = query(
            emu.addr(),
            "sts",
            key,
            "Action=GetCallerIdentity&Version=2011-06-15",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.text();
        assert!(
            body.contains(&format!("<Account>{account}</Account>")),
            "{body}"
        );
        assert!(
            body.contains(&format!("<Arn>arn:aws:iam::{account}:root</Arn>")),
            "{body}"
        );
        assert!(
            body.contains("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""),
            "{body}"
        );
    }
    // Unsigned: routed by the Action to STS.
    let headers = vec![(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    let r = request(
        emu.addr(),
        "POST",
        "/",
        &headers,
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<GetCallerIdentityResult>"));
    // Routed by host name when unsigned and ambiguous-free.
    let headers = vec![("Host".to_string(), "iam.amazonaws.com".to_string())];
    let r = request(
        emu.addr(),
        "POST",
        "/?Action=GetUser&UserName=bob",
        &headers,
        b"",
    )
    .await;
    assert!(
        r.text().contains("<UserName>bob</UserName>"),
        "{}",
        r.text()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn rest_json_binds_labels_payload_headers_and_status() {
    let emu = fake_server(Config::default()).await;
    let auth = vec![sigv4("test", "eu-west-1", "lambda")];
    let r = request(
        emu.addr(),
        "POST",
        "/2015-03-31/functions/my%3Afn/invocations?Qualifier=1",
        &auth,
        b"\x00raw\xffbytes",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, b"\x00raw\xffbytes");
    assert_eq!(r.header("X-Amz-Executed-Version"), Some("$LATEST"));
    assert_eq!(r.header("X-Amz-Function-Error"), Some("my:fn"));
    assert!(r.header("x-amzn-RequestId").is_some());

    let r = request(emu.addr(), "GET", "/2015-03-31/functions/nope", &auth, b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("ResourceNotFoundException")
    );
    assert_eq!(
        r.json(),
        serde_json::json!({"Type": "User", "Message": "Function not found: nope"})
    );

    let r = request(
        emu.addr(),
        "GET",
        "/2018-10-31/layers?find=LayerVersion&Arn=arn%3Ax",
        &auth,
        b"",
    )
    .await;
    assert_eq!(r.json(), serde_json::json!({"LayerVersionArn": "arn:x"}));
    let r = request(
        emu.addr(),
        "GET",
        "/2015-03-31/functions?Marker=m1",
        &auth,
        b"",
    )
    .await;
    assert_eq!(
        r.json(),
        serde_json::json!({"Functions": [], "NextMarker": "m1"})
    );

    let json_ct = vec![
        sigv4("test", "eu-west-1", "lambda"),
        ("Content-Type".into(), "application/json".into()),
    ];
    let r = request(
        emu.addr(),
        "POST",
        "/2015-03-31/functions",
        &json_ct,
        b"{not json",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("InvalidRequestContentException")
    );
    let r = request(emu.addr(), "GET", "/2015-03-31/nothing-here", &auth, b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("UnknownOperationException")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let emu = fake_server(Config::default()).await;
    let r = query(emu.addr(), "iam", "test", "Action=DeleteUser&UserName=x").await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(
        r.text()
            .contains("<Type>Receiver</Type><Code>InternalFailure</Code>"),
        "{}",
        r.text()
    );
    let r = query(emu.addr(), "iam", "test", "Action=GetUser&UserName=x").await;
    assert_eq!(r.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn only_declared_operations_reach_the_handler() {
    let emu = fake_server(Config::default()).await;
    let r = query(emu.addr(), "iam", "test", "Action=TagUser&UserName=x").await;
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(
        r.text().contains("<Code>NotImplemented</Code>"),
        "{}",
        r.text()
    );
    let ctx = emu.context("test", "us-east-1");
    let err = emu
        .call(&ctx, "iam", "TagUser", serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("NotImplemented", 501));
    emu.shutdown().await;
}

#[tokio::test]
async fn in_process_calls_reach_the_same_handlers() {
    let emu = fake_server(Config::default()).await;
    let ctx = emu.context("111122223333", "eu-west-1");
    assert_eq!(
        (ctx.account_id(), ctx.region.as_str()),
        ("111122223333", "eu-west-1")
    );
    let err = emu
        .call(&ctx, "iam", "NotAnOperation", serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidAction");
    let ok = emu
        .call(&ctx, "iam", "GetUser", serde_json::json!({"UserName": "x"}))
        .await
        .unwrap();
    assert_eq!(ok["User"]["UserName"], "x");
    assert_eq!(ok["User"]["Arn"], "arn:aws:iam::111122223333:user/x");
    let err = emu
        .call(
            &ctx,
            "iam",
            "GetUser",
            serde_json::json!({"UserName": "missing"}),
        )
        .await
        .unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("NoSuchEntity", 404));
    emu.shutdown().await;
}

#[tokio::test]
async fn every_operation_of_every_model_is_routed_to_a_501_until_implemented() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let ops = Emulator::implemented_operations();
    assert!(ops.len() > 350, "{}", ops.len());
    for op in &ops {
        let model = paritytest_emulator::model::pinned(op.service)
            .unwrap()
            .get();
        let r = match model.protocol {
            paritytest_emulator::model::Protocol::Query => {
                let form = format!(
                    "Action={}&Version={}",
                    op.operation, model.metadata.api_version
                );
                query(emu.addr(), op.service, "test", &form).await
            }
            paritytest_emulator::model::Protocol::RestJson => {
                let http = &model.operation(&op.operation).unwrap().http;
                let uri = fill_labels(&http.request_uri);
                let headers = vec![sigv4("test", "us-east-1", op.service)];
                request(emu.addr(), &http.method, &uri, &headers, b"").await
            }
        };
        if op.implemented {
            assert_ne!(r.status, 501, "{op:?}");
            continue;
        }
        assert_eq!(r.status, 501, "{op:?}: {}", r.text());
        let body = r.text();
        let code_named = body.contains("<Code>NotImplemented</Code>")
            || r.header("x-amzn-ErrorType") == Some("NotImplemented");
        assert!(code_named, "{op:?}: {body}");
        assert!(
            body.contains(&format!(
                "operation {} of service {}",
                op.operation, op.service
            )),
            "{op:?} routed elsewhere: {body}"
        );
    }
    emu.shutdown().await;
}

/// A concrete URI for a template: every label filled, query literals kept.
fn fill_labels(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push('1');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn admin_endpoints_answer_like_localstack_and_moto() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let r = request(emu.addr(), "GET", "/_localstack/health", &[], b"").await;
    assert_eq!(r.status, 200);
    let health = r.json();
    for s in ["iam", "sts", "lambda", "cloudformation"] {
        assert_eq!(health["services"][s], "available", "{health}");
    }
    let r = request(emu.addr(), "POST", "/_localstack/state/reset", &[], b"").await;
    assert_eq!(r.status, 200);
    let r = request(emu.addr(), "POST", "/moto-api/reset", &[], b"").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"status": "ok"}))
    );
    let r = request(emu.addr(), "GET", "/_localstack/nothing", &[], b"").await;
    assert_eq!(r.status, 404);
    emu.shutdown().await;
}

#[test]
fn loopback_detection() {
    for h in ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"] {
        assert!(paritytest_emulator::is_loopback(h), "{h}");
    }
    for h in ["0.0.0.0", "192.168.1.10", "::", "example.com"] {
        assert!(!paritytest_emulator::is_loopback(h), "{h}");
    }
}

#[test]
fn no_content_answers_have_no_body() {
    // RemovePermission is a 204 operation.
    let model = paritytest_emulator::model::pinned("lambda").unwrap().get();
    let op = model.operation("RemovePermission").unwrap();
    let r =
        paritytest_emulator::protocol::serialize_response(model, op, &serde_json::json!({}), "id");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.header("x-amzn-RequestId"), Some("id"));
}

#[test]
fn error_shape_names_become_wire_codes() {
    let model = paritytest_emulator::model::pinned("iam").unwrap().get();
    assert_eq!(
        model.wire_error_code("NoSuchEntityException"),
        "NoSuchEntity"
    );
    assert_eq!(model.wire_error_code("NoSuchEntity"), "NoSuchEntity");
    assert_eq!(model.wire_error_code("SomethingElse"), "SomethingElse");
    let err = paritytest_emulator::AwsError::new("EntityAlreadyExistsException", "exists", 409);
    let r = paritytest_emulator::protocol::serialize_error(model, &err, "id");
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.contains("<Code>EntityAlreadyExists</Code>"), "{body}");
}

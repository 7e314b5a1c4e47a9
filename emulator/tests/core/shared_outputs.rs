//! Outputs a service keeps and shares (Lambda's cached GetFunction) and their cached wire
//! responses: over HTTP, every answer must still be fresh and carry its own request id.

use std::io::Write;

use base64::Engine;
use paritytest_emulator::{Config, Emulator};

use crate::client::{request, sigv4, Reply};

fn zip_b64() -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("index.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"def handler(e, c):\n    return e\n").unwrap();
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

async fn lambda(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    let headers = vec![
        sigv4("AKIDEXAMPLE", "us-east-1", "lambda"),
        ("Content-Type".into(), "application/json".into()),
    ];
    request(addr, method, path, &headers, body.as_bytes()).await
}

#[tokio::test]
async fn get_function_over_http_stays_fresh_and_per_request() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    let addr = emu.addr();
    let create = serde_json::json!({
        "FunctionName": "shared", "Runtime": "python3.12", "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/r", "Code": {"ZipFile": zip_b64()},
    });
    let r = lambda(addr, "POST", "/2015-03-31/functions", &create.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.text());

    let path = "/2015-03-31/functions/shared";
    let first = lambda(addr, "GET", path, "").await;
    let second = lambda(addr, "GET", path, "").await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body, second.body);
    let (id1, id2) = (
        first.header("x-amzn-RequestId").unwrap(),
        second.header("x-amzn-RequestId").unwrap(),
    );
    assert_ne!(id1, id2, "a cached response must not repeat the request id");
    assert!(first.json().get("Tags").is_none());

    // Another qualifier is another answer, even right after the unqualified one.
    let qualified = lambda(addr, "GET", &format!("{path}?Qualifier=%24LATEST"), "").await;
    assert!(qualified.json()["Configuration"]["FunctionArn"]
        .as_str()
        .unwrap()
        .ends_with(":shared:$LATEST"));
    assert!(
        lambda(addr, "GET", path, "").await.json()["Configuration"]["FunctionArn"]
            .as_str()
            .unwrap()
            .ends_with(":shared")
    );

    // A change between two reads shows in the second.
    let arn = first.json()["Configuration"]["FunctionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let r = lambda(
        addr,
        "POST",
        &format!("/2017-03-31/tags/{arn}"),
        r#"{"Tags": {"team": "a"}}"#,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let tagged = lambda(addr, "GET", path, "").await.json();
    assert_eq!(tagged["Tags"], serde_json::json!({"team": "a"}));
}

//! Shared helpers for the Lambda handler tests: a Lambda service without the HTTP layer, request
//! contexts, and deployment zips.

#![allow(dead_code)]

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use paritytest_emulator::services::lambda::Lambda;
use paritytest_emulator::{AwsError, Caller, Config, RequestContext, Service, Shared};
use serde_json::Value;

pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";
pub const ROLE: &str = "arn:aws:iam::111111111111:role/lambda-role";

pub fn lambda() -> Lambda {
    Lambda::new(Arc::new(Shared::new(Config::default())))
}

pub fn ctx(operation: &str) -> RequestContext {
    ctx_in(operation, REGION)
}

pub fn ctx_in(operation: &str, region: &str) -> RequestContext {
    RequestContext {
        service: "lambda",
        operation: operation.to_string(),
        region: region.to_string(),
        request_id: uuid::Uuid::new_v4().to_string(),
        caller: Caller {
            access_key_id: ACCOUNT.into(),
            account_id: ACCOUNT.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:root"),
            user_id: ACCOUNT.into(),
        },
    }
}

pub async fn call(l: &Lambda, op: &str, input: Value) -> Result<Value, AwsError> {
    l.handle(&ctx(op), input).await
}

/// A zip with the given (name, content) files.
pub fn zip_bytes(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o755);
        for (name, content) in files {
            w.start_file(*name, opts).expect("zip entry");
            w.write_all(content.as_bytes()).expect("zip write");
        }
        w.finish().expect("zip finish");
    }
    buf.into_inner()
}

pub fn zip_b64(files: &[(&str, &str)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(zip_bytes(files))
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub fn unb64(s: &str) -> String {
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("base64"),
    )
    .expect("utf-8")
}

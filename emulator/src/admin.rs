//! The harness endpoints other emulators expose, at their paths: LocalStack's health and state
//! reset, moto's server-mode reset. Testcontainers setups and server-mode suites use them as is.

use serde_json::{json, Map, Value};

use crate::protocol::HttpResponse;
use crate::Emulator;

fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// Whether a path belongs to the admin endpoints (they never reach the services).
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/_localstack/") || path.starts_with("/moto-api/")
}

/// Answer an admin request.
pub fn handle(emulator: &Emulator, method: &str, path: &str) -> HttpResponse {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    match (method, path) {
        ("GET" | "HEAD", "/_localstack/health") => {
            let services: Map<String, Value> = emulator
                .service_names()
                .map(|s| (s.to_string(), Value::from("available")))
                .collect();
            json_response(
                200,
                json!({
                    "services": services,
                    "edition": "community",
                    "version": concat!("paritytest-", env!("CARGO_PKG_VERSION")),
                }),
            )
        }
        ("POST", "/_localstack/state/reset") => {
            emulator.reset();
            json_response(200, json!({}))
        }
        ("POST", "/moto-api/reset") => {
            emulator.reset();
            json_response(200, json!({"status": "ok"}))
        }
        _ => json_response(
            404,
            json!({"error": format!("no admin endpoint {method} {path}")}),
        ),
    }
}

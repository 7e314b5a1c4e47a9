//! Request routing and parsing against the pinned models, case by case from tests/requests/:
//! each case names the wire request, the operation it must route to and the handler input.

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use paritytest_emulator::identity::CredentialScope;
use paritytest_emulator::protocol::{self, HttpRequest};
use paritytest_emulator::router::{Decision, Router};
use paritytest_emulator::services;
use paritytest_emulator::{Config, Shared};
use serde_json::Value;

#[test]
fn requests_route_and_parse_per_the_pinned_models() {
    let shared = std::sync::Arc::new(Shared::new(Config::default()));
    let router = Router::new(services::all(&shared));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/requests");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{cases:?}");
    for path in cases {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut headers = HeaderMap::new();
        for (k, v) in case["headers"].as_object().unwrap() {
            headers.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v.as_str().unwrap()).unwrap(),
            );
        }
        let uri = case["uri"].as_str().unwrap();
        let (path_part, query) = uri.split_once('?').unwrap_or((uri, ""));
        let req = HttpRequest {
            method: case["method"].as_str().unwrap(),
            path: path_part,
            query,
            headers: &headers,
            body: case["body"].as_str().unwrap().as_bytes(),
        };
        let scope = CredentialScope::from_request(&headers, query);
        let Decision::Operation { route, op, .. } = router.decide(scope.as_ref(), &req) else {
            panic!("{name}: not routed to an operation");
        };
        assert_eq!(
            (route.name, op.name.as_str()),
            (
                case["service"].as_str().unwrap(),
                case["operation"].as_str().unwrap()
            ),
            "{name}"
        );
        let input = protocol::parse_request(route.model(), op, &req)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(input, case["input"], "{name}");
    }
}

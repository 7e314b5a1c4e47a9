//! Compacts the pinned service models for embedding: the documentation strings (most of each
//! file) are dropped, so the binary is smaller and the first request of a service parses a
//! fraction of the JSON. The models themselves (models/) are never edited.

use std::path::PathBuf;

use serde_json::Value;

const SERVICES: [&str; 4] = ["iam", "sts", "lambda", "cloudformation"];

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("documentation");
            map.remove("documentationUrl");
            for v in map.values_mut() {
                strip(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    for service in SERVICES {
        let source = manifest.join(format!("../models/{service}/service-2.json"));
        println!("cargo:rerun-if-changed={}", source.display());
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
        let mut model: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", source.display()));
        strip(&mut model);
        let compact = serde_json::to_string(&model).expect("a JSON value serializes");
        std::fs::write(out.join(format!("{service}.json")), compact)
            .unwrap_or_else(|e| panic!("cannot write the compact {service} model: {e}"));
    }
}

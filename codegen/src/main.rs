//! paritytest-codegen: generates the SDK dispatch and the input schemas from the pinned botocore
//! models (models/) and the SDK crates locked in Cargo.lock.
//!
//! Usage: `cargo run -p paritytest-codegen [-- --out DIR]` (DIR defaults to the workspace root;
//! files go to DIR/src/dispatch/generated/). scripts/check-generated regenerates into a temporary
//! directory and compares.

mod docs;
mod emit_json;
mod emit_rust;
mod model;
mod naming;
mod plan;
mod sdk_index;

use std::path::{Path, PathBuf};

/// Services, in the order they are listed everywhere.
const SERVICES: [&str; 4] = ["iam", "lambda", "cloudformation", "sts"];

fn main() {
    if let Err(e) = run() {
        eprintln!("paritytest-codegen: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no workspace root")?;
    let mut out_root = root.clone();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out_root = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "-h" | "--help" => {
                println!("usage: paritytest-codegen [--out DIR]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let botocore = std::fs::read_to_string(root.join("models/VERSION"))
        .map_err(|e| format!("models/VERSION: {e}"))?
        .trim()
        .to_string();
    let crate_names: Vec<String> = SERVICES.iter().map(|s| format!("aws-sdk-{s}")).collect();
    let names: Vec<&str> = crate_names.iter().map(String::as_str).collect();
    let crates = sdk_index::locate_crates(&root, &names)?;

    let mut services = Vec::new();
    for name in SERVICES {
        let model = model::Model::load(&root.join("models").join(name).join("service-2.json"))?;
        let (version, dir) = &crates[&format!("aws-sdk-{name}")];
        let index = sdk_index::SdkIndex::read(dir)?;
        services.push(plan::Service::plan(name, version.clone(), model, &index)?);
    }

    let dir = out_root.join("src/dispatch/generated");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |file: &str, text: String| -> Result<(), String> {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let pretty = |v: &serde_json::Value| -> Result<String, String> {
        serde_json::to_string_pretty(v)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string())
    };
    for s in &services {
        write(&format!("{}.rs", s.name), emit_rust::service(s))?;
        // compact: read by the runtime only
        let model = emit_json::runtime_model(s)?;
        write(
            &format!("{}.model.json", s.name),
            serde_json::to_string(&model).map_err(|e| e.to_string())? + "\n",
        )?;
    }
    write("mod.rs", emit_rust::registry(&services, &botocore))?;
    write("left_out.md", emit_rust::left_out(&services, &botocore))?;
    write(
        "input_schemas.json",
        pretty(&emit_json::input_schemas(&services, &botocore)?)?,
    )?;

    for s in &services {
        eprintln!(
            "{}: {} operations, {} left out, {} members skipped",
            s.name,
            s.ops.len(),
            s.left_out.len(),
            s.skipped_members.len()
        );
    }
    Ok(())
}

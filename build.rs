//! Embeds the dispatcher's generated per-operation input schemas when they exist (they come from
//! the generator; a checkout without them still builds, with an empty set).
fn main() {
    let src = std::path::Path::new("src/dispatch/generated/input_schemas.json");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=src/dispatch/generated");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("input_schemas.json");
    let text = std::fs::read_to_string(src).unwrap_or_else(|_| "{}".to_string());
    std::fs::write(out, text).expect("OUT_DIR is writable");
}

//! What the locked SDK crate actually contains: struct fields, builder setters, enums and their
//! variants, read from its generated sources (the crates have no reflection or serde).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct SdkIndex {
    /// struct name → field identifiers as written (`r#type`, `path`).
    pub structs: BTreeMap<String, Vec<String>>,
    /// type name → methods of its inherent impl blocks.
    pub impls: BTreeMap<String, ImplInfo>,
    /// enum name → variant names.
    pub enums: BTreeMap<String, BTreeSet<String>>,
    /// operation module names (`create_user`).
    pub operation_modules: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct ImplInfo {
    pub methods: BTreeSet<String>,
    pub build_fallible: bool,
}

impl SdkIndex {
    pub fn read(crate_dir: &Path) -> Result<SdkIndex, String> {
        let mut index = SdkIndex::default();
        let src = crate_dir.join("src");
        let mut files = Vec::new();
        collect_rs(&src.join("types"), &mut files)?;
        collect_rs(&src.join("operation"), &mut files)?;
        files.sort();
        for file in &files {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            index.scan(&text);
        }
        let ops = src.join("operation");
        for entry in std::fs::read_dir(&ops).map_err(|e| format!("{}: {e}", ops.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.path().is_dir() {
                index
                    .operation_modules
                    .insert(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(index)
    }

    fn scan(&mut self, text: &str) {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let block_end = |start: usize| {
                (start + 1..lines.len())
                    .find(|&j| lines[j] == "}")
                    .unwrap_or(lines.len())
            };
            if let Some(name) = line
                .strip_prefix("pub struct ")
                .and_then(|l| l.strip_suffix(" {}"))
            {
                self.structs.insert(name.to_string(), Vec::new());
            } else if let Some(name) = header(line, "pub struct ") {
                let end = block_end(i);
                let fields = lines[i + 1..end]
                    .iter()
                    .filter_map(|l| {
                        let l = l.trim_start();
                        let rest = l
                            .strip_prefix("pub ")
                            .or_else(|| l.strip_prefix("pub(crate) "))?;
                        let (ident, _) = rest.split_once(": ")?;
                        Some(ident.to_string())
                    })
                    .collect();
                self.structs.insert(name, fields);
                i = end;
            } else if let Some(name) = header(line, "pub enum ") {
                let end = block_end(i);
                let variants = lines[i + 1..end]
                    .iter()
                    .filter_map(|l| {
                        let v = l.strip_prefix("    ")?;
                        if v.starts_with(['/', '#', ' ']) {
                            return None;
                        }
                        let ident: String = v
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        (!ident.is_empty()).then_some(ident)
                    })
                    .collect();
                self.enums.insert(name, variants);
                i = end;
            } else if let Some(name) = header(line, "impl ") {
                let end = block_end(i);
                let info = self.impls.entry(name).or_default();
                for (j, l) in lines.iter().enumerate().take(end).skip(i + 1) {
                    let Some(sig) = l.trim_start().strip_prefix("pub fn ") else {
                        continue;
                    };
                    let method: String = sig
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    // signatures may span lines: read up to the opening brace
                    let end_of_sig = (j..end).find(|&k| lines[k].contains('{')).unwrap_or(j);
                    let signature = lines[j..=end_of_sig].concat();
                    if method == "build" && signature.contains("::std::result::Result<") {
                        info.build_fallible = true;
                    }
                    info.methods.insert(method);
                }
                i = end;
            }
            i += 1;
        }
    }

    /// The field identifier smithy-rs gave `snake` (keywords are escaped or suffixed).
    pub fn field(&self, type_name: &str, snake: &str) -> Option<String> {
        let fields = self.structs.get(type_name)?;
        [
            snake.to_string(),
            format!("r#{snake}"),
            format!("{snake}_"),
            format!("{snake}_value"),
        ]
        .into_iter()
        .find(|f| fields.contains(f))
    }

    /// The setter for `snake` on the builder `type_name`.
    pub fn setter(&self, type_name: &str, snake: &str) -> Option<String> {
        let methods = &self.impls.get(type_name)?.methods;
        [format!("set_{snake}"), format!("set_{snake}_value")]
            .into_iter()
            .find(|m| methods.contains(m))
    }
}

/// `pub struct Name {` (plain, no generics) → `Name`.
fn header(line: &str, prefix: &str) -> Option<String> {
    let name = line.strip_prefix(prefix)?.strip_suffix(" {")?;
    name.chars()
        .all(|c| c.is_alphanumeric() || c == '_')
        .then(|| name.to_string())
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Source directories of the locked SDK crates, from `cargo metadata`.
pub fn locate_crates(
    workspace: &Path,
    names: &[&str],
) -> Result<BTreeMap<String, (String, PathBuf)>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(workspace)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let mut found = BTreeMap::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        let name = pkg["name"].as_str().unwrap_or_default();
        if names.contains(&name) {
            let manifest = PathBuf::from(pkg["manifest_path"].as_str().unwrap_or_default());
            let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
            let version = pkg["version"].as_str().unwrap_or_default().to_string();
            found.insert(name.to_string(), (version, dir));
        }
    }
    for n in names {
        if !found.contains_key(*n) {
            return Err(format!(
                "crate {n} is not in the workspace's dependency graph"
            ));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shapes_smithy_rs_writes() {
        let src = r#"
pub struct Empty {}
pub struct Tag {
    /// doc
    pub key: ::std::string::String,
    pub r#type: ::std::option::Option<crate::types::Kind>,
}
impl TagBuilder {
    pub fn set_key(mut self, input: ::std::option::Option<::std::string::String>) -> Self {
        self
    }
    pub fn build(
        self,
    ) -> ::std::result::Result<crate::types::Tag, ::aws_smithy_types::error::operation::BuildError> {
        todo!()
    }
}
impl ::std::fmt::Debug for Tag {
    fn fmt(&self) {}
}
pub enum Kind {
    /// doc
    #[allow(missing_docs)]
    Plain,
    Wrapped(::std::string::String),
}
"#;
        let mut index = SdkIndex::default();
        index.scan(src);
        assert_eq!(index.structs["Empty"], Vec::<String>::new());
        assert_eq!(index.field("Tag", "type").as_deref(), Some("r#type"));
        assert_eq!(index.field("Tag", "key").as_deref(), Some("key"));
        assert_eq!(
            index.setter("TagBuilder", "key").as_deref(),
            Some("set_key")
        );
        assert!(index.impls["TagBuilder"].build_fallible);
        assert!(!index.impls.contains_key("::std::fmt::Debug for Tag"));
        let variants: Vec<&str> = index.enums["Kind"].iter().map(String::as_str).collect();
        assert_eq!(variants, ["Plain", "Wrapped"]);
    }
}

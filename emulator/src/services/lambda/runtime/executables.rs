//! Finding the interpreters that run python and node functions on this machine.
//! `PARITYTEST_PYTHON` / `PARITYTEST_NODE` override the search.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::RuntimeError;

#[derive(Default)]
pub struct Resolver {
    cache: Mutex<HashMap<String, PathBuf>>,
}

fn on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Version managers (pyenv, asdf) put shell shims on PATH that cost tens of milliseconds per
/// start, and may name versions that are not installed; ask the interpreter once for its real
/// path, and skip candidates that do not run.
fn real_python(p: &Path) -> Option<PathBuf> {
    std::process::Command::new(p)
        .args(["-c", "import sys; print(sys.executable)"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()))
        .filter(|p| is_executable(p))
}

/// pyenv's installs of `python3.X` (newest patch first): its shims only run the versions
/// selected for the current directory, the others are still there.
fn pyenv_pythons(runtime: &str) -> Vec<String> {
    let Some(minor) = runtime.strip_prefix("python") else {
        return Vec::new();
    };
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let Some(Ok(entries)) = root.map(|r| std::fs::read_dir(r.join("versions"))) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let patch = name.strip_prefix(minor)?.strip_prefix('.')?.parse().ok()?;
            Some((patch, e.path().join("bin").join(runtime)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found
        .into_iter()
        .map(|(_, p)| p.display().to_string())
        .collect()
}

/// The installation prefix of a self-contained interpreter (`<prefix>/bin/python3…` next to
/// `<prefix>/lib/python3.X/os.py`), which can be shown at /var/lang as AWS installs it; not for
/// system-wide interpreters, whose prefix holds everything else too.
pub fn python_prefix(exe: &Path) -> Option<PathBuf> {
    let bin = exe.parent()?;
    if bin.file_name()? != "bin" {
        return None;
    }
    let prefix = bin.parent()?;
    if ["/", "/usr", "/usr/local"]
        .iter()
        .any(|s| prefix == Path::new(s))
    {
        return None;
    }
    let has_stdlib = std::fs::read_dir(prefix.join("lib"))
        .ok()?
        .flatten()
        .any(|e| {
            e.file_name().to_string_lossy().starts_with("python3.")
                && e.path().join("os.py").is_file()
        });
    has_stdlib.then(|| prefix.to_path_buf())
}

impl Resolver {
    fn find(
        &self,
        runtime: &str,
        override_var: &str,
        candidates: Vec<String>,
        resolve: fn(&Path) -> Option<PathBuf>,
    ) -> Result<PathBuf, RuntimeError> {
        if let Some(p) = self.cache.lock().get(runtime) {
            return Ok(p.clone());
        }
        let mut tried = candidates;
        if let Ok(o) = std::env::var(override_var) {
            tried.insert(0, o);
        }
        let found = tried
            .iter()
            .find_map(|c| on_path(c).and_then(|p| resolve(&p)));
        match found {
            Some(p) => {
                self.cache.lock().insert(runtime.to_string(), p.clone());
                Ok(p)
            }
            None => Err(RuntimeError::MissingExecutable {
                runtime: runtime.to_string(),
                tried: tried.join(", "),
            }),
        }
    }

    pub fn python(&self, runtime: &str) -> Result<PathBuf, RuntimeError> {
        // python3.12 → python3.12 if installed (on PATH, or a pyenv version that is not the
        // selected one), else any python3.
        let mut candidates = vec![runtime.to_string()];
        candidates.extend(pyenv_pythons(runtime));
        candidates.push("python3".to_string());
        self.find(runtime, "PARITYTEST_PYTHON", candidates, real_python)
    }

    pub fn node(&self, runtime: &str) -> Result<PathBuf, RuntimeError> {
        self.find(
            runtime,
            "PARITYTEST_NODE",
            vec!["node".to_string(), "nodejs".to_string()],
            |p| Some(p.to_path_buf()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_is_named_in_the_error() {
        let r = Resolver::default();
        let err = r
            .find(
                "python9.9",
                "PARITYTEST_TEST_UNSET_VARIABLE",
                vec!["paritytest-no-such-python".into()],
                |p| Some(p.to_path_buf()),
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("python9.9") && text.contains("paritytest-no-such-python"),
            "{text}"
        );
    }

    #[test]
    fn only_self_contained_installs_have_a_prefix_to_show() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("bin/python3.12");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, "").unwrap();
        assert_eq!(python_prefix(&exe), None, "no stdlib next to it");
        std::fs::create_dir_all(dir.path().join("lib/python3.12")).unwrap();
        std::fs::write(dir.path().join("lib/python3.12/os.py"), "").unwrap();
        assert_eq!(python_prefix(&exe).as_deref(), Some(dir.path()));
        assert_eq!(python_prefix(Path::new("/usr/bin/python3")), None);
    }

    #[test]
    fn python_is_found_and_shims_resolved() {
        let r = Resolver::default();
        let p = r.python("python3.12").expect("python3 on PATH");
        assert!(!p.to_string_lossy().contains("/shims/"), "{}", p.display());
    }
}

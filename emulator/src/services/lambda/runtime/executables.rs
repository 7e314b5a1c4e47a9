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
        // python3.12 → python3.12 if installed, else any python3.
        self.find(
            runtime,
            "PARITYTEST_PYTHON",
            vec![runtime.to_string(), "python3".to_string()],
            real_python,
        )
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
    fn python_is_found_and_shims_resolved() {
        let r = Resolver::default();
        let p = r.python("python3.12").expect("python3 on PATH");
        assert!(!p.to_string_lossy().contains("/shims/"), "{}", p.display());
    }
}

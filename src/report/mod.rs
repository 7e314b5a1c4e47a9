//! Reporters of the event stream, one module per format.

pub mod human;
pub mod json;
pub mod junit;

use std::path::PathBuf;
use std::str::FromStr;

/// `--report FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSpec {
    Junit(PathBuf),
    Json(PathBuf),
}

impl FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some(("junit", f)) if !f.is_empty() => Ok(ReportSpec::Junit(f.into())),
            Some(("json", f)) if !f.is_empty() => Ok(ReportSpec::Json(f.into())),
            _ => Err(format!("{s:?}: expected junit=FILE or json=FILE")),
        }
    }
}

/// Results arrive in completion order; reports list them in scenario order.
pub(crate) fn sorted<T: Clone>(items: &std::collections::BTreeMap<usize, T>) -> Vec<T> {
    items.values().cloned().collect()
}

//! One event stream feeds every reporter (human, JUnit, JSON), nextest style.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::interpreter::ScenarioResult;

/// What a whole run came to.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Scenarios that failed as their `known_gap` marker says.
    pub known_gaps: usize,
    /// Scenarios selected but never started (fail-fast, Ctrl-C).
    pub not_run: usize,
    /// Ids whose snapshot entry was not validated against AWS.
    pub not_validated: Vec<String>,
    pub recorded: usize,
    /// Snapshot entries no scenario of a full run referenced, by file.
    pub unreferenced: BTreeMap<PathBuf, Vec<String>>,
    pub unreferenced_fail: bool,
    pub interrupted: bool,
    pub duration: Duration,
}

impl Summary {
    pub fn ok(&self) -> bool {
        self.failed == 0
            && !self.interrupted
            && (!self.unreferenced_fail || self.unreferenced.is_empty())
    }
}

#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        target: &'a str,
        total: usize,
        jobs: usize,
    },
    ScenarioStarted {
        index: usize,
        id: &'a str,
    },
    ScenarioFinished {
        index: usize,
        result: &'a ScenarioResult,
    },
    RunFinished {
        summary: &'a Summary,
    },
}

/// A consumer of the event stream.
pub trait Reporter: Send {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()>;
}

//! A whole run: find scenario files, load them (every broken file is reported, none skipped),
//! select (filters, tags, shard), run with N at a time, and feed every reporter the same events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::diagnostic::Diagnostic;
use crate::events::{Event, Reporter, Summary};
use crate::exit::Exit;
use crate::interpreter::{run_scenario, Cancel, RunEnv, ScenarioResult, Verdict};
use crate::scenario::{load_file, LoadOptions, Scenario};
use crate::snapshots::{SnapshotOptions, SnapshotStatus};
use crate::target::{Target, TargetSpec};

/// Scenario files under `paths` (files as given; directories walked, sorted), skipping the
/// snapshot files that may live next to scenarios.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_scenario_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

pub fn is_scenario_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let json = name.ends_with(".json")
        && !name.ends_with(".snapshot.json")
        && !name.ends_with(".validation.json");
    // Files starting with `_` hold shared step groups only.
    (yaml || json) && !name.starts_with('_')
}

/// Loads every file; all diagnostics of all files are returned together.
pub fn load_all(files: &[PathBuf], opts: &LoadOptions) -> (Vec<Scenario>, Vec<Diagnostic>) {
    let mut scenarios = Vec::new();
    let mut diags = Vec::new();
    for f in files {
        match load_file(f, opts) {
            Ok(mut s) => scenarios.append(&mut s),
            Err(mut d) => diags.append(&mut d),
        }
    }
    (scenarios, diags)
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Id substrings; any may match.
    pub filters: Vec<String>,
    /// Tags; any may match.
    pub tags: Vec<String>,
    /// `(i, n)`, 1-based.
    pub shard: Option<(usize, usize)>,
}

impl Selection {
    pub fn is_full(&self) -> bool {
        self.filters.is_empty() && self.tags.is_empty() && self.shard.is_none()
    }
    pub fn apply(&self, all: Vec<Scenario>) -> Vec<Scenario> {
        let picked: Vec<Scenario> = all
            .into_iter()
            .filter(|s| {
                self.filters.is_empty() || self.filters.iter().any(|f| s.id.contains(f.as_str()))
            })
            .filter(|s| self.tags.is_empty() || self.tags.iter().any(|t| s.tags.contains(t)))
            .collect();
        match self.shard {
            // Round robin over the stable order: shards are balanced and disjoint.
            Some((i, n)) => picked
                .into_iter()
                .enumerate()
                .filter(|(k, _)| k % n == i - 1)
                .map(|(_, s)| s)
                .collect(),
            None => picked,
        }
    }
}

pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected i/n, e.g. 1/4"))?;
    let i: usize = i
        .parse()
        .map_err(|_| format!("{s:?}: shard index is not a number"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("{s:?}: shard count is not a number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("{s:?}: expected 1 <= i <= n"));
    }
    Ok((i, n))
}

pub struct RunOptions {
    pub target: TargetSpec,
    pub snapshots: SnapshotOptions,
    pub jobs: usize,
    pub fail_fast: bool,
    pub fail_unreferenced: bool,
    pub full_run: bool,
    pub color: bool,
    pub account_id: Option<String>,
}

/// Runs the selected scenarios; returns the exit code.
pub async fn run(
    scenarios: Vec<Scenario>,
    opts: RunOptions,
    reporters: &mut [Box<dyn Reporter>],
) -> Exit {
    let started = Instant::now();
    let target = match Target::connect(opts.target.clone(), opts.account_id.clone()).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Infrastructure;
        }
    };
    let cancel = Arc::new(Cancel::default());
    let on_signal = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: stopping, running cleanups (Ctrl-C again to abort)");
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(Exit::Interrupted as i32);
                }
            }
        })
    };
    let desc = opts.target.describe();
    emit(
        reporters,
        &Event::RunStarted {
            target: &desc,
            total: scenarios.len(),
            jobs: opts.jobs,
        },
    );

    let results = {
        let env = RunEnv {
            target: &target,
            cancel: &cancel,
            snapshots: opts.snapshots,
            color: opts.color,
        };
        execute(&scenarios, &env, opts.jobs, opts.fail_fast, reporters).await
    };
    on_signal.abort();

    let mut summary = Summary {
        interrupted: cancel.is_cancelled(),
        unreferenced_fail: opts.fail_unreferenced,
        ..Default::default()
    };
    for r in results.iter().flatten() {
        match &r.verdict {
            Verdict::Passed => summary.passed += 1,
            Verdict::Failed => summary.failed += 1,
            Verdict::Skipped(_) => summary.skipped += 1,
            Verdict::KnownGap(_) => summary.known_gaps += 1,
        }
        match r.snapshot {
            SnapshotStatus::Recorded { validated } => {
                summary.recorded += 1;
                if !validated {
                    summary.not_validated.push(r.id.clone());
                }
            }
            SnapshotStatus::Verified { validated: false } => {
                summary.not_validated.push(r.id.clone())
            }
            _ => {}
        }
    }
    summary.not_run = results.iter().filter(|r| r.is_none()).count();
    if opts.full_run && summary.not_run == 0 {
        summary.unreferenced = crate::snapshots::unreferenced(&scenarios);
    }
    summary.duration = started.elapsed();
    emit(reporters, &Event::RunFinished { summary: &summary });
    target.shutdown().await;
    if summary.interrupted {
        Exit::Interrupted
    } else if summary.ok() {
        Exit::Passed
    } else {
        Exit::Failures
    }
}

fn emit(reporters: &mut [Box<dyn Reporter>], e: &Event<'_>) {
    for r in reporters.iter_mut() {
        if let Err(err) = r.event(e) {
            eprintln!("warning: a reporter failed: {err}");
        }
    }
}

/// Runs up to `jobs` scenarios at once on this task; results by scenario index (`None`: not
/// started because of fail-fast or Ctrl-C).
async fn execute(
    scenarios: &[Scenario],
    env: &RunEnv<'_>,
    jobs: usize,
    fail_fast: bool,
    reporters: &mut [Box<dyn Reporter>],
) -> Vec<Option<ScenarioResult>> {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut results: Vec<Option<ScenarioResult>> = vec![None; scenarios.len()];
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    let mut stop = false;
    loop {
        while !stop && running.len() < jobs.max(1) && next < scenarios.len() {
            let index = next;
            next += 1;
            emit(
                reporters,
                &Event::ScenarioStarted {
                    index,
                    id: &scenarios[index].id,
                },
            );
            running.push(async move { (index, run_scenario(&scenarios[index], env).await) });
        }
        let Some((index, result)) = running.next().await else {
            break;
        };
        emit(
            reporters,
            &Event::ScenarioFinished {
                index,
                result: &result,
            },
        );
        if (fail_fast && result.verdict == Verdict::Failed) || env.cancel.is_cancelled() {
            stop = true;
        }
        results[index] = Some(result);
    }
    results
}

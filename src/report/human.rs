//! The terminal reporter: one line per scenario in scenario order (whatever `--jobs` does), the
//! failures with their step, location and diff, and a summary. A progress line goes to stderr
//! when it is a terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use crate::events::{Event, Reporter};
use crate::interpreter::{ScenarioResult, Verdict};
use crate::snapshots::SnapshotStatus;

pub struct Human<W: Write + Send> {
    out: W,
    color: bool,
    progress: bool,
    total: usize,
    done: usize,
    running: usize,
    next: usize,
    pending: BTreeMap<usize, ScenarioResult>,
    failed: Vec<ScenarioResult>,
}

impl<W: Write + Send> Human<W> {
    pub fn new(out: W, color: bool) -> Self {
        Human {
            out,
            color,
            progress: std::io::stderr().is_terminal(),
            total: 0,
            done: 0,
            running: 0,
            next: 0,
            pending: BTreeMap::new(),
            failed: Vec::new(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn clear_progress(&self) {
        if self.progress {
            eprint!("\r\x1b[2K");
        }
    }

    fn draw_progress(&self) {
        if self.progress && self.done < self.total {
            eprint!(
                "\r\x1b[2K[{}/{}] {} running",
                self.done, self.total, self.running
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn line(&mut self, r: &ScenarioResult) -> std::io::Result<()> {
        let (word, code) = match &r.verdict {
            Verdict::Passed => ("PASS", "32"),
            Verdict::Failed => ("FAIL", "31;1"),
            Verdict::Skipped(_) => ("SKIP", "33"),
            Verdict::KnownGap(_) => ("GAP", "35"),
        };
        let word = self.paint(code, &format!("{word:>5}"));
        let mut note = match &r.snapshot {
            SnapshotStatus::Recorded { validated: true } => {
                " (recorded, validated against AWS)".to_string()
            }
            SnapshotStatus::Recorded { validated: false } => {
                " (recorded, not validated against AWS)".to_string()
            }
            _ => String::new(),
        };
        match &r.verdict {
            Verdict::Skipped(reason) => note = format!(" ({reason})"),
            Verdict::KnownGap(reason) => note = format!(" (known gap: {reason})"),
            _ => {}
        }
        writeln!(
            self.out,
            "{word} [{:>7.3}s] {}{note}",
            r.duration.as_secs_f64(),
            r.id
        )
    }

    fn details(&mut self, r: &ScenarioResult) -> std::io::Result<()> {
        writeln!(
            self.out,
            "\n{} {} ({})",
            self.paint("31;1", "---- FAILED:"),
            r.id,
            r.file
        )?;
        for f in &r.failures {
            writeln!(self.out, "  step {} at {}:", f.step, f.location)?;
            for l in f.message.lines() {
                writeln!(self.out, "    {l}")?;
            }
        }
        for f in &r.cleanup_failures {
            writeln!(self.out, "  cleanup {} at {} failed:", f.step, f.location)?;
            for l in f.message.lines() {
                writeln!(self.out, "    {l}")?;
            }
        }
        Ok(())
    }
}

impl<W: Write + Send> Reporter for Human<W> {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::RunStarted {
                target,
                total,
                jobs,
            } => {
                self.total = *total;
                writeln!(
                    self.out,
                    "{} {total} scenario{} against {target} ({jobs} at a time)",
                    self.paint("32;1", "Running"),
                    if *total == 1 { "" } else { "s" }
                )?;
            }
            Event::ScenarioStarted { .. } => {
                self.running += 1;
                self.draw_progress();
            }
            Event::ScenarioFinished { index, result } => {
                self.running -= 1;
                self.done += 1;
                self.pending.insert(*index, (*result).clone());
                self.clear_progress();
                while let Some(r) = self.pending.remove(&self.next) {
                    self.line(&r)?;
                    if r.verdict == Verdict::Failed {
                        self.failed.push(r);
                    }
                    self.next += 1;
                }
                self.out.flush()?;
                self.draw_progress();
            }
            Event::RunFinished { summary } => {
                self.clear_progress();
                // Scenarios that never ran leave gaps: print what is left in order.
                let rest: Vec<ScenarioResult> =
                    std::mem::take(&mut self.pending).into_values().collect();
                for r in rest {
                    self.line(&r)?;
                    if r.verdict == Verdict::Failed {
                        self.failed.push(r);
                    }
                }
                let failed = std::mem::take(&mut self.failed);
                for r in &failed {
                    self.details(r)?;
                }
                if !summary.not_validated.is_empty() {
                    writeln!(
                        self.out,
                        "\n{} snapshot entr{} not validated against AWS (record with --target aws --update):",
                        summary.not_validated.len(),
                        if summary.not_validated.len() == 1 { "y is" } else { "ies are" }
                    )?;
                    for id in &summary.not_validated {
                        writeln!(self.out, "  {id}")?;
                    }
                }
                if !summary.unreferenced.is_empty() {
                    let n: usize = summary.unreferenced.values().map(Vec::len).sum();
                    writeln!(
                        self.out,
                        "\n{n} unreferenced snapshot entr{}:",
                        if n == 1 { "y" } else { "ies" }
                    )?;
                    for (file, keys) in &summary.unreferenced {
                        for k in keys {
                            writeln!(self.out, "  {} [{k}]", file.display())?;
                        }
                    }
                }
                let verdict = if summary.ok() {
                    self.paint("32;1", "PASSED")
                } else if summary.interrupted {
                    self.paint("31;1", "INTERRUPTED")
                } else {
                    self.paint("31;1", "FAILED")
                };
                let mut parts = vec![
                    format!("{} passed", summary.passed),
                    format!("{} failed", summary.failed),
                ];
                if summary.skipped > 0 {
                    parts.push(format!("{} skipped", summary.skipped));
                }
                if summary.known_gaps > 0 {
                    parts.push(format!("{} known gaps", summary.known_gaps));
                }
                if summary.not_run > 0 {
                    parts.push(format!("{} not run", summary.not_run));
                }
                if summary.recorded > 0 {
                    parts.push(format!("{} recorded", summary.recorded));
                }
                writeln!(
                    self.out,
                    "\n{verdict}: {} in {:.3}s",
                    parts.join(", "),
                    summary.duration.as_secs_f64()
                )?;
                self.out.flush()?;
            }
        }
        Ok(())
    }
}

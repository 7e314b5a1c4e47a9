//! JUnit XML (`--report junit=FILE`), the format CI systems show test results from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use quick_xml::escape::escape;

use crate::events::{Event, Reporter};
use crate::interpreter::{ScenarioResult, Verdict};

pub struct Junit {
    path: PathBuf,
    results: BTreeMap<usize, ScenarioResult>,
}

impl Junit {
    pub fn new(path: PathBuf) -> Self {
        Junit {
            path,
            results: BTreeMap::new(),
        }
    }
}

pub fn render(results: &[ScenarioResult], total_secs: f64) -> String {
    let failures = results
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
        .count();
    let skipped = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Skipped(_) | Verdict::KnownGap(_)))
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"paritytest\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total_secs:.3}\">\n",
        results.len()
    ));
    // One suite per scenario file, in first-seen order.
    let mut files: Vec<&str> = Vec::new();
    for r in results {
        if !files.contains(&r.file.as_str()) {
            files.push(&r.file);
        }
    }
    for file in files {
        let cases: Vec<&ScenarioResult> = results.iter().filter(|r| r.file == file).collect();
        let f = cases
            .iter()
            .filter(|r| r.verdict == Verdict::Failed)
            .count();
        let s = cases
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Skipped(_) | Verdict::KnownGap(_)))
            .count();
        let t: f64 = cases.iter().map(|r| r.duration.as_secs_f64()).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\" time=\"{t:.3}\">\n",
            escape(file),
            cases.len()
        ));
        for r in cases {
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&r.id),
                escape(file),
                r.duration.as_secs_f64()
            ));
            match &r.verdict {
                Verdict::Passed => x.push_str("/>\n"),
                Verdict::Skipped(reason) => x.push_str(&format!(
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(reason)
                )),
                // JUnit has no expected-failure state; a known gap is a skip with its reason.
                Verdict::KnownGap(reason) => x.push_str(&format!(
                    ">\n      <skipped message=\"known gap: {}\"/>\n    </testcase>\n",
                    escape(reason)
                )),
                Verdict::Failed => {
                    let first = r.failures.first().or(r.cleanup_failures.first());
                    let message = first
                        .map(|f| {
                            format!(
                                "{} at {}: {}",
                                f.step,
                                f.location,
                                f.message.lines().next().unwrap_or("")
                            )
                        })
                        .unwrap_or_default();
                    let mut body = String::new();
                    for f in &r.failures {
                        body.push_str(&format!(
                            "step {} at {}:\n{}\n",
                            f.step, f.location, f.message
                        ));
                    }
                    for f in &r.cleanup_failures {
                        body.push_str(&format!(
                            "cleanup {} at {} failed:\n{}\n",
                            f.step, f.location, f.message
                        ));
                    }
                    x.push_str(&format!(
                        ">\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n    </testcase>\n",
                        escape(&message),
                        escape(strip_ansi(&body))
                    ));
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn strip_ansi(s: &str) -> String {
    let re = regex::Regex::new("\x1b\\[[0-9;]*m").expect("valid regex");
    re.replace_all(s, "").into_owned()
}

impl Reporter for Junit {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::ScenarioFinished { index, result } => {
                self.results.insert(*index, (*result).clone());
            }
            Event::RunFinished { summary } => {
                let results = super::sorted(&self.results);
                crate::fsutil::write_atomic(
                    &self.path,
                    render(&results, summary.duration.as_secs_f64()).as_bytes(),
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}

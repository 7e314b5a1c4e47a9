//! The parity summary a run against the AWS recordings prints (and CI shows on every run): per
//! service, entries ported, entries passing, passing with zero skip paths, match points passing,
//! and skip paths used.

use std::collections::BTreeMap;
use std::fmt::Write;

/// What one scenario that mirrors an AWS recording entry came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParityEntry {
    pub service: String,
    pub passed: bool,
    /// Match keys compared in this run.
    pub match_points: usize,
    pub match_points_failed: usize,
    /// Skip paths that applied to the scenario.
    pub skip_paths: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParityRow {
    pub service: String,
    /// Entries in the recordings for this service, when the recordings folder was read.
    pub recorded: Option<usize>,
    pub ported: usize,
    pub passing: usize,
    pub passing_without_skips: usize,
    pub match_points: usize,
    pub match_points_passing: usize,
    pub skip_paths: usize,
}

pub fn summarize(entries: &[ParityEntry], recorded: &BTreeMap<String, usize>) -> Vec<ParityRow> {
    let mut rows: BTreeMap<String, ParityRow> = BTreeMap::new();
    for e in entries {
        let row = rows.entry(e.service.clone()).or_insert_with(|| ParityRow {
            service: e.service.clone(),
            ..ParityRow::default()
        });
        row.ported += 1;
        row.passing += usize::from(e.passed);
        row.passing_without_skips += usize::from(e.passed && e.skip_paths == 0);
        row.match_points += e.match_points;
        row.match_points_passing += e.match_points - e.match_points_failed.min(e.match_points);
        row.skip_paths += e.skip_paths;
    }
    for row in rows.values_mut() {
        row.recorded = recorded.get(&row.service).copied();
    }
    rows.into_values().collect()
}

fn frac(part: usize, whole: usize) -> String {
    if whole == 0 {
        format!("{part}/0")
    } else {
        format!(
            "{part}/{whole} ({:.1}%)",
            100.0 * part as f64 / whole as f64
        )
    }
}

const HEADERS: [&str; 6] = [
    "service",
    "ported",
    "passing",
    "passing, no skip paths",
    "match points passing",
    "skip paths",
];

fn cells(r: &ParityRow) -> [String; 6] {
    [
        r.service.clone(),
        match r.recorded {
            Some(n) => format!("{}/{n}", r.ported),
            None => r.ported.to_string(),
        },
        frac(r.passing, r.ported),
        frac(r.passing_without_skips, r.ported),
        frac(r.match_points_passing, r.match_points),
        r.skip_paths.to_string(),
    ]
}

/// Plain text (aligned) or a Markdown table.
pub fn render(rows: &[ParityRow], markdown: bool) -> String {
    let mut lines: Vec<[String; 6]> = vec![HEADERS.map(String::from)];
    lines.extend(rows.iter().map(cells));
    let mut out = String::new();
    if markdown {
        for (n, l) in lines.iter().enumerate() {
            let _ = writeln!(out, "| {} |", l.join(" | "));
            if n == 0 {
                let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
            }
        }
        return out;
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for l in &lines {
        let text: Vec<String> = l
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", text.join("  "));
    }
    out
}

//! Parity metrics and the coverage report (`paritytest coverage`): what a run exercised of each
//! service model, what the emulator implements, and what passed against AWS recordings.

pub mod metrics;
pub mod parity;
pub mod table;

use std::path::{Path, PathBuf};

pub use metrics::{Metrics, MetricsError, OperationMetrics};

use crate::cli::CoverageFormat;
use crate::exit::Exit;

/// The catalog every coverage table starts from: each operation of the pinned models, and
/// whether the emulator implements it.
pub fn catalog() -> Vec<table::CatalogOp> {
    paritytest_emulator::Emulator::implemented_operations()
        .into_iter()
        .map(|o| table::CatalogOp {
            service: o.service.to_string(),
            operation: o.operation,
            implemented: o.implemented,
        })
        .collect()
}

/// `paritytest coverage FILES...`.
pub fn command(
    files: &[PathBuf],
    format: CoverageFormat,
    output: Option<&Path>,
    detail: bool,
    color: bool,
) -> Exit {
    let mut merged: Option<Metrics> = None;
    for file in files {
        match Metrics::load(file) {
            Ok(m) => match &mut merged {
                Some(all) => all.merge(m),
                None => merged = Some(m),
            },
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Usage;
            }
        }
    }
    let metrics = merged.unwrap_or_default();
    let rows = table::build(&catalog(), &metrics);
    let parity_rows = parity::summarize(&metrics.parity, &Default::default());
    let color = color && output.is_none();
    let text = match format {
        CoverageFormat::Terminal => {
            let mut t = table::render_terminal(&rows, detail, color);
            if !parity_rows.is_empty() {
                t.push_str("\nParity against AWS-recorded entries:\n");
                t.push_str(&parity::render(&parity_rows, false));
            }
            t
        }
        CoverageFormat::Markdown => {
            let mut t = format!("## Operation coverage\n\n{}", table::render_markdown(&rows));
            if !parity_rows.is_empty() {
                t.push_str("\n## Parity against AWS-recorded entries\n\n");
                t.push_str(&parity::render(&parity_rows, true));
            }
            t
        }
        CoverageFormat::Html => table::render_html(&rows, &parity_rows, "paritytest coverage"),
    };
    match output {
        Some(path) => {
            if let Err(e) = crate::fsutil::write_atomic(path, text.as_bytes()) {
                eprintln!("error: {}: {e}", path.display());
                return Exit::Infrastructure;
            }
        }
        None => print!("{text}"),
    }
    Exit::Passed
}

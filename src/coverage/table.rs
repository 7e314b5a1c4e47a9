//! The coverage table: per service, the operations in the model, implemented by the emulator,
//! exercised by scenarios and verified against AWS recordings; rendered for a terminal, as
//! Markdown, or as a self-contained HTML page.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::metrics::Metrics;

/// One operation of a service model, as the catalog knows it before any run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogOp {
    pub service: String,
    pub operation: String,
    /// The emulator has a handler for it (the rest answer 501).
    pub implemented: bool,
}

/// What the table says of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRow {
    pub operation: String,
    pub implemented: bool,
    pub calls: u64,
    pub verified: bool,
    pub error_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceRow {
    pub service: String,
    pub in_model: usize,
    pub implemented: usize,
    pub exercised: usize,
    pub verified: usize,
    pub ops: Vec<OpRow>,
}

/// Joins the catalog with the metrics of one or more runs. Operations a run called that the
/// catalog does not know are kept (counted as not implemented), so nothing is silently dropped.
pub fn build(catalog: &[CatalogOp], metrics: &Metrics) -> Vec<ServiceRow> {
    let mut services: BTreeMap<String, ServiceRow> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut push = |service: &str, operation: &str, implemented: bool| {
        let key = format!("{service}.{operation}");
        let m = metrics.operations.get(&key);
        let row = OpRow {
            operation: operation.to_string(),
            implemented,
            calls: m.map_or(0, |m| m.calls),
            verified: m.is_some_and(|m| !m.verified_scenarios.is_empty()),
            error_codes: m
                .map(|m| m.error_codes.keys().cloned().collect())
                .unwrap_or_default(),
        };
        let svc = services
            .entry(service.to_string())
            .or_insert_with(|| ServiceRow {
                service: service.to_string(),
                ..ServiceRow::default()
            });
        svc.in_model += 1;
        svc.implemented += usize::from(row.implemented);
        svc.exercised += usize::from(row.calls > 0);
        svc.verified += usize::from(row.verified);
        svc.ops.push(row);
        key
    };
    for op in catalog {
        seen.insert(push(&op.service, &op.operation, op.implemented));
    }
    for key in metrics.operations.keys() {
        if !seen.contains(key) {
            if let Some((service, operation)) = key.split_once('.') {
                push(service, operation, false);
            }
        }
    }
    let mut rows: Vec<ServiceRow> = services.into_values().collect();
    for row in &mut rows {
        row.ops.sort_by(|a, b| a.operation.cmp(&b.operation));
    }
    rows
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.0}%", 100.0 * part as f64 / whole as f64)
    }
}

const HEADERS: [&str; 5] = [
    "service",
    "in model",
    "implemented",
    "exercised",
    "verified vs AWS",
];

fn cells(row: &ServiceRow) -> [String; 5] {
    [
        row.service.clone(),
        row.in_model.to_string(),
        format!(
            "{} ({})",
            row.implemented,
            pct(row.implemented, row.in_model)
        ),
        format!("{} ({})", row.exercised, pct(row.exercised, row.in_model)),
        format!("{} ({})", row.verified, pct(row.verified, row.in_model)),
    ]
}

fn totals(rows: &[ServiceRow]) -> ServiceRow {
    let mut t = ServiceRow {
        service: "total".into(),
        ..ServiceRow::default()
    };
    for r in rows {
        t.in_model += r.in_model;
        t.implemented += r.implemented;
        t.exercised += r.exercised;
        t.verified += r.verified;
    }
    t
}

/// A fixed-width table for a terminal; `detail` adds one line per exercised or implemented
/// operation.
pub fn render_terminal(rows: &[ServiceRow], detail: bool, color: bool) -> String {
    let mut lines: Vec<[String; 5]> = vec![HEADERS.map(String::from)];
    lines.extend(rows.iter().map(cells));
    lines.push(cells(&totals(rows)));
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        let text: Vec<String> = line
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
        let text = text.join("  ");
        if color && n == 0 {
            let _ = writeln!(out, "\x1b[1m{text}\x1b[0m");
        } else {
            let _ = writeln!(out, "{text}");
        }
    }
    if detail {
        for row in rows {
            let _ = writeln!(out, "\n{}:", row.service);
            for op in row.ops.iter().filter(|o| o.implemented || o.calls > 0) {
                let mark = match (op.verified, op.calls > 0, op.implemented) {
                    (true, _, _) => "verified",
                    (false, true, true) => "exercised",
                    (false, true, false) => "called, not implemented",
                    (false, false, _) => "implemented, not exercised",
                };
                let codes = if op.error_codes.is_empty() {
                    String::new()
                } else {
                    format!("  errors: {}", op.error_codes.join(", "))
                };
                let _ = writeln!(
                    out,
                    "  {:<45} {:>5} calls  {mark}{codes}",
                    op.operation, op.calls
                );
            }
        }
    }
    out
}

pub fn render_markdown(rows: &[ServiceRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for r in rows.iter().chain(std::iter::once(&totals(rows))) {
        let _ = writeln!(out, "| {} |", cells(r).join(" | "));
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained page (inline CSS, no scripts, no external resources).
pub fn render_html(rows: &[ServiceRow], title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}table{{border-collapse:collapse;margin:1rem 0}}\
td,th{{border:1px solid #ccc;padding:.3rem .6rem}}td.n{{text-align:right}}th{{background:#f3f3f3}}\
.bar{{display:inline-block;height:.6rem;background:#4a8;vertical-align:middle;margin-left:.4rem}}\
.v{{background:#d8f5d8}}.e{{background:#eef6ff}}.i{{background:#fafafa}}.x{{background:#fde2e2}}\
details{{margin:.5rem 0}}summary{{cursor:pointer;font-weight:600}}</style></head><body>\n<h1>{t}</h1>\n",
        t = esc(title)
    );
    let _ = writeln!(
        out,
        "<table><tr>{}</tr>",
        HEADERS
            .iter()
            .map(|h| format!("<th>{h}</th>"))
            .collect::<String>()
    );
    for r in rows.iter().chain(std::iter::once(&totals(rows))) {
        let c = cells(r);
        let bar = |part: usize| {
            let w = if r.in_model == 0 {
                0
            } else {
                100 * part / r.in_model
            };
            format!("<span class=\"bar\" style=\"width:{w}px\"></span>")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}{}</td></tr>",
            esc(&c[0]),
            c[1],
            c[2],
            bar(r.implemented),
            c[3],
            bar(r.exercised),
            c[4],
            bar(r.verified)
        );
    }
    out.push_str("</table>\n<p>Legend: <span class=\"v\">verified against AWS</span> · <span class=\"e\">exercised</span> · \
<span class=\"i\">implemented, not exercised</span> · <span class=\"x\">called but not implemented</span></p>\n");
    for r in rows {
        let _ = writeln!(out, "<details><summary>{} ({} operations)</summary><table><tr><th>operation</th><th>implemented</th><th>calls</th><th>verified</th><th>error codes seen</th></tr>", esc(&r.service), r.in_model);
        for op in &r.ops {
            let class = match (op.verified, op.calls > 0, op.implemented) {
                (true, _, _) => "v",
                (false, true, true) => "e",
                (false, true, false) => "x",
                (false, false, true) => "i",
                (false, false, false) => "",
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&op.operation),
                if op.implemented { "yes" } else { "no" },
                op.calls,
                if op.verified { "yes" } else { "" },
                esc(&op.error_codes.join(", "))
            );
        }
        out.push_str("</table></details>\n");
    }
    out.push_str("</body></html>\n");
    out
}

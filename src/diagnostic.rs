//! Located diagnostics for scenario files: `file:line:col`, the offending text, what was
//! expected and a hint, rendered in the style of rustc so people recognise it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    /// What would have been valid here.
    pub expected: Option<String>,
    /// A way out, e.g. a did-you-mean.
    pub hint: Option<String>,
    /// The source line at `pos` (filled by `with_source`).
    pub source_line: Option<String>,
    /// Length of the offending text on that line (for the underline).
    pub width: usize,
}

impl Diagnostic {
    pub fn new(file: &Path, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            expected: None,
            hint: None,
            source_line: None,
            width: 1,
        }
    }
    pub fn expected(mut self, e: impl Into<String>) -> Self {
        self.expected = Some(e.into());
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
    pub fn hint_opt(mut self, h: Option<String>) -> Self {
        if h.is_some() {
            self.hint = h;
        }
        self
    }
    /// Attaches the offending source line and underlines the token starting at `pos`.
    pub fn with_source(mut self, source: &str) -> Self {
        if self.pos.line == 0 {
            return self;
        }
        if let Some(line) = source.lines().nth(self.pos.line - 1) {
            let rest: String = line.chars().skip(self.pos.col.saturating_sub(1)).collect();
            self.width = token_width(&rest).max(1);
            self.source_line = Some(line.to_string());
        }
        self
    }
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.pos.line, self.pos.col)
    }
}

/// The width of the scalar or key starting a line remainder: a quoted string, or up to the next
/// structural character.
fn token_width(rest: &str) -> usize {
    let mut chars = rest.chars();
    match chars.next() {
        Some(q @ ('"' | '\'')) => {
            let mut n = 1;
            for c in chars {
                n += 1;
                if c == q {
                    break;
                }
            }
            n
        }
        _ => {
            // Up to flow punctuation, a comment or a `key: ` separator.
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                let next = rest[i + c.len_utf8()..].chars().next();
                if matches!(c, ',' | '}' | ']')
                    || (c == '#' && i > 0)
                    || (c == ':' && next.is_none_or(|n| n == ' '))
                {
                    end = i;
                    break;
                }
            }
            rest[..end].trim_end().chars().count()
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "  --> {}", self.location())?;
        if let Some(line) = &self.source_line {
            let n = self.pos.line.to_string();
            let pad = " ".repeat(n.len());
            writeln!(f, " {pad} |")?;
            writeln!(f, " {n} | {line}")?;
            writeln!(
                f,
                " {pad} | {}{}",
                " ".repeat(self.pos.col.saturating_sub(1)),
                "^".repeat(self.width)
            )?;
        }
        if let Some(e) = &self.expected {
            writeln!(f, "  = expected: {e}")?;
        }
        if let Some(h) = &self.hint {
            writeln!(f, "  = hint: {h}")?;
        }
        Ok(())
    }
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.8).map(|(_, c)| c)
}

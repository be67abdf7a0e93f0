//! `Diagnostics`: the diagnostics of one source text, rendered like the CLI's.

use crate::render::Source;
use asterism_lang::Diagnostic;
use std::fmt;
use std::sync::Arc;

/// How many diagnostics are shown (rendered or as JSON); the rest are counted.
pub const MAX_SHOWN: usize = 100;

/// The diagnostics of one source text, sorted by position.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    file: Arc<str>,
    source: Arc<str>,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn new(file: &str, source: &str, items: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics { file: file.into(), source: source.into(), items }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// The human rendering of SPEC §10.5, with ANSI styles when `color` is set: the first
    /// `MAX_SHOWN` diagnostics, then how many more there are.
    pub fn render(&self, color: bool) -> String {
        let shown = &self.items[..self.items.len().min(MAX_SHOWN)];
        let mut text = Source::new(&self.source).render(shown, &self.file, color);
        if let Some(more) = self.more() {
            text.push_str(&format!("\n{more}\n"));
        }
        text
    }

    /// The JSON form of SPEC §11.2: one object per diagnostic, for the first `MAX_SHOWN`.
    pub fn to_json(&self) -> serde_json::Value {
        let source = Source::new(&self.source);
        let shown = self.items.iter().take(MAX_SHOWN);
        serde_json::Value::Array(shown.map(|d| serde_json::to_value(source.json(d)).unwrap_or_default()).collect())
    }

    /// How many diagnostics `to_json` leaves out.
    pub fn omitted(&self) -> usize {
        self.items.len().saturating_sub(MAX_SHOWN)
    }

    /// `… and N more errors and M more warnings`, when some are not shown.
    fn more(&self) -> Option<String> {
        let rest = self.items.get(MAX_SHOWN..).filter(|r| !r.is_empty())?;
        let errors = rest.iter().filter(|d| d.is_error()).count();
        let count = |n: usize, what: &str| format!("{n} more {what}{}", if n == 1 { "" } else { "s" });
        Some(match (errors, rest.len() - errors) {
            (e, 0) => format!("… and {}", count(e, "error")),
            (0, w) => format!("… and {}", count(w, "warning")),
            (e, w) => format!("… and {} and {}", count(e, "error"), count(w, "warning")),
        })
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

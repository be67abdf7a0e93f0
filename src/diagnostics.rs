//! `Diagnostics`: the diagnostics of one source text, rendered like the CLI's.

use crate::render::Source;
use asterism_lang::Diagnostic;
use std::fmt;
use std::sync::Arc;

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

    /// The human rendering of SPEC §10.5, with ANSI styles when `color` is set.
    pub fn render(&self, color: bool) -> String {
        Source::new(&self.source).render(&self.items, &self.file, color)
    }

    /// The JSON form of SPEC §11.2: one object per diagnostic.
    pub fn to_json(&self) -> serde_json::Value {
        let source = Source::new(&self.source);
        serde_json::Value::Array(
            self.items.iter().map(|d| serde_json::to_value(source.json(d)).unwrap_or_default()).collect(),
        )
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

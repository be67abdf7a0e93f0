//! The one diagnostic data type of Asterism (SPEC §10).
//!
//! Every stage reports user errors as `Diagnostic` values: a code, a one-line message, a primary
//! byte span and help lines. Rendering (human and JSON) lives in the root package; this module
//! only holds the data and the catalogue of codes.

use crate::span::{LineIndex, Span};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The codes of SPEC §10.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    E001,
    E002,
    E003,
    E004,
    E005,
    E006,
    E007,
    E010,
    E011,
    E012,
    E013,
    E014,
    E015,
    E016,
    E017,
    E020,
    E900,
    W001,
    W002,
    W003,
    W004,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::E001 => "E001",
            Code::E002 => "E002",
            Code::E003 => "E003",
            Code::E004 => "E004",
            Code::E005 => "E005",
            Code::E006 => "E006",
            Code::E007 => "E007",
            Code::E010 => "E010",
            Code::E011 => "E011",
            Code::E012 => "E012",
            Code::E013 => "E013",
            Code::E014 => "E014",
            Code::E015 => "E015",
            Code::E016 => "E016",
            Code::E017 => "E017",
            Code::E020 => "E020",
            Code::E900 => "E900",
            Code::W001 => "W001",
            Code::W002 => "W002",
            Code::W003 => "W003",
            Code::W004 => "W004",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::W001 | Code::W002 | Code::W003 | Code::W004 => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error or warning about a source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The primary span (SPEC §10.2 says which construct it covers for each code).
    pub span: Span,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, message: message.into(), span, help: Vec::new() }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// One line per diagnostic plus one per help line: `3:9-3:10 E020 message`, for logs and
    /// snapshot tests.
    pub fn summary(&self, src: &str, lines: &LineIndex) -> String {
        let (s, e) = (lines.position(src, self.span.start), lines.position(src, self.span.end));
        let mut out = format!("{}:{}-{}:{} {} {}", s.line, s.column, e.line, e.column, self.code, self.message);
        for h in &self.help {
            out.push_str("\n    help: ");
            out.push_str(h);
        }
        out
    }
}

/// Sorts diagnostics by start position, keeping the order of equal positions (SPEC §10.1).
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| d.span.start);
}

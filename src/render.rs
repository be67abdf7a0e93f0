//! Rendering of diagnostics and run errors: the rustc-like human layout of SPEC §10.5 and the JSON
//! form of §11.2.
//!
//! Takes: diagnostics or run errors, the source they refer to and the file name as the user gave
//! it. Gives: text (optionally with ANSI styles, which the caller strips when not writing to a
//! terminal) or JSON values. One layout for both: a run error is shown like a diagnostic without
//! a code, its carets under the failing expression. Never panics on spans outside the text: they
//! are clamped.

use anstyle::{AnsiColor, Style};
use asterism_lang::{Diagnostic, LineIndex, Position, Severity, Span};
use asterism_runtime::RunError;
use serde::Serialize;
use std::fmt::Write;

const ERROR: Style = AnsiColor::BrightRed.on_default().bold();
const WARNING: Style = AnsiColor::BrightYellow.on_default().bold();
const GUTTER: Style = AnsiColor::BrightBlue.on_default().bold();
const BOLD: Style = Style::new().bold();

/// The JSON shape of one diagnostic (SPEC §11.2).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: &'a [String],
}

/// One problem as the layout shows it.
struct Entry<'a> {
    severity: Severity,
    /// `error[E001]`, `warning[W004]`, or `error` for a run error.
    header: String,
    message: &'a str,
    span: Span,
    help: &'a [String],
}

/// Source text with its line index, for rendering.
#[derive(Debug)]
pub struct Source<'a> {
    pub text: &'a str,
    pub lines: LineIndex,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Source<'a> {
        Source { text, lines: LineIndex::new(text) }
    }

    fn position(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    pub fn json<'d>(&self, d: &'d Diagnostic) -> JsonDiagnostic<'d> {
        let start = self.position(d.span.start);
        let end = self.position(d.span.end.max(d.span.start));
        JsonDiagnostic {
            code: d.code.as_str(),
            severity: d.severity().as_str(),
            message: &d.message,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            help: &d.help,
        }
    }

    /// Renders diagnostics in the layout of SPEC §10.5, separated by empty lines.
    pub fn render(&self, diagnostics: &[Diagnostic], file: &str, color: bool) -> String {
        let entries = diagnostics.iter().map(|d| Entry {
            severity: d.severity(),
            header: format!("{}[{}]", d.severity().as_str(), d.code),
            message: &d.message,
            span: d.span,
            help: &d.help,
        });
        self.render_entries(entries, file, color)
    }

    /// Renders the root failures of a run in the same layout, without a code.
    pub fn render_errors(&self, errors: &[RunError], file: &str, color: bool) -> String {
        let entries = errors.iter().map(|e| Entry {
            severity: Severity::Error,
            header: "error".to_string(),
            message: &e.message,
            span: Span::new(e.span().start, e.span().end),
            help: &[],
        });
        self.render_entries(entries, file, color)
    }

    fn render_entries<'e>(&self, entries: impl Iterator<Item = Entry<'e>>, file: &str, color: bool) -> String {
        let mut out = String::new();
        for (i, e) in entries.enumerate() {
            if i > 0 {
                out.push('\n');
            }
            self.render_one(&mut out, &e, file, color);
        }
        out
    }

    fn render_one(&self, out: &mut String, d: &Entry<'_>, file: &str, color: bool) {
        let paint = |style: Style, text: &str| {
            if color { format!("{}{text}{}", style.render(), style.render_reset()) } else { text.to_string() }
        };
        let severity_style = if d.severity == Severity::Error { ERROR } else { WARNING };
        let start = self.position(d.span.start);
        let line_text = self.lines.line_text(self.text, start.line);
        let width = start.line.to_string().len();
        let pad = " ".repeat(width);
        let _ = writeln!(out, "{}{}", paint(severity_style, &d.header), paint(BOLD, &format!(": {}", d.message)));
        let _ = writeln!(out, "{pad}{} {file}:{}:{}", paint(GUTTER, "-->"), start.line, start.column);
        let bar = paint(GUTTER, "|");
        let _ = writeln!(out, "{pad} {bar}");
        let number = paint(GUTTER, &format!("{:>width$}", start.line));
        let _ = writeln!(out, "{number} {bar} {line_text}");
        // One marker column per scalar before the span; TABs are kept so the carets line up.
        let before: String =
            line_text.chars().take(start.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let end = self.position(d.span.end.max(d.span.start));
        let on_line = if end.line == start.line {
            end.column.saturating_sub(start.column)
        } else {
            line_text.chars().count().saturating_sub(start.column - 1)
        };
        let carets = "^".repeat(on_line.max(1));
        let _ = writeln!(out, "{pad} {bar} {before}{}", paint(severity_style, &carets));
        if !d.help.is_empty() {
            let _ = writeln!(out, "{pad} {bar}");
            for h in d.help {
                let _ = writeln!(out, "{pad} {} {h}", paint(BOLD, "= help:"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_lang::{Code, Span};

    #[test]
    fn renders_the_layout_of_the_spec() {
        let src = "type Lead = { name: String, score: Int }\nin lead: Lead\nin threshold: Int\nhot = lead.score >= threshold\nscore = 1\nbonus = scroe + 10\nout bonus\n";
        let start = src.find("scroe").unwrap();
        let d = Diagnostic::new(Code::E001, Span::new(start, start + 5), "Undefined variable: scroe")
            .with_help("did you mean 'score'?");
        let text = Source::new(src).render(&[d], "lead.cst", false);
        assert_eq!(
            text,
            "error[E001]: Undefined variable: scroe\n --> lead.cst:6:9\n  |\n6 | bonus = scroe + 10\n  |         ^^^^^\n  |\n  = help: did you mean 'score'?\n"
        );
    }

    #[test]
    fn tabs_are_kept_and_multiline_spans_end_at_the_line_end() {
        let src = "x =\t[1,\n 2]\nout x";
        let d = Diagnostic::new(Code::W001, Span::new(4, 10), "w");
        let text = Source::new(src).render(&[d], "f.cst", false);
        assert!(text.contains("1 | x =\t[1,\n  |    \t^^^\n"), "{text}");
    }
}

//! Fixture tests of the parsing stage.
//!
//! Every `parse/ok/*.cst` must parse without diagnostics; its snapshot shows the source and the
//! tree as S-expressions (so precedence is visible). Every `parse/err/*.cst` must produce at least
//! one E020; its snapshot shows the source and the diagnostics. For every fixture, all spans must
//! lie in bounds and nest inside their parents.

use asterism_lang::{LineIndex, Parsed, parse, sexpr, validate};
use std::path::Path;

fn parse_fixture(path: &Path) -> (String, Parsed) {
    let src = std::fs::read_to_string(path).expect("fixture is readable");
    let parsed = parse(&src);
    validate::check_spans(&parsed.program, src.len()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for d in &parsed.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= src.len(),
            "{}: diagnostic span {:?}",
            path.display(),
            d.span
        );
    }
    (src, parsed)
}

fn diagnostics(src: &str, parsed: &Parsed) -> String {
    let lines = LineIndex::new(src);
    parsed.diagnostics.iter().map(|d| d.summary(src, &lines) + "\n").collect()
}

#[test]
fn ok_fixtures_parse_cleanly() {
    insta::glob!("parse/ok/*.cst", |path| {
        let (src, parsed) = parse_fixture(path);
        assert!(parsed.diagnostics.is_empty(), "{}:\n{}", path.display(), diagnostics(&src, &parsed));
        insta::assert_snapshot!(format!("{src}\n---- ast ----\n{}", sexpr::program(&parsed.program)));
    });
}

#[test]
fn err_fixtures_report_syntax_errors() {
    insta::glob!("parse/err/*.cst", |path| {
        let (src, parsed) = parse_fixture(path);
        assert!(!parsed.diagnostics.is_empty(), "{} parsed without errors", path.display());
        insta::assert_snapshot!(format!(
            "{src}\n---- diagnostics ----\n{}---- ast ----\n{}",
            diagnostics(&src, &parsed),
            sexpr::program(&parsed.program)
        ));
    });
}

#[test]
fn each_broken_declaration_reports_exactly_one_error_on_its_line() {
    let src = "in x: Int\na = x +\nb = (1 2)\nc = \"\\q\"\nd = x * 2\nout d\n";
    let parsed = parse(src);
    let lines = LineIndex::new(src);
    let at: Vec<usize> = parsed.diagnostics.iter().map(|d| lines.position(src, d.span.start).line).collect();
    assert_eq!(at, [2, 3, 4], "{}", diagnostics(src, &parsed));
    assert_eq!(parsed.program.decls.len(), 6);
}

#[test]
fn long_flat_chains_parse_and_print() {
    let src = format!("x = 0{}\nout x", " + 1".repeat(999));
    let parsed = parse(&src);
    assert!(parsed.diagnostics.is_empty(), "{}", diagnostics(&src, &parsed));
    validate::check_spans(&parsed.program, src.len()).unwrap();
    assert!(sexpr::program(&parsed.program).starts_with("(= x (+ (+ (+"));
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
    // Parentheses add no tree level; brackets do.
    let parens = format!("x = {}1{}\nout x", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse(&parens).diagnostics.is_empty());
    let deep = format!("x = {}1{}\nout x", "[".repeat(100_000), "]".repeat(100_000));
    let parsed = parse(&deep);
    assert_eq!(parsed.diagnostics.len(), 1, "{}", diagnostics(&deep, &parsed));
    assert!(parsed.diagnostics[0].message.starts_with("nesting too deep"));
    let long = format!("x = 0{}\nout x", " + 1".repeat(100_000));
    assert_eq!(parse(&long).diagnostics.len(), 1);
    let types = format!("in x: {}Int{}\nout x", "List<".repeat(50_000), ">".repeat(50_000));
    assert_eq!(parse(&types).diagnostics.len(), 1);
    let deep_type = format!("in x: {}Int{}\nout x", "List<".repeat(101), ">".repeat(101));
    assert_eq!(parse(&deep_type).diagnostics.len(), 1);
}

//! Fixture tests of the checking stage.
//!
//! Every `check/ok/*.cst` must compile without errors (warnings are allowed and shown); its
//! snapshot shows the source, the type of every binding and output, and the warnings. Every
//! `check/err/*.cst` must produce at least one error; its snapshot shows the diagnostics with
//! their help lines. For every fixture the AST spans are checked, and every diagnostic span must
//! lie in the source.

use asterism_compiler::typed::{BindingKind, TypedProgram};
use asterism_compiler::{Checked, check_source as compile};
use asterism_lang::{LineIndex, parse, validate};
use asterism_registry::Registry;
use std::fmt::Write;
use std::path::Path;

fn check_fixture(path: &Path) -> (String, Checked) {
    let src = std::fs::read_to_string(path).expect("fixture is readable");
    validate::check_spans(&parse(&src).program, src.len()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let checked = compile(&src, &Registry::standard());
    for d in &checked.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "{}: span {:?}", path.display(), d.span);
    }
    (src, checked)
}

fn diagnostics(src: &str, checked: &Checked, errors: bool) -> String {
    let lines = LineIndex::new(src);
    checked.diagnostics.iter().filter(|d| d.is_error() == errors).map(|d| d.summary(src, &lines) + "\n").collect()
}

fn types(p: &TypedProgram) -> String {
    let mut out = String::new();
    for b in &p.bindings {
        let kind = if matches!(b.kind, BindingKind::Input) { "in " } else { "" };
        let _ = writeln!(out, "{kind}{}: {}", b.name, b.ty);
    }
    for o in &p.outputs {
        let _ = writeln!(out, "out {}: {}", o.name, o.ty);
    }
    out
}

#[test]
fn ok_fixtures_type_check() {
    insta::glob!("check/ok/*.cst", |path| {
        let (src, checked) = check_fixture(path);
        let errors = diagnostics(&src, &checked, true);
        assert!(errors.is_empty(), "{}:\n{errors}", path.display());
        insta::assert_snapshot!(format!(
            "{src}\n---- types ----\n{}---- warnings ----\n{}",
            types(&checked.program),
            diagnostics(&src, &checked, false)
        ));
    });
}

#[test]
fn err_fixtures_report_errors() {
    insta::glob!("check/err/*.cst", |path| {
        let (src, checked) = check_fixture(path);
        assert!(checked.diagnostics.iter().any(|d| d.is_error()), "{} checked without errors", path.display());
        let all: String = {
            let lines = LineIndex::new(&src);
            checked.diagnostics.iter().map(|d| d.summary(&src, &lines) + "\n").collect()
        };
        insta::assert_snapshot!(format!("{src}\n---- diagnostics ----\n{all}"));
    });
}

#[test]
fn deeply_nested_programs_check_on_a_small_stack() {
    // Test threads have 2 MiB of stack: the checker must not depend on more.
    let sum = format!("in x: Int\ny = x{}\nout y\n", " + x".repeat(999));
    let checked = compile(&sum, &Registry::standard());
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let lists = format!("y = {}1{}\nout y\n", "[".repeat(99), "]".repeat(99));
    assert!(compile(&lists, &Registry::standard()).diagnostics.is_empty());
    let too_deep = format!("y = {}1{}\nout y\n", "[".repeat(999), "]".repeat(999));
    let codes: Vec<_> = compile(&too_deep, &Registry::standard()).diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [asterism_lang::Code::E015]);
    let ifs = format!("in c: Boolean\ny = {}0\nout y\n", "if (c) 1 else ".repeat(999));
    assert!(compile(&ifs, &Registry::standard()).diagnostics.is_empty());
}

#[test]
fn a_mistake_gives_one_diagnostic_not_a_cascade() {
    let src = "in x: Int\ny = undefined + x\nz = y * 2\nw = {a: z}.a\nv = upper(w)\nout v\n";
    let checked = compile(src, &Registry::standard());
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E001"]);
}

#[test]
fn a_broken_declaration_binds_its_name_to_the_error_type() {
    let src = "in x: Int\ny = x +\nz = y * 2\ntype T = {a: \nin t: T\nout z\nout t\n";
    let checked = compile(src, &Registry::standard());
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E020", "E020"], "{}", diagnostics(src, &checked, true));
}

#[test]
fn hosts_register_functions_in_the_signature_language() {
    let mut registry = Registry::standard();
    registry.register_text("ml.embed", "(text: String) -> List<Float>").unwrap();
    registry.register_text("text.upper", "(s: String) -> String").unwrap();
    let ok = compile("in s: String\ne = ml.embed(s)\nd = dot(e, e)\nout d\n", &registry);
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let ambiguous = compile("in s: String\nu = upper(s)\nout u\n", &registry);
    assert_eq!(
        ambiguous.diagnostics[0].message,
        "Ambiguous function 'upper'. Candidates: stdlib.string.upper, text.upper"
    );
}

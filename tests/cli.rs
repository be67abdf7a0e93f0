//! The `asterism check` contract of SPEC §11: exit codes, standard output, JSON shape.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn asterism(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn file(name: &str, contents: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("asterism-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.ends_with('\n') && text.lines().count() == 1, "one JSON document and a newline: {text:?}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_valid_program_exits_0_with_warnings_on_stderr() {
    let path = file("ok.cst", b"in x: Int\nin unused: Int\ny = x + 1\nout y\n");
    let out = asterism(&["check", &path], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("warning[W004]: Input 'unused' is never used\n"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "no colours when stderr is not a terminal");
}

#[test]
fn json_output_has_the_shape_of_the_spec() {
    let path = file("bad.cst", b"in score: Int\nbonus = scroe + 10\nout bonus\n");
    let out = asterism(&["check", &path, "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        doc,
        serde_json::json!({"ok": false, "diagnostics": [{
            "code": "E001", "severity": "error", "message": "Undefined variable: scroe",
            "line": 2, "column": 9, "end_line": 2, "end_column": 14, "help": ["did you mean 'score'?"]
        }]})
    );
    let ok = asterism(&["check", &file("good.cst", b"in x: Int\nout x\n"), "--json"], None);
    assert_eq!(json(&ok), serde_json::json!({"ok": true, "diagnostics": []}));
}

#[test]
fn human_output_is_rendered_like_rustc() {
    let path = file("lead.cst", b"in score: Int\nbonus = scroe + 10\nout bonus\n");
    let out = asterism(&["check", &path], None);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "error[E001]: Undefined variable: scroe\n --> {path}:2:9\n  |\n2 | bonus = scroe + 10\n  |         ^^^^^\n  |\n  = help: did you mean 'score'?\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
}

#[test]
fn dash_reads_standard_input() {
    let out = asterism(&["check", "-", "--json"], Some(b"x = 1\nout x\n"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["ok"], true);
}

#[test]
fn invalid_utf8_is_a_syntax_error() {
    let out = asterism(&["check", "-", "--json"], Some(b"x = \"\xff\"\nout x\n"));
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["diagnostics"][0]["code"], "E020");
    assert_eq!(doc["diagnostics"][0]["message"], "source is not valid UTF-8");
    assert_eq!(doc["diagnostics"][0]["column"], 6);
}

#[test]
fn usage_errors_exit_10_with_empty_stdout() {
    for args in [
        &["check"][..],
        &["check", "/no/such/file.cst", "--json"],
        &["check", "x.cst", "--frobnicate"],
        &["frobnicate"],
        &[],
    ] {
        let out = asterism(args, None);
        assert_eq!(out.status.code(), Some(10), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "--version"] {
        let out = asterism(&[flag], None);
        assert_eq!(out.status.code(), Some(0));
        assert!(!out.stdout.is_empty());
    }
}

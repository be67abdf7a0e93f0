//! `asterism check FILE [--json] [--modules M]...`: diagnostics only (SPEC §11), against the
//! standard library and the modules the manifests bind (nothing is contacted).

use super::modules;
use super::{EXIT_COMPILE_ERROR, eprint, println, read, usage_error};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn check(file: &Path, json: bool, manifests: &[PathBuf]) -> ExitCode {
    let bytes = match read(file) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let engine = match modules::engine(Some(file), manifests, None) {
        Ok(engine) => engine,
        Err(errors) => {
            return modules::failed(&errors, json.then_some(&|d| serde_json::json!({"ok": false, "diagnostics": d})));
        }
    };
    let report = engine.check_bytes(&file.to_string_lossy(), &bytes);
    if json {
        let mut doc = serde_json::json!({ "ok": !report.has_errors(), "diagnostics": report.to_json() });
        if report.omitted() > 0 {
            doc["omitted"] = report.omitted().into();
        }
        println(&doc.to_string());
    } else if !report.is_empty() {
        eprint(&report.render(true));
    }
    ExitCode::from(if report.has_errors() { EXIT_COMPILE_ERROR } else { 0 })
}

//! `asterism check FILE [--json]`: diagnostics only (SPEC §11).

use super::{EXIT_COMPILE_ERROR, eprint, println, read, usage_error};
use asterism::Engine;
use std::path::Path;
use std::process::ExitCode;

pub fn check(file: &Path, json: bool) -> ExitCode {
    let bytes = match read(file) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let report = Engine::new().check_bytes(&file.to_string_lossy(), &bytes);
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

//! Module manifests in the CLI: which are loaded (`--modules FILE`, repeatable, or else the
//! `asterism.toml` beside the pipeline, or else the working directory's), how their problems are
//! shown, and `asterism modules [FILE] [--json]`, which lists what they bind.

use super::{EXIT_COMPILE_ERROR, eprint, println};
use asterism::{Engine, ManifestError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The manifest name looked for when no `--modules` is given.
const MANIFEST: &str = "asterism.toml";

/// The manifests to load for the pipeline at `file`: those given, else the one found.
fn manifests(file: Option<&Path>, given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let beside = file.filter(|f| *f != Path::new("-")).map(|f| f.parent().unwrap_or(Path::new("")).join(MANIFEST));
    let here = PathBuf::from(MANIFEST);
    beside.into_iter().chain([here]).find(|p| p.is_file()).into_iter().collect()
}

/// An engine with the manifests of the pipeline at `file` loaded; their problems, if any.
/// An engine with the manifests of `file` (or `given`) loaded, its call results kept in
/// `cache_dir` when one is given (`--cache-dir`).
pub fn engine(file: Option<&Path>, given: &[PathBuf], cache_dir: Option<&Path>) -> Result<Engine, Vec<ManifestError>> {
    let mut engine = Engine::new();
    if let Some(dir) = cache_dir {
        engine.set_cache_dir(dir);
    }
    for manifest in manifests(file, given) {
        engine.load_manifest(&manifest)?;
    }
    Ok(engine)
}

/// Manifest problems as diagnostics of SPEC §11.2's shape, with the manifest's path.
pub fn diagnostics_json(errors: &[ManifestError]) -> serde_json::Value {
    let one = |e: &ManifestError| {
        serde_json::json!({
            "code": "manifest", "severity": "error", "message": e.message, "file": e.at.file.to_string_lossy(),
            "line": e.at.line, "column": e.at.column, "end_line": e.at.line, "end_column": e.at.column, "help": [],
        })
    };
    errors.iter().map(one).collect()
}

/// Shows manifest problems on standard error (or, with `json`, `document` on standard output,
/// given the diagnostics) and gives the exit code of a compile error.
pub fn failed(errors: &[ManifestError], json: Option<&dyn Fn(serde_json::Value) -> serde_json::Value>) -> ExitCode {
    match json {
        Some(document) => println(&document(diagnostics_json(errors)).to_string()),
        None => eprint(
            &errors.iter().map(|e| format!("error[manifest]: {}\n  --> {}\n", e.message, e.at)).collect::<String>(),
        ),
    }
    ExitCode::from(EXIT_COMPILE_ERROR)
}

/// `asterism modules [FILE] [--modules M]... [--json]`.
pub fn modules(file: Option<&Path>, given: &[PathBuf], json: bool) -> ExitCode {
    let engine = match engine(file, given, None) {
        Ok(engine) => engine,
        Err(errors) => {
            return failed(&errors, json.then_some(&|d| serde_json::json!({"modules": [], "diagnostics": d})));
        }
    };
    let bound = engine.bound_modules();
    if json {
        let list: Vec<serde_json::Value> = bound
            .iter()
            .map(|m| {
                serde_json::json!({"name": m.name, "kind": m.kind, "signature": m.signature, "version": m.version,
                    "declared": m.declared.to_string()})
            })
            .collect();
        println(&serde_json::json!({ "modules": list }).to_string());
        return ExitCode::SUCCESS;
    }
    if bound.is_empty() {
        eprint(&format!("no modules bound: no {MANIFEST} beside the pipeline or here, and no --modules FILE\n"));
        return ExitCode::SUCCESS;
    }
    let width = |f: &dyn Fn(&asterism::BoundModule) -> usize| bound.iter().map(f).max().unwrap_or(0);
    let (name_w, kind_w, sig_w) = (width(&|m| m.name.len()), width(&|m| m.kind.len()), width(&|m| m.signature.len()));
    for m in bound {
        println(&format!("{:name_w$}  {:kind_w$}  {:sig_w$}  {}", m.name, m.kind, m.signature, m.declared));
    }
    ExitCode::SUCCESS
}

//! `asterism compile FILE --emit ir|dag|json|dot`: print what a stage produces.

use super::{EXIT_COMPILE_ERROR, Emit, eprint, modules, println, read, usage_error};
use asterism_registry::dag;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn compile(path: &Path, emit: Emit, manifests: &[PathBuf]) -> ExitCode {
    let bytes = match read(path) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let engine = match modules::engine(Some(path), manifests, None) {
        Ok(engine) => engine,
        Err(errors) => return modules::failed(&errors, None),
    };
    let file = &*path.to_string_lossy();
    let Ok(source) = std::str::from_utf8(&bytes) else {
        eprint(&engine.check_bytes(file, &bytes).render(true));
        return ExitCode::from(EXIT_COMPILE_ERROR);
    };
    let spec = match emit {
        Emit::Ir => asterism_compiler::ir(source, engine.registry()).map_err(|_| engine.check(file, source)),
        _ => engine.compile(file, source).map(|p| p.spec().clone()),
    };
    match spec {
        Ok(spec) => {
            println(&match emit {
                Emit::Ir | Emit::Dag => dag::text::render(&spec),
                Emit::Json => serde_json::to_string_pretty(&spec).unwrap_or_default(),
                Emit::Dot => dag::text::dot(&spec),
            });
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprint(&diagnostics.render(true));
            ExitCode::from(EXIT_COMPILE_ERROR)
        }
    }
}

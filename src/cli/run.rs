//! `asterism run FILE [-i NAME=VALUE]... [-f INPUTS.json | -f -] [--json] [--stream] [--stats]`
//! (SPEC §11).
//!
//! Compiles FILE (or takes its plan from the on-disk cache), reads the inputs, runs, and reports:
//! with `--json` one document on standard output; otherwise the outputs, pretty-printed, on
//! standard output and warnings, failures and input errors on standard error; with `--stream` one
//! JSON line per output as it is ready, then the final document. `--stats` adds the run time, the
//! call-cache counters and the batches sent on standard error; `--explain` why each call ran or
//! not; `--profile` where the run's time went (`--profile-json FILE` the same as a document);
//! `--cache-dir DIR` keeps call results on disk.

use super::{EXIT_COMPILE_ERROR, EXIT_FAILED, EXIT_INPUT_ERROR, eprint, inputs, modules, println, read, usage_error};
use asterism::Profile;
use asterism::diagnostics::MAX_SHOWN;
use asterism::plan_cache;
use asterism::render::Source;
use asterism::{Diagnostics, Engine, Inputs, Layout, Notice, Outcome, Pipeline, Status};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub struct Args {
    pub file: PathBuf,
    pub inputs: Vec<String>,
    pub file_inputs: Option<PathBuf>,
    pub json: bool,
    pub stream: bool,
    pub stats: bool,
    pub limits: asterism::Limits,
    pub explain: bool,
    pub profiling: super::profile::Profiling,
    /// Module manifests given with `--modules`.
    pub modules: Vec<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let pairs = match inputs::pairs(&args.inputs) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let stdin = Path::new("-");
    if args.file == stdin && args.file_inputs.as_deref() == Some(stdin) {
        return usage_error("standard input can hold the pipeline or the inputs, not both");
    }
    let bytes = match read(&args.file) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let mut engine = match modules::engine(Some(&args.file), &args.modules, args.cache_dir.as_deref()) {
        Ok(engine) => engine,
        Err(errors) => {
            let json = |d| serde_json::json!({"status": "compile_error", "diagnostics": d});
            return modules::failed(&errors, (args.json || args.stream).then_some(&json));
        }
    };
    engine.set_reporter(|notice: Notice| eprint(&format!("{notice}\n")));
    engine.set_limits(args.limits);
    let mut profiler = args.profiling.attach(&mut engine);
    let name = args.file.to_string_lossy();
    let (pipeline, to_cache) = match pipeline(&engine, &name, &bytes) {
        Ok(p) => p,
        Err(diagnostics) => {
            if args.json {
                let mut doc = serde_json::json!({"status": "compile_error", "diagnostics": diagnostics.to_json()});
                if diagnostics.omitted() > 0 {
                    doc["omitted"] = diagnostics.omitted().into();
                }
                println(&doc.to_string());
            } else {
                eprint(&diagnostics.render(true));
            }
            return ExitCode::from(EXIT_COMPILE_ERROR);
        }
    };
    if !pipeline.warnings().is_empty() {
        eprint(&pipeline.warnings().render(true));
    }
    let pipeline = match &mut profiler {
        Some(profiler) => profiler.watch(&pipeline),
        None if args.explain => pipeline.with_profile(Arc::new(Profile::new(&pipeline.graph_sizes()))),
        None => pipeline,
    };
    let document = inputs::document(args.file_inputs.as_deref());
    let inputs = match document.and_then(|doc| pipeline.parse_inputs_given(&doc, &pairs)) {
        Ok(inputs) => inputs,
        Err(errors) => return input_error(&errors, args.json),
    };
    // The pipeline compiled and took its inputs: worth keeping.
    if let Some(path) = to_cache {
        plan_cache::store(&path, pipeline.spec());
    }
    let started = std::time::Instant::now();
    let outcome = if args.stream { stream(&pipeline, &inputs) } else { pipeline.run_blocking(&inputs) };
    let elapsed = started.elapsed();
    let code = report(&args, &name, &bytes, &outcome);
    if args.explain
        && let Some(profile) = pipeline.profile()
    {
        let lines = asterism::explain::explain(&engine, pipeline.spec(), profile);
        eprint(&lines.iter().map(|e| format!("explain: {e}\n")).collect::<String>());
    }
    if args.stats {
        eprint(&stats(&engine, elapsed));
    }
    let source = String::from_utf8_lossy(&bytes);
    if let Err(failed) = args.profiling.finish(profiler.as_ref(), (&engine, &pipeline), &name, &source) {
        return failed;
    }
    code
}

/// The `--stats` lines: run time, then one line per call cache used, then one per batched
/// function.
fn stats(engine: &Engine, elapsed: std::time::Duration) -> String {
    let plural = |n: u64, word: &str, words: &str| format!("{n} {}", if n == 1 { word } else { words });
    let mut text = format!("stats: run took {elapsed:.2?}\n");
    let caches = engine.cache_rows();
    if caches.is_empty() {
        text.push_str("stats: no call cache was used\n");
    }
    for line in caches.iter().flat_map(|c| c.lines()) {
        text.push_str(&format!("stats: {line}\n"));
    }
    for (name, b) in engine.batch_stats() {
        let sizes: Vec<String> = b.sizes.iter().rev().map(|(size, n)| format!("{size}×{n}")).collect();
        text.push_str(&format!(
            "stats: '{name}': {} for {} (sizes: {})\n",
            plural(b.batches, "batch", "batches"),
            plural(b.executions, "call", "calls"),
            sizes.join(", ")
        ));
    }
    text
}

/// The pipeline of `bytes`: from the plan cache, or compiled; with the cache entry to store it in
/// when it was compiled without warnings.
fn pipeline(engine: &Engine, file: &str, bytes: &[u8]) -> Result<(Pipeline, Option<PathBuf>), Diagnostics> {
    let Ok(source) = std::str::from_utf8(bytes) else { return Err(engine.check_bytes(file, bytes)) };
    let cached = plan_cache::path(source, engine.registry());
    let loaded = cached.as_deref().and_then(|path| {
        plan_cache::load(path).unwrap_or_else(|damaged| {
            eprint(&format!("warning: {damaged}\n"));
            None
        })
    });
    if let Some(spec) = loaded
        && let Ok(p) = engine.load(spec)
    {
        return Ok((p, None));
    }
    let p = engine.compile(file, source)?;
    let store = cached.filter(|_| p.warnings().is_empty());
    Ok((p, store))
}

fn input_error(errors: &[String], json: bool) -> ExitCode {
    if json {
        println(&serde_json::json!({"status": "input_error", "errors": errors}).to_string());
    } else {
        eprint(&errors.iter().map(|e| format!("error: {e}\n")).collect::<String>());
    }
    ExitCode::from(EXIT_INPUT_ERROR)
}

/// Runs with each output printed as a JSON line the moment it is ready, preceded by the pieces
/// its module sends (`{"output": …, "partial": "…"}`).
fn stream(pipeline: &Pipeline, inputs: &Inputs) -> Outcome {
    let pipeline = pipeline.with_partials(|name, piece| {
        println(&format!(
            "{{\"output\":{},\"partial\":{}}}",
            serde_json::Value::from(name),
            serde_json::Value::from(piece)
        ));
    });
    pipeline.run_blocking_with(inputs, &mut |name, value| {
        let value = pipeline.output_json(name, value, Layout::Compact).unwrap_or_default();
        println(&format!("{{\"output\":{},\"value\":{value}}}", serde_json::Value::from(name)));
    })
}

fn report(args: &Args, name: &str, source: &[u8], outcome: &Outcome) -> ExitCode {
    if args.json || args.stream {
        println(&outcome.to_json());
    } else {
        println(&outcome.outputs_json(Layout::Pretty));
        let source = String::from_utf8_lossy(source);
        let errors = outcome.errors();
        let shown = &errors[..errors.len().min(MAX_SHOWN)];
        eprint(&Source::new(&source).render_errors(shown, name, true));
        if errors.len() > shown.len() {
            eprint(&format!("\n… and {} more errors\n", errors.len() - shown.len()));
        }
    }
    ExitCode::from(if outcome.status() == Status::Completed { 0 } else { EXIT_FAILED })
}

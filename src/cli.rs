//! Command-line parsing, exit codes and the helpers every command shares.
//!
//! Exit codes (SPEC §11.4): 0 completed / no error, 1 compile error, 2 runtime failure, 3 invalid
//! or missing input, 10 usage error (then nothing is written on standard output); and 74 when
//! standard output could not be written (a full disk, a broken device — a closed pipe is not an
//! error: the reader has what it wanted), with `error: cannot write output: …` on standard error.

mod batch;
mod cache;
mod check;
mod compile;
mod inputs;
mod modules;
mod profile;
mod run;
#[cfg(feature = "serve")]
mod serve;
mod viz;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Largest source file accepted: anything bigger is certainly not a hand-written pipeline.
const MAX_SOURCE_BYTES: u64 = 64 << 20;

pub const EXIT_COMPILE_ERROR: u8 = 1;
pub const EXIT_FAILED: u8 = 2;
pub const EXIT_INPUT_ERROR: u8 = 3;
pub const EXIT_USAGE: u8 = 10;
/// Standard output could not be written (sysexits' EX_IOERR).
pub const EXIT_OUTPUT: u8 = 74;

/// The first failure to write standard output, if any.
static OUTPUT_FAILURE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[derive(Debug, Parser)]
#[command(name = "asterism", version, about = "Compile and run constellation-lang pipelines")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile FILE and run it with the given inputs ('-' reads the source from standard input)
    Run {
        file: PathBuf,
        /// An input: NAME=VALUE, VALUE parsed as JSON when valid, else taken as a string
        #[arg(short = 'i', value_name = "NAME=VALUE")]
        input: Vec<String>,
        /// A JSON object of inputs ('-' reads standard input); -i values override its keys
        #[arg(short = 'f', value_name = "INPUTS.json")]
        file_inputs: Option<PathBuf>,
        /// Print one JSON document: {"status": …, "outputs": {…}, …}
        #[arg(long)]
        json: bool,
        /// Print each output as a JSON line as soon as it is ready, then the final document
        #[arg(long)]
        stream: bool,
        /// After the run, print the run time, the call caches' hits, misses and entries, and the
        /// batches sent, on standard error
        #[arg(long)]
        stats: bool,
        /// The longest the run may take (e.g. 500ms, 30s, 2min); nodes still running then fail
        #[arg(long, value_name = "DURATION", value_parser = asterism::limits::parse_duration)]
        max_time: Option<std::time::Duration>,
        /// The most memory the run's values may take (e.g. 512MiB, 2GiB; default 1GiB)
        #[arg(long, value_name = "SIZE", value_parser = asterism::limits::parse_size)]
        max_memory: Option<u64>,
        /// Both budgets at once (e.g. memory=512MiB,time=30s); --max-memory and --max-time
        /// override its parts
        #[arg(long, value_name = "memory=SIZE,time=DURATION", value_parser = parse_resources)]
        max_resources: Option<Resources>,
        /// After the run, say on standard error for each call why it ran or did not: executed,
        /// served by its cache (from which tier), joined an identical call, or skipped and why
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        profiling: profile::Profiling,
        #[command(flatten)]
        modules: Manifests,
        #[command(flatten)]
        caching: Caching,
    },
    /// Parse and type-check FILE ('-' reads standard input)
    Check {
        file: PathBuf,
        /// Print {"ok": …, "diagnostics": […]} on standard output
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        modules: Manifests,
    },
    /// Compile FILE and print a stage's product
    Compile {
        file: PathBuf,
        /// What to print
        #[arg(long, value_enum, default_value_t = Emit::Dag)]
        emit: Emit,
        #[command(flatten)]
        modules: Manifests,
    },
    /// Draw the pipeline's DAG: SVG, an HTML page, Mermaid or DOT
    Viz(viz::Args),
    /// Run PIPELINE once per row of INPUT (NDJSON or CSV), writing the outputs of each row
    Batch(batch::Args),
    /// Serve pipelines over HTTP (docs/serve.md); each FILE is compiled at start and named by its
    /// stem (examples/hello.cst is 'hello'). API keys come from ASTERISM_API_KEYS="key:Role,…"
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Show or empty the call caches that outlive a process (disk, Redis) the manifest declares
    /// or --cache-dir names
    Cache(cache::Args),
    /// List the modules bound by the manifests of FILE (or of this folder)
    Modules {
        file: Option<PathBuf>,
        /// Print {"modules": [{"name", "kind", "signature", "version", "declared"}, …]}
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        modules: Manifests,
    },
}

/// The module manifests a command loads.
#[derive(Debug, clap::Args)]
pub struct Manifests {
    /// A module manifest to load (repeatable); without it, asterism.toml beside the pipeline or
    /// in the working directory
    #[arg(long = "modules", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Where call results are kept beyond the process.
#[derive(Debug, Default, clap::Args)]
pub struct Caching {
    /// Keep call results (`with cache`) on disk in DIR, shared by every process that names it:
    /// caches the manifest does not declare become memory in front of DIR
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// The products `compile --emit` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The program after lowering, before optimisation
    Ir,
    /// The planned DagSpec, as text
    Dag,
    /// The planned DagSpec, as JSON
    Json,
    /// The planned DagSpec as a Graphviz graph
    Dot,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => EXIT_USAGE,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check { file, json, modules } => check::check(&file, json, &modules.files),
        Command::Run {
            file,
            input,
            file_inputs,
            json,
            stream,
            stats,
            max_time,
            max_memory,
            max_resources,
            explain,
            profiling,
            modules,
            caching,
        } => {
            let both = max_resources.unwrap_or_default();
            let mut limits = asterism::Limits::default();
            limits.max_time = max_time.or(both.time);
            limits.max_memory = max_memory.or(both.memory).unwrap_or(limits.max_memory);
            run::run(run::Args {
                file,
                inputs: input,
                file_inputs,
                json,
                stream,
                stats,
                limits,
                explain,
                profiling,
                modules: modules.files,
                cache_dir: caching.cache_dir,
            })
        }
        Command::Compile { file, emit, modules } => compile::compile(&file, emit, &modules.files),
        Command::Modules { file, json, modules } => modules::modules(file.as_deref(), &modules.files, json),
        Command::Batch(args) => batch::batch(args),
        Command::Cache(args) => cache::cache(args),
        Command::Viz(args) => viz::viz(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::serve(args),
    };
    match OUTPUT_FAILURE.get() {
        Some(e) => {
            eprint(&format!("error: cannot write output: {e}\n"));
            ExitCode::from(EXIT_OUTPUT)
        }
        None => code,
    }
}

/// The budgets `--max-resources` sets; a part not written keeps its default.
#[derive(Clone, Copy, Debug, Default)]
struct Resources {
    memory: Option<u64>,
    time: Option<std::time::Duration>,
}

/// `memory=512MiB,time=30s`, either part alone, in any order.
fn parse_resources(text: &str) -> Result<Resources, String> {
    let mut resources = Resources::default();
    for part in text.split(',') {
        match part.split_once('=') {
            Some(("memory", size)) if resources.memory.is_none() => {
                resources.memory = Some(asterism::limits::parse_size(size)?)
            }
            Some(("time", duration)) if resources.time.is_none() => {
                resources.time = Some(asterism::limits::parse_duration(duration)?)
            }
            _ => return Err(format!("'{part}' is not memory=SIZE or time=DURATION (each at most once)")),
        }
    }
    Ok(resources)
}

/// Reads a file, or standard input for `-`, refusing absurd sizes. Paths need not be UTF-8.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let shown = path.display();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_SOURCE_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("cannot read '{shown}'"))?;
        // Sized from the start: a large inputs document is read once, not copied as it grows.
        let size = f.metadata().map_or(0, |m| m.len()).min(MAX_SOURCE_BYTES + 1);
        bytes.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
        f.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read '{shown}'"))?;
    }
    anyhow::ensure!(bytes.len() as u64 <= MAX_SOURCE_BYTES, "'{shown}' is larger than {} MiB", MAX_SOURCE_BYTES >> 20);
    Ok(bytes)
}

pub fn usage_error(e: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(anstream::stderr(), "error: {e:#}");
    ExitCode::from(EXIT_USAGE)
}

/// Writes a line to standard output and flushes it. A closed pipe is ignored; any other failure
/// is kept, and makes the command end with `EXIT_OUTPUT`.
pub fn println(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = OUTPUT_FAILURE.set(e.to_string());
    }
}

/// Writes text to standard error (styles are stripped when it is not a terminal).
pub fn eprint(text: &str) {
    let _ = write!(anstream::stderr(), "{text}");
}

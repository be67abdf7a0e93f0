//! `asterism batch PIPELINE INPUT [-o OUT] …`: every row of INPUT one run (docs/batch.md).
//!
//! Formats by extension or `--format` (NDJSON when `-` names standard input or output); failed
//! rows to `--errors FILE` as JSON lines, else on standard error; the summary on standard error
//! (`--json`: as a document). `--resume` counts the rows an interrupted batch wrote to OUT and to
//! the errors file — in input order, they are the first rows of the input — skips that many and
//! appends the rest. Exit codes: 0 every row completed, 2 some row failed (or the batch
//! stopped at one with `--fail-fast`), 1 compile error, 3 the input cannot be read as rows of the
//! pipeline (a CSV header without an input's column), 10 usage, 74 the output cannot be written,
//! 130 stopped by Ctrl-C (the rows started were finished and written). On a terminal, a progress
//! bar on standard error. `--profile` / `--profile-json FILE`: where the rows' time went.

use super::{
    EXIT_COMPILE_ERROR, EXIT_FAILED, EXIT_INPUT_ERROR, EXIT_OUTPUT, Manifests, eprint, modules, read, usage_error,
};
use asterism::batch::{self, Format, Hooks, Options, Row, Stopped};
use asterism::{Notice, Outcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Read;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pipeline to run
    pipeline: PathBuf,
    /// The rows: NDJSON (.ndjson, .jsonl) or CSV (.csv); '-' reads standard input
    input: PathBuf,
    /// Where the outputs go ('-', the default, is standard output)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// The format of input and output when their names do not say (ndjson or csv)
    #[arg(long, value_parser = Format::parse)]
    format: Option<Format>,
    /// The most runs in flight at once (for pipelines calling models and services)
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Write outputs as runs finish, not in input order
    #[arg(long)]
    unordered: bool,
    /// Write each failed row (number, input, errors, outputs finished) to FILE as a JSON line
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    /// Stop at the first failed row
    #[arg(long)]
    fail_fast: bool,
    /// Print the summary as a JSON document
    #[arg(long)]
    json: bool,
    /// Go on with an interrupted batch: the rows already in OUT and in the --errors FILE are
    /// skipped, and the rest appended (needs -o OUT, --errors FILE and input order)
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    profiling: super::profile::Profiling,
    #[command(flatten)]
    modules: Manifests,
    #[command(flatten)]
    caching: super::Caching,
}

/// Failed rows shown on standard error when there is no `--errors` file.
const SHOWN: u64 = 10;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

/// A reader counting the bytes it gave (the progress bar's position).
struct Counted<R>(R, Arc<AtomicU64>);

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A progress bar on standard error when it is a terminal: bytes read of the input's size (rows
/// and the rate when the size is unknown), rows, failures and the time left.
fn progress_bar(size: Option<u64>) -> Option<ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let (bar, template) = match size {
        Some(size) => (ProgressBar::new(size), "{bar:30} {percent:>3}% {msg} ({binary_bytes_per_sec}, {eta} left)"),
        None => (ProgressBar::no_length(), "{spinner} {msg} ({binary_bytes_per_sec})"),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(bar)
}

pub fn batch(args: Args) -> ExitCode {
    let stdio = Path::new("-");
    let output_path = args.output.clone().unwrap_or_else(|| stdio.to_path_buf());
    let format_of = |path: &Path| args.format.or_else(|| Format::of(path)).unwrap_or(Format::Ndjson);
    if args.input != stdio && args.format.is_none() && Format::of(&args.input).is_none() {
        return usage_error(format!("{}: say its format with --format ndjson|csv|parquet", args.input.display()));
    }
    let formats = format_of(&args.input).supported().and_then(|i| Ok((i, format_of(&output_path).supported()?)));
    let (input_format, output_format) = match formats {
        Ok(formats) => formats,
        Err(why) => return usage_error(why),
    };
    if input_format == Format::Parquet && args.input == stdio {
        return usage_error("Parquet is read from a file, not standard input (its footer comes last)");
    }
    if output_format == Format::Parquet && args.resume {
        return usage_error("--resume cannot append to a Parquet file (its footer comes last)");
    }
    let mut options = Options {
        input: input_format,
        output: output_format,
        concurrency: args.concurrency.max(1),
        ordered: !args.unordered,
        fail_fast: args.fail_fast,
        skip: 0,
        append: false,
    };
    if args.resume {
        let Some(errors) = args.errors.as_deref().filter(|_| output_path != stdio && !args.unordered) else {
            return usage_error("--resume needs -o OUT and --errors FILE, in input order (not --unordered)");
        };
        let done = done_rows(&output_path, options.output).and_then(|out| Ok(out + done_rows(errors, Format::Ndjson)?));
        match done {
            Ok(done) => (options.skip, options.append) = (done, true),
            Err(e) => return usage_error(format!("cannot resume: {e}")),
        }
    }
    let source = match read(&args.pipeline).map(String::from_utf8) {
        Ok(Ok(source)) => source,
        Ok(Err(_)) => return usage_error(format!("{}: not UTF-8 text", args.pipeline.display())),
        Err(e) => return usage_error(e),
    };
    let mut engine = match modules::engine(Some(&args.pipeline), &args.modules.files, args.caching.cache_dir.as_deref())
    {
        Ok(engine) => engine,
        Err(errors) => return modules::failed(&errors, None),
    };
    engine.set_reporter(|notice: Notice| eprint(&format!("{notice}\n")));
    let mut profiler = args.profiling.attach(&mut engine);
    let name = args.pipeline.to_string_lossy();
    let pipeline = match engine.compile(&name, &source) {
        Ok(p) => p,
        Err(diagnostics) => {
            eprint(&diagnostics.render(std::io::IsTerminal::is_terminal(&std::io::stderr())));
            return ExitCode::from(EXIT_COMPILE_ERROR);
        }
    };
    let pipeline = match &mut profiler {
        Some(profiler) => profiler.watch(&pipeline),
        None => pipeline,
    };
    let read = Arc::new(AtomicU64::new(0));
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = match args.input == stdio {
        true => (Box::new(Counted(std::io::stdin(), read.clone())), None),
        false => match std::fs::File::open(&args.input) {
            #[cfg(feature = "parquet")]
            Ok(f) if options.input == Format::Parquet => match batch::parquet::reader(f, &pipeline) {
                // Read as its rows' NDJSON; its size says nothing of how far that is.
                Ok(lines) => (Box::new(Counted(lines, read.clone())), None),
                Err(why) => {
                    eprint(&format!("error: {}: {why}\n", args.input.display()));
                    return ExitCode::from(EXIT_INPUT_ERROR);
                }
            },
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(Counted(f, read.clone())), size)
            }
            Err(e) => return usage_error(format!("{}: {e}", args.input.display())),
        },
    };
    if options.input == Format::Parquet {
        options.input = Format::Ndjson; // its rows come as NDJSON lines
    }
    let output: Box<dyn Write + Send> = match output_path == stdio {
        true => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout())),
        false => match open(&output_path, args.resume) {
            Ok(f) => Box::new(BufWriter::with_capacity(1 << 16, f)),
            Err(e) => return usage_error(format!("{}: {e}", output_path.display())),
        },
    };
    let mut errors_file = match &args.errors {
        None => None,
        Some(path) => match open(path, args.resume) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(e) => return usage_error(format!("{}: {e}", path.display())),
        },
    };
    let mut written = Ok(());
    let mut shown = 0u64;
    let mut failed = |row: &Row, outcome: Option<&Outcome>| match errors_file.as_mut() {
        Some(file) => {
            if written.is_ok() {
                written = file.write_all(batch::failure_json(row, outcome).as_bytes());
            }
        }
        None => {
            shown += 1;
            if shown <= SHOWN {
                eprint(&format!("error: row {}: {}\n", row.number, why(row, outcome)));
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage_error(format!("cannot start the async runtime: {e}")),
    };
    // Ctrl-C: no new row starts; the rows in flight finish and are written.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stopping.send(true);
        }
    });
    let bar = progress_bar(size);
    let mut progress = |summary: &batch::Summary| {
        if let Some(bar) = &bar
            && summary.rows.is_multiple_of(256)
        {
            bar.set_position(read.load(Ordering::Relaxed));
            bar.set_message(format!("{} rows, {} failed", summary.rows, summary.failed));
        }
    };
    let hooks = Hooks { failed: &mut failed, progress: &mut progress, stop };
    let (summary, stopped) = runtime.block_on(batch::run(&pipeline, input, output, hooks, &options));
    runtime.shutdown_background();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let written = written.and_then(|()| errors_file.map_or(Ok(()), |mut f| f.flush()));
    if shown > SHOWN {
        eprint(&format!("… and {} more failed rows (--errors FILE keeps them all)\n", shown - SHOWN));
    }
    match args.json {
        true => eprint(&format!("{}\n", summary.json())),
        false => eprint(&format!("{}\n", summary.text())),
    }
    if let Err(failed) = args.profiling.finish(profiler.as_ref(), (&engine, &pipeline), &name, &source) {
        return failed;
    }
    match (stopped, written) {
        (Some(Stopped::Output(e)), _) => {
            eprint(&format!("error: cannot write the output: {e}\n"));
            ExitCode::from(EXIT_OUTPUT)
        }
        (_, Err(e)) => {
            eprint(&format!("error: cannot write the errors file: {e}\n"));
            ExitCode::from(EXIT_OUTPUT)
        }
        (Some(Stopped::Interrupted), _) => {
            eprint("interrupted: the rows started were finished and written\n");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        (Some(Stopped::Input(why)), _) => {
            eprint(&format!("error: {why}\n"));
            ExitCode::from(EXIT_INPUT_ERROR)
        }
        (None, _) if summary.failed > 0 => ExitCode::from(EXIT_FAILED),
        (None, _) => ExitCode::SUCCESS,
    }
}

/// A file to write: appended to when resuming, else created anew.
fn open(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    match append {
        true => std::fs::OpenOptions::new().append(true).create(true).open(path),
        false => std::fs::File::create(path),
    }
}

/// How many rows a file an interrupted batch wrote holds (a CSV's header not counted). A last
/// line cut short (the batch was killed mid-write) is removed, so its row runs again.
fn done_rows(path: &Path, format: Format) -> std::io::Result<u64> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
    if whole < bytes.len() {
        std::fs::OpenOptions::new().write(true).open(path)?.set_len(whole as u64)?;
    }
    let bytes = &bytes[..whole];
    Ok(match format {
        Format::Ndjson => bytes.iter().filter(|b| **b == b'\n').count() as u64,
        Format::Csv => csv::Reader::from_reader(bytes).records().count() as u64,
        Format::Parquet => return Err(std::io::Error::other("a Parquet file is not resumed")),
    })
}

/// Why a row failed, in a line.
fn why(row: &Row, outcome: Option<&Outcome>) -> String {
    match (&row.inputs, outcome) {
        (Err(problems), _) => problems.join("; "),
        (Ok(_), Some(o)) => {
            o.errors().iter().map(|e| format!("{} (line {})", e.message, e.line)).collect::<Vec<_>>().join("; ")
        }
        (Ok(_), None) => "not run".to_string(),
    }
}

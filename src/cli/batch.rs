//! `asterism batch PIPELINE INPUT [-o OUT] …`: every row of INPUT one run (docs/batch.md).
//!
//! Formats by extension or `--format` (NDJSON when `-` names standard input or output); failed
//! rows to `--errors FILE` as JSON lines, else on standard error; the summary on standard error
//! (`--json`: as a document). Exit codes: 0 every row completed, 2 some row failed (or the batch
//! stopped at one with `--fail-fast`), 1 compile error, 3 the input cannot be read as rows of the
//! pipeline (a CSV header without an input's column), 10 usage, 74 the output cannot be written.

use super::{
    EXIT_COMPILE_ERROR, EXIT_FAILED, EXIT_INPUT_ERROR, EXIT_OUTPUT, Manifests, eprint, modules, read, usage_error,
};
use asterism::batch::{self, Format, Options, Row, Stopped};
use asterism::{Notice, Outcome};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    #[command(flatten)]
    modules: Manifests,
}

/// Failed rows shown on standard error when there is no `--errors` file.
const SHOWN: u64 = 10;

pub fn batch(args: Args) -> ExitCode {
    let stdio = Path::new("-");
    let output_path = args.output.clone().unwrap_or_else(|| stdio.to_path_buf());
    let format_of = |path: &Path| args.format.or_else(|| Format::of(path)).unwrap_or(Format::Ndjson);
    if args.input != stdio && args.format.is_none() && Format::of(&args.input).is_none() {
        return usage_error(format!("{}: say its format with --format ndjson|csv", args.input.display()));
    }
    let options = Options {
        input: format_of(&args.input),
        output: format_of(&output_path),
        concurrency: args.concurrency.max(1),
        ordered: !args.unordered,
        fail_fast: args.fail_fast,
    };
    let source = match read(&args.pipeline).map(String::from_utf8) {
        Ok(Ok(source)) => source,
        Ok(Err(_)) => return usage_error(format!("{}: not UTF-8 text", args.pipeline.display())),
        Err(e) => return usage_error(e),
    };
    let mut engine = match modules::engine(Some(&args.pipeline), &args.modules.files) {
        Ok(engine) => engine,
        Err(errors) => return modules::failed(&errors, None),
    };
    engine.set_reporter(|notice: Notice| eprint(&format!("{notice}\n")));
    let pipeline = match engine.compile(&args.pipeline.to_string_lossy(), &source) {
        Ok(p) => p,
        Err(diagnostics) => {
            eprint(&diagnostics.render(std::io::IsTerminal::is_terminal(&std::io::stderr())));
            return ExitCode::from(EXIT_COMPILE_ERROR);
        }
    };
    let input: Box<dyn BufRead + Send> = match args.input == stdio {
        true => Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())),
        false => match std::fs::File::open(&args.input) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(e) => return usage_error(format!("{}: {e}", args.input.display())),
        },
    };
    let output: Box<dyn Write + Send> = match output_path == stdio {
        true => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout())),
        false => match std::fs::File::create(&output_path) {
            Ok(f) => Box::new(BufWriter::with_capacity(1 << 16, f)),
            Err(e) => return usage_error(format!("{}: {e}", output_path.display())),
        },
    };
    let mut errors_file = match &args.errors {
        None => None,
        Some(path) => match std::fs::File::create(path) {
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
    let (summary, stopped) = runtime.block_on(batch::run(&pipeline, input, output, &mut failed, &options));
    runtime.shutdown_background();
    let written = written.and_then(|()| errors_file.map_or(Ok(()), |mut f| f.flush()));
    if shown > SHOWN {
        eprint(&format!("… and {} more failed rows (--errors FILE keeps them all)\n", shown - SHOWN));
    }
    match args.json {
        true => eprint(&format!("{}\n", summary.json())),
        false => eprint(&format!("{}\n", summary.text())),
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
        (Some(Stopped::Input(why)), _) => {
            eprint(&format!("error: {why}\n"));
            ExitCode::from(EXIT_INPUT_ERROR)
        }
        (None, _) if summary.failed > 0 => ExitCode::from(EXIT_FAILED),
        (None, _) => ExitCode::SUCCESS,
    }
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

//! The `asterism` command (SPEC §11): `check` a pipeline and report diagnostics.
//!
//! Exit codes: 0 no error, 1 compile error, 10 usage error (unknown command or flag, missing or
//! unreadable FILE). With `--json`, standard output holds exactly one JSON document.

use anyhow::Context;
use asterism::Engine;
use clap::{Parser, Subcommand};
use std::io::{Read, Write};
use std::process::ExitCode;

/// Largest source file accepted: anything bigger is certainly not a hand-written pipeline.
const MAX_SOURCE_BYTES: u64 = 64 << 20;

#[derive(Debug, Parser)]
#[command(name = "asterism", version, about = "Compile and run constellation-lang pipelines")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and type-check FILE ('-' reads standard input)
    Check {
        file: String,
        /// Print {"ok": …, "diagnostics": […]} on standard output
        #[arg(long)]
        json: bool,
    },
}

const EXIT_COMPILE_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 10;

fn main() -> ExitCode {
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
    match cli.command {
        Command::Check { file, json } => check(&file, json),
    }
}

fn read_source(file: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_SOURCE_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("cannot read '{file}'"))?;
        f.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read '{file}'"))?;
    }
    anyhow::ensure!(bytes.len() as u64 <= MAX_SOURCE_BYTES, "'{file}' is larger than {} MiB", MAX_SOURCE_BYTES >> 20);
    Ok(bytes)
}

fn usage_error(e: anyhow::Error) -> ExitCode {
    let mut err = anstream::stderr();
    let _ = writeln!(err, "error: {e:#}");
    ExitCode::from(EXIT_USAGE)
}

fn check(file: &str, json: bool) -> ExitCode {
    let bytes = match read_source(file) {
        Ok(b) => b,
        Err(e) => return usage_error(e),
    };
    let engine = Engine::new();
    let report = engine.check_bytes(file, &bytes);
    if json {
        let doc = serde_json::json!({ "ok": !report.has_errors(), "diagnostics": report.to_json() });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{doc}");
    } else if !report.items().is_empty() {
        let mut err = anstream::stderr();
        let _ = write!(err, "{}", report.render(true));
    }
    ExitCode::from(if report.has_errors() { EXIT_COMPILE_ERROR } else { 0 })
}

//! `asterism serve [PIPELINE.cst …] [--addr 127.0.0.1:8080] [--modules FILE] …` (docs/serve.md).
//!
//! Loads the manifests, compiles each pipeline given (named by its file stem) before listening,
//! sets up the logs (`RUST_LOG`, else `--log`; text or `--log-format json`, on standard error),
//! then serves until Ctrl-C or SIGTERM and exits 0 once the runs in flight finished or the grace
//! period passed. Exit codes: 1 a pipeline or manifest does not compile, 10 a bad flag, API key
//! list or address that cannot be bound.

use super::{EXIT_COMPILE_ERROR, EXIT_USAGE, Manifests, eprint, modules, read, usage_error};
use asterism::limits::{parse_duration, parse_size};
use asterism::serve::{ApiKeys, Config, RateLimit, Server, stop_signal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Pipelines to serve from the start, each named by its file stem
    #[arg(value_name = "PIPELINE")]
    pipelines: Vec<PathBuf>,
    /// The address to listen on; the default takes connections from this machine only
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The largest request body (default 10MiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_body: Option<u64>,
    /// The most runs executing at once; past it requests get 503 (default 1024)
    #[arg(long, value_name = "N")]
    max_runs: Option<usize>,
    /// How long a run may take; past it the answer is 504 with the outputs finished (default 30s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_time: Option<Duration>,
    /// How long runs in flight may take to finish after Ctrl-C or SIGTERM (default 30s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    grace: Option<Duration>,
    /// Requests each client address may make: RATE/s or RATE/min, and :BURST (e.g. 600/min:50)
    #[arg(long, value_name = "RATE", value_parser = RateLimit::parse)]
    rate_limit: Option<RateLimit>,
    /// Requests each API key may make, as --rate-limit
    #[arg(long, value_name = "RATE", value_parser = RateLimit::parse)]
    key_rate_limit: Option<RateLimit>,
    /// A folder of compiled plans replicas share
    #[arg(long, value_name = "DIR")]
    plan_dir: Option<PathBuf>,
    /// The log level when RUST_LOG is not set (error, warn, info, debug, trace)
    #[arg(long, default_value = "info")]
    log: String,
    /// How log lines are written
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(flatten)]
    modules: Manifests,
    #[command(flatten)]
    caching: super::Caching,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

pub fn serve(args: Args) -> ExitCode {
    logs(&args.log, args.log_format);
    let mut config = Config::default();
    if let Some(keys) = std::env::var("ASTERISM_API_KEYS").ok().filter(|k| !k.trim().is_empty()) {
        match ApiKeys::parse(&keys) {
            Ok(keys) => config.api_keys = Some(keys),
            Err(e) => return usage_error(format!("ASTERISM_API_KEYS: {e}")),
        }
    }
    config.max_body = args.max_body.map_or(config.max_body, |b| usize::try_from(b).unwrap_or(usize::MAX));
    config.max_runs = args.max_runs.unwrap_or(config.max_runs).max(1);
    config.max_time = args.max_time.or(config.max_time);
    config.grace = args.grace.unwrap_or(config.grace);
    config.rate_limit = args.rate_limit;
    config.key_rate_limit = args.key_rate_limit;
    config.plan_dir = args.plan_dir;
    let engine = match modules::engine(
        args.pipelines.first().map(PathBuf::as_path),
        &args.modules.files,
        args.caching.cache_dir.as_deref(),
    ) {
        Ok(engine) => engine,
        Err(errors) => return modules::failed(&errors, None),
    };
    let open = config.api_keys.is_none();
    let server = Server::new(engine, config);
    for file in &args.pipelines {
        let Some(name) = file.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            return usage_error(format!("{}: not a file", file.display()));
        };
        let source = match read(file).map(String::from_utf8) {
            Ok(Ok(source)) => source,
            Ok(Err(_)) => return usage_error(format!("{}: not UTF-8 text", file.display())),
            Err(e) => return usage_error(e),
        };
        if let Err(diagnostics) = server.preload(&name, &source) {
            eprint(&diagnostics.render(anstream::stderr().is_terminal()));
            return ExitCode::from(EXIT_COMPILE_ERROR);
        }
        tracing::info!(target: "asterism::serve", "serving {} as '{name}'", file.display());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage_error(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.addr).await {
            Ok(l) => l,
            Err(e) => return usage_error(format!("cannot listen on {}: {e}", args.addr)),
        };
        let addr = listener.local_addr().map_or(args.addr.clone(), |a| a.to_string());
        if open && !listener.local_addr().is_ok_and(|a| a.ip().is_loopback()) {
            tracing::warn!(target: "asterism::serve", "listening beyond this machine without API keys (ASTERISM_API_KEYS)");
        }
        tracing::info!(target: "asterism::serve", "listening on http://{addr}");
        match server.serve(listener, stop_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(target: "asterism::serve", "the server stopped: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        }
    })
}

/// Log lines on standard error: `RUST_LOG` when set, else `level`.
fn logs(level: &str, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

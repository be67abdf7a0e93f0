//! `asterism serve`: pipelines behind an HTTP API compatible with the reference's (docs/serve.md).
//!
//! Takes: an `Engine` (its host modules and manifests registered), a `Config`, pipelines to hold
//! from the start, a TCP listener and a future that says when to stop. Gives: the routes
//! `/compile`, `/run`, `/execute` (JSON, or outputs streamed as server-sent events or NDJSON),
//! `/pipelines[/{ref}]`, `/modules`, `/health[/live|/ready]` and `/metrics`. Guarantees: every
//! refusal has its status and an `{error, message, requestId}` body — 400 naming the JSON path,
//! 401/403 (API keys), 404, 413 (body size), 429 (rate, with `Retry-After`), 503 (runs in flight
//! at their bound, with `Retry-After`: never a queue), 504 (a run past its deadline, with the
//! outputs it finished); a failing, panicking or hanging module fails only its run; on the stop
//! signal the server accepts nothing new and gives runs in flight the grace period to finish.
//! Floors: `time`, `tally`, `store`, `auth`, `rate` → `metrics` → `state` → `reply` → `guard`, `pipelines`
//! → `execute`, `health` → `routes` → this face.

mod auth;
mod execute;
mod guard;
mod health;
mod metrics;
mod pipelines;
mod rate;
mod reply;
mod routes;
mod state;
mod store;
mod tally;
mod time;

pub use auth::{ApiKeys, Role};
pub use rate::RateLimit;

use crate::{Diagnostics, Engine};
use state::State;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How a server behaves; `Config::default()` is what `asterism serve` does without flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// The largest request body (413 past it). Default 10 MiB.
    pub max_body: usize,
    /// The most runs executing at once (503 past it). Default 1,024.
    pub max_runs: usize,
    /// How long a run may take (504 past it, with the outputs finished). Default 30 s.
    pub max_time: Option<Duration>,
    /// How long runs in flight may take to finish once the stop signal came. Default 30 s.
    pub grace: Duration,
    /// API keys; without them every route is open.
    pub api_keys: Option<ApiKeys>,
    /// The rate limit of each client address, and of each API key.
    pub rate_limit: Option<RateLimit>,
    pub key_rate_limit: Option<RateLimit>,
    /// A folder of compiled plans (the plan cache's format) shared by replicas.
    pub plan_dir: Option<PathBuf>,
    /// The most pipelines held (`/compile` is refused past it). Default 1,024.
    pub max_pipelines: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body: 10 << 20,
            max_runs: 1024,
            max_time: Some(Duration::from_secs(30)),
            grace: Duration::from_secs(30),
            api_keys: None,
            rate_limit: None,
            key_rate_limit: None,
            plan_dir: None,
            max_pipelines: 1024,
        }
    }
}

/// A server ready to listen: its engine, its pipelines and its routes.
#[derive(Debug)]
pub struct Server {
    state: Arc<State>,
}

impl Server {
    /// A server running pipelines with `engine`'s modules. Its module calls are timed for
    /// `/metrics`, and its runs get the deadline of `config`.
    pub fn new(engine: Engine, config: Config) -> Server {
        Server { state: State::new(engine, config) }
    }

    /// Compiles `source` and holds it under `name` (a file stem: `hello`); its hash.
    pub fn preload(&self, name: &str, source: &str) -> Result<String, Diagnostics> {
        let file = format!("{name}.cst");
        let pipeline = self.state.compile(&file, source)?;
        let stored = self.state.store.insert(pipeline, source, Some(name)).map_err(|e| {
            let d = asterism_lang::Diagnostic::new(asterism_lang::Code::E900, Default::default(), format!("{e:?}"));
            Diagnostics::new(&file, source, vec![d])
        })?;
        Ok(stored.hash.clone())
    }

    /// The routes, to nest in a host's own axum app (serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` for rate limits per address).
    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Serves on `listener` until `stop` completes; then accepts nothing new and waits for the
    /// requests in flight, at most the grace period.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let app = self.router().into_make_service_with_connect_info::<SocketAddr>();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let draining = state.clone();
        let signal = async move {
            stop.await;
            draining.drain();
            tracing::info!(target: "asterism::serve", "stopping: no new requests, runs in flight may finish");
            let _ = stopped_tx.send(());
        };
        let server = axum::serve(listener, app).with_graceful_shutdown(signal);
        let grace = state.config.grace;
        let deadline = async move {
            if stopped_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = server => served,
            () = deadline => {
                tracing::warn!(target: "asterism::serve", "grace period over: runs still in flight are dropped");
                Ok(())
            }
        }
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

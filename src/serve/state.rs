//! What every request of a server shares: the engine, the pipelines held, the bound on runs in
//! flight, the limits, the metrics, and whether the server is stopping.
//!
//! Takes: an engine and a `Config`. Gives: `State`, and compilation through the plan folder when
//! the config names one. Guarantees: the engine's host and manifest modules report their calls
//! to the metrics; its runs get the config's deadline.

use super::Config;
use super::metrics::{EngineOf, Metrics};
use super::rate::Buckets;
use super::store::Store;
use crate::{Diagnostics, Engine, Limits, Pipeline, plan_cache};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug)]
pub struct State {
    pub engine: Arc<Engine>,
    pub config: Config,
    pub store: Store,
    /// Runs executing now (at most `config.max_runs`).
    in_flight: Arc<AtomicUsize>,
    pub metrics: Arc<Metrics>,
    pub by_address: Option<Buckets<IpAddr>>,
    pub by_key: Option<Buckets<[u8; 8]>>,
    pub started: Instant,
    draining: AtomicBool,
}

impl State {
    pub fn new(mut engine: Engine, config: Config) -> Arc<State> {
        Arc::new_cyclic(|weak: &std::sync::Weak<State>| {
            let engine_of = weak.clone();
            let in_flight = Arc::new(AtomicUsize::new(0));
            let engine_of: EngineOf = Box::new(move || engine_of.upgrade().map(|s| s.engine.clone()));
            let metrics = Arc::new(Metrics::new(engine_of, in_flight.clone()));
            engine.observe_calls(metrics.clone());
            engine.set_limits(Limits { max_time: config.max_time, ..Limits::default() });
            State {
                engine: Arc::new(engine),
                store: Store::new(config.max_pipelines),
                in_flight,
                metrics,
                by_address: config.rate_limit.map(Buckets::new),
                by_key: config.key_rate_limit.map(Buckets::new),
                started: Instant::now(),
                draining: AtomicBool::new(false),
                config,
            }
        })
    }

    /// Compiles `source`, through the plan folder when there is one: a plan another replica
    /// stored there is loaded instead of compiled, and a plan compiled here without warnings is
    /// stored for the others.
    pub fn compile(&self, file: &str, source: &str) -> Result<Pipeline, Diagnostics> {
        let Some(dir) = &self.config.plan_dir else { return self.engine.compile(file, source) };
        let path = plan_cache::path_in(dir, source, self.engine.registry());
        match plan_cache::load(&path) {
            Ok(Some(spec)) => match self.engine.load(spec) {
                Ok(pipeline) => return Ok(pipeline),
                Err(e) => tracing::warn!(target: "asterism::serve", "a stored plan does not load: {e}"),
            },
            Ok(None) => {}
            Err(damaged) => tracing::warn!(target: "asterism::serve", "{damaged}"),
        }
        let pipeline = self.engine.compile(file, source)?;
        if pipeline.warnings().is_empty() {
            plan_cache::store(&path, pipeline.spec());
        }
        Ok(pipeline)
    }

    /// A place among the runs in flight, if one is free: held until dropped.
    pub fn place(&self) -> Option<Place> {
        if self.in_flight.fetch_add(1, Ordering::Relaxed) >= self.config.max_runs {
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Place(self.in_flight.clone()))
    }

    /// From now on the server is stopping: `/health` says so and new runs are refused.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// A run's place among the runs in flight.
#[derive(Debug)]
pub struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

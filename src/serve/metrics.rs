//! The server's metrics: counted as runs and module calls happen, read by `GET /metrics`.
//!
//! Takes: each run's status and duration, each module call (as the engine's `CallObserver`),
//! each answered request, and the engine's call-cache and batch counters at scrape time. Gives:
//! Prometheus text (prometheus-client, names prefixed `asterism_`) and a JSON document of the same
//! counts. Guarantees: one registry per server (two servers in a process count apart); label
//! sets are bounded by what the server has (run statuses, module names, response codes).

use crate::{CallObserver, Engine};
use parking_lot::Mutex;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type Label = [(&'static str, String); 1];

fn seconds() -> Histogram {
    // 50 µs to ~6.7 min.
    Histogram::new(exponential_buckets(0.00005, 2.0, 24))
}

/// How a run ended, as the metrics count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Completed,
    Failed,
    /// Past the server's deadline.
    TimedOut,
    /// Its client left before it ended.
    Cancelled,
}

impl RunEnd {
    fn label(self) -> &'static str {
        match self {
            RunEnd::Completed => "completed",
            RunEnd::Failed => "failed",
            RunEnd::TimedOut => "timed_out",
            RunEnd::Cancelled => "cancelled",
        }
    }
}

/// The calls of one module so far.
#[derive(Clone, Copy, Debug, Default)]
struct Calls {
    calls: u64,
    failures: u64,
    seconds: f64,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    runs: Family<Label, Counter>,
    run_seconds: Histogram,
    in_flight: Gauge,
    requests: Family<Label, Counter>,
    module_seconds: Family<Label, Histogram, fn() -> Histogram>,
    module_failures: Family<Label, Counter>,
    /// The same calls, for the JSON document.
    calls: Mutex<BTreeMap<String, Calls>>,
    requests_total: AtomicU64,
}

impl Metrics {
    /// The metrics of a server whose engine `engine` gives (its caches and batches are read at
    /// each scrape).
    pub fn new(engine: EngineOf) -> Metrics {
        let mut registry = Registry::with_prefix("asterism");
        let m = Metrics {
            runs: Family::default(),
            run_seconds: seconds(),
            in_flight: Gauge::default(),
            requests: Family::default(),
            module_seconds: Family::new_with_constructor(seconds),
            module_failures: Family::default(),
            calls: Mutex::new(BTreeMap::new()),
            requests_total: AtomicU64::new(0),
            registry: Registry::default(),
        };
        registry.register("runs", "Runs by how they ended", m.runs.clone());
        registry.register("run_seconds", "How long runs took", m.run_seconds.clone());
        registry.register("runs_in_flight", "Runs being executed now", m.in_flight.clone());
        registry.register("http_requests", "Requests answered, by status code", m.requests.clone());
        registry.register("module_call_seconds", "How long module calls took", m.module_seconds.clone());
        registry.register("module_call_failures", "Module calls that failed", m.module_failures.clone());
        registry.register_collector(Box::new(EngineCounters(engine)));
        Metrics { registry, ..m }
    }

    pub fn run_started(&self) {
        self.in_flight.inc();
    }

    pub fn run_ended(&self, end: RunEnd, took: Duration) {
        self.in_flight.dec();
        self.runs.get_or_create(&[("status", end.label().to_string())]).inc();
        self.run_seconds.observe(took.as_secs_f64());
    }

    pub fn answered(&self, code: u16) {
        self.requests_total.fetch_add(1, Ordering::Relaxed);
        self.requests.get_or_create(&[("code", code.to_string())]).inc();
    }

    /// Prometheus text exposition.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The JSON document of `GET /metrics`.
    pub fn json(&self, engine: &Engine, uptime: Duration) -> serde_json::Value {
        let runs: serde_json::Map<String, serde_json::Value> =
            [RunEnd::Completed, RunEnd::Failed, RunEnd::TimedOut, RunEnd::Cancelled]
                .into_iter()
                .map(|end| (end.label().to_string(), self.count(&self.runs, end.label()).into()))
                .collect();
        let modules: serde_json::Map<String, serde_json::Value> = self
            .calls
            .lock()
            .iter()
            .map(|(name, c)| {
                let mean = if c.calls == 0 { 0.0 } else { c.seconds / c.calls as f64 };
                (name.clone(), serde_json::json!({"calls": c.calls, "failures": c.failures, "meanSeconds": mean}))
            })
            .collect();
        let caches: serde_json::Map<String, serde_json::Value> = engine
            .call_cache_stats()
            .into_iter()
            .map(|(name, s)| (name, serde_json::json!({"hits": s.hits, "misses": s.misses, "entries": s.entries})))
            .collect();
        let batches: serde_json::Map<String, serde_json::Value> = engine
            .batch_stats()
            .into_iter()
            .map(|(name, s)| {
                let sizes: serde_json::Map<String, serde_json::Value> =
                    s.sizes.iter().map(|(size, n)| (size.to_string(), (*n).into())).collect();
                (name, serde_json::json!({"batches": s.batches, "executions": s.executions, "sizes": sizes}))
            })
            .collect();
        serde_json::json!({
            "timestamp": super::time::rfc3339(std::time::SystemTime::now()),
            "runs": runs,
            "runsInFlight": self.in_flight.get(),
            "modules": modules,
            "cache": caches,
            "batches": batches,
            "server": {"uptime_seconds": uptime.as_secs(), "requests_total": self.requests_total.load(Ordering::Relaxed)},
        })
    }

    fn count(&self, family: &Family<Label, Counter>, value: &str) -> u64 {
        family.get_or_create(&[("status", value.to_string())]).get()
    }
}

impl CallObserver for Metrics {
    fn call(&self, function: &str, took: Duration, ok: bool) {
        let label = [("module", function.to_string())];
        self.module_seconds.get_or_create(&label).observe(took.as_secs_f64());
        if !ok {
            self.module_failures.get_or_create(&label).inc();
        }
        let mut calls = self.calls.lock();
        let c = calls.entry(label[0].1.clone()).or_default();
        c.calls += 1;
        c.failures += u64::from(!ok);
        c.seconds += took.as_secs_f64();
    }
}

/// Gives the server's engine, while there is one.
pub type EngineOf = Box<dyn Fn() -> Option<Arc<Engine>> + Send + Sync>;

/// The engine's call-cache and batch counters, read at each scrape.
struct EngineCounters(EngineOf);

impl std::fmt::Debug for EngineCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineCounters")
    }
}

impl Collector for EngineCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(engine) = (self.0)() else { return Ok(()) };
        let caches = engine.call_cache_stats();
        for (name, help, pick) in [
            ("cache_hits", "Calls answered by a call cache", (|s| s.hits) as fn(&crate::CacheStats) -> u64),
            ("cache_misses", "Calls a call cache did not answer", |s| s.misses),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, ConstCounter::<u64>::TYPE)?;
            for (backend, stats) in &caches {
                let label = [("cache", backend.as_str())];
                ConstCounter::new(pick(stats)).encode(family.encode_family(&label)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "batch_size",
            "Executions per batch sent by batched modules",
            None,
            MetricType::Histogram,
        )?;
        for (module, stats) in engine.batch_stats() {
            let bounds = [1usize, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
            let mut buckets: Vec<(f64, u64)> = bounds.iter().map(|b| (*b as f64, 0)).collect();
            buckets.push((f64::MAX, 0));
            let mut sum = 0.0;
            for (size, n) in &stats.sizes {
                sum += (*size as u64 * n) as f64;
                let at = bounds.iter().position(|b| size <= b).unwrap_or(bounds.len());
                buckets[at].1 += n;
            }
            let label = [("module", module.as_str())];
            family.encode_family(&label)?.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                sum,
                stats.batches,
                &buckets,
                None,
            )?;
        }
        Ok(())
    }
}

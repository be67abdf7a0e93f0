//! The server's metrics: counted as runs and module calls happen, read by `GET /metrics`.
//!
//! Takes: each run's status and duration, each module call (as the engine's `CallObserver`),
//! each answered request, and the engine's call-cache and batch counters at scrape time. Gives:
//! Prometheus text (prometheus-client, names prefixed `asterism_`) and a JSON document of the same
//! counts. Guarantees: one registry per server (two servers in a process count apart); label
//! sets are bounded by what the server has (run statuses, module names, response codes).

use super::tally::{self, Tally};
use crate::{CallObserver, Engine};
use asterism_runtime::TierStats;
use parking_lot::Mutex;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

const ENDS: [RunEnd; 4] = [RunEnd::Completed, RunEnd::Failed, RunEnd::TimedOut, RunEnd::Cancelled];

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

/// Where the run counters sit in the tally: a slot per `RunEnd`, then 200 answers, then the
/// runs' summed nanoseconds, then the buckets of their times.
const OK: usize = 4;
const NANOS: usize = 5;
const BUCKETS: usize = 6;
/// The upper bounds of the run time buckets: 50 µs doubling up to ~6.7 min (24), then +Inf.
fn bound(i: usize) -> f64 {
    0.00005 * f64::powi(2.0, i as i32)
}
const BOUNDS: usize = tally::SLOTS - BUCKETS - 1;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    module_seconds: Family<Label, Histogram, fn() -> Histogram>,
    module_failures: Family<Label, Counter>,
    /// The same calls, for the JSON document.
    calls: Mutex<BTreeMap<String, Calls>>,
    hot: Arc<Hot>,
}

/// What every request counts, read at scrape time.
#[derive(Debug, Default)]
struct Hot {
    tally: Tally,
    /// Answers other than 200, by code.
    other: Mutex<BTreeMap<u16, u64>>,
    /// Runs executing now (the server's bound is kept on it).
    in_flight: Arc<AtomicUsize>,
}

impl Metrics {
    /// The metrics of a server whose engine `engine` gives (its caches and batches are read at
    /// each scrape), and whose runs in flight `in_flight` counts.
    pub fn new(engine: EngineOf, in_flight: Arc<AtomicUsize>) -> Metrics {
        let mut registry = Registry::with_prefix("asterism");
        let hot = Arc::new(Hot { in_flight, ..Hot::default() });
        let module_seconds: Family<Label, Histogram, fn() -> Histogram> = Family::new_with_constructor(seconds);
        let module_failures = Family::<Label, Counter>::default();
        registry.register_collector(Box::new(HotCounters(hot.clone())));
        registry.register("module_call_seconds", "How long module calls took", module_seconds.clone());
        registry.register("module_call_failures", "Module calls that failed", module_failures.clone());
        registry.register_collector(Box::new(EngineCounters(engine)));
        Metrics { registry, module_seconds, module_failures, calls: Mutex::new(BTreeMap::new()), hot }
    }

    pub fn run_ended(&self, end: RunEnd, took: Duration) {
        let tally = &self.hot.tally;
        tally.add(end as usize, 1);
        tally.add(NANOS, took.as_nanos() as u64);
        let secs = took.as_secs_f64();
        tally.add(BUCKETS + (0..BOUNDS).find(|i| secs <= bound(*i)).unwrap_or(BOUNDS), 1);
    }

    pub fn answered(&self, code: u16) {
        match code {
            200 => self.hot.tally.add(OK, 1),
            _ => *self.hot.other.lock().entry(code).or_default() += 1,
        }
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
            ENDS.into_iter().map(|end| (end.label().to_string(), self.hot.tally.get(end as usize).into())).collect();
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
            .cache_rows()
            .into_iter()
            .map(|c| {
                (
                    c.name.clone(),
                    serde_json::json!({"hits": c.hits, "joined": c.joined, "misses": c.misses, "tiers": c.tiers}),
                )
            })
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
            "runsInFlight": self.hot.in_flight.load(Ordering::Relaxed),
            "modules": modules,
            "cache": caches,
            "batches": batches,
            "server": {"uptime_seconds": uptime.as_secs(), "requests_total": self.hot.requests()},
        })
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

impl Hot {
    fn requests(&self) -> u64 {
        self.tally.get(OK) + self.other.lock().values().sum::<u64>()
    }
}

/// The counters of every request: runs by how they ended, their times, those in flight, and the
/// answers by status code.
#[derive(Debug)]
struct HotCounters(Arc<Hot>);

impl Collector for HotCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let hot = &self.0;
        let mut runs = encoder.encode_descriptor("runs", "Runs by how they ended", None, MetricType::Counter)?;
        for end in ENDS {
            let label = [("status", end.label())];
            ConstCounter::new(hot.tally.get(end as usize)).encode(runs.encode_family(&label)?)?;
        }
        let count: u64 = ENDS.iter().map(|end| hot.tally.get(*end as usize)).sum();
        let sum = hot.tally.get(NANOS) as f64 / 1e9;
        let mut buckets: Vec<(f64, u64)> = (0..BOUNDS).map(|i| (bound(i), hot.tally.get(BUCKETS + i))).collect();
        buckets.push((f64::MAX, hot.tally.get(BUCKETS + BOUNDS)));
        encoder
            .encode_descriptor("run_seconds", "How long runs took", None, MetricType::Histogram)?
            .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        let in_flight = hot.in_flight.load(Ordering::Relaxed) as i64;
        ConstGauge::new(in_flight).encode(encoder.encode_descriptor(
            "runs_in_flight",
            "Runs being executed now",
            None,
            MetricType::Gauge,
        )?)?;
        let mut answers = encoder.encode_descriptor(
            "http_requests",
            "Requests answered, by status code",
            None,
            MetricType::Counter,
        )?;
        let mut codes = hot.other.lock().clone();
        codes.insert(200, hot.tally.get(OK));
        for (code, n) in codes {
            let label = [("code", code.to_string())];
            ConstCounter::new(n).encode(answers.encode_family(&label)?)?;
        }
        Ok(())
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
        for (name, help, pick) in [
            ("cache_tier_hits", "Lookups a cache tier answered", (|t| t.hits) as fn(&TierStats) -> u64),
            ("cache_tier_misses", "Lookups a cache tier did not answer", |t| t.misses),
            ("cache_tier_writes", "Values a cache tier stored (fills from the tier below included)", |t| t.writes),
            ("cache_tier_fills", "Values a cache tier stored because a tier below had them", |t| t.fills),
            ("cache_tier_errors", "Lookups and writes of a cache tier that failed", |t| t.errors),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, ConstCounter::<u64>::TYPE)?;
            for (backend, stats) in &caches {
                for tier in &stats.tiers {
                    let label =
                        [("cache", backend.as_str()), ("tier", tier.name.as_str()), ("kind", tier.kind.as_str())];
                    ConstCounter::new(pick(tier)).encode(family.encode_family(&label)?)?;
                }
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
            family.encode_family(&label)?.encode_histogram::<NoLabelSet>(sum, stats.batches, &buckets, None)?;
        }
        Ok(())
    }
}

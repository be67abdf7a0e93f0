//! Profiles (`run --profile`, `batch --profile`): where a pipeline's runs spent their time.
//!
//! Takes: an engine before it compiles (`Profiler::attach` watches its module calls), the
//! pipeline to profile (`Profiler::watch` gives the same pipeline, its runs profiled), and then
//! any number of runs. Gives: a `Report` — per node of the main graph: calls, failures, total,
//! mean and longest running time, mean time waiting on inputs, its share of all nodes' time,
//! retries and cache hits; the critical path (the chain of nodes whose mean times add up to the
//! most); per module: calls, failures, times and batch sizes; per call cache: hits and misses; the
//! process's peak memory. As a table for people (`table`), as JSON for tools, and as each node's
//! `Heat` for `viz`. Guarantees: the report of a JSON document written by `--profile-json` reads
//! back (`Report::from_json`), so `viz --profile` colours a picture from a saved profile.
//!
//! Children: `calls` (the module-call observer), `critical` (the longest path), `table`.

mod calls;
mod critical;
mod table;

use crate::cache::CacheRow;
use crate::viz::{self, Heat};
use crate::{Engine, Pipeline};
use asterism_runtime::{NodeTimes, Profile};
use calls::Calls;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Watches an engine's module calls and a pipeline's runs.
#[derive(Debug)]
pub struct Profiler {
    calls: Arc<Calls>,
    nodes: Option<Arc<Profile>>,
    begun: Instant,
}

/// What a profile found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub pipeline: String,
    /// The pipeline's hash (hex): a saved profile colours only the pipeline it was taken of.
    pub hash: String,
    pub runs: u64,
    /// From `watch` to the report.
    pub wall_ms: f64,
    /// The process's peak resident memory (Linux; none elsewhere).
    pub peak_memory_bytes: Option<u64>,
    /// The critical path's mean time per run.
    pub critical_path_ms: f64,
    /// The output the critical path ends at, if it reaches one.
    pub critical_output: Option<String>,
    /// The pipeline's outputs, in order.
    pub outputs: Vec<String>,
    /// The nodes of the picture (`viz`), in the main graph's order.
    pub nodes: Vec<NodeRow>,
    pub modules: Vec<ModuleRow>,
    pub caches: Vec<CacheRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRow {
    /// Its index in the main graph.
    pub node: usize,
    pub title: String,
    /// input, module, operation.
    pub kind: String,
    pub line: u32,
    pub calls: u64,
    pub failed: u64,
    pub total_ms: f64,
    pub mean_us: f64,
    pub longest_us: f64,
    /// Mean time from its run's start until it began.
    pub waiting_mean_us: f64,
    /// Its share of the time all nodes ran, 0 to 1.
    pub share: f64,
    pub retries: u64,
    pub cache_hits: u64,
    /// Of the cache hits, those served by each tier of its cache, top first.
    #[serde(default)]
    pub tier_hits: Vec<u64>,
    /// Of the cache hits, calls that joined an identical call in flight.
    #[serde(default)]
    pub joined: u64,
    pub critical: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleRow {
    pub name: String,
    /// Calls (of a batched module: batches sent).
    pub calls: u64,
    pub failed: u64,
    pub total_ms: f64,
    pub mean_us: f64,
    pub longest_us: f64,
    pub batches: u64,
    pub mean_batch: f64,
    pub largest_batch: usize,
}

impl Profiler {
    /// Watches the calls of every module `engine` has registered; call it after the last
    /// registration and before compiling.
    pub fn attach(engine: &mut Engine) -> Profiler {
        let calls = Arc::new(Calls::default());
        engine.observe_calls(calls.clone());
        Profiler { calls, nodes: None, begun: Instant::now() }
    }

    /// `pipeline`, its runs profiled from now on.
    pub fn watch(&mut self, pipeline: &Pipeline) -> Pipeline {
        let profile = Arc::new(Profile::new(&pipeline.graph_sizes()));
        self.nodes = Some(profile.clone());
        self.begun = Instant::now();
        pipeline.with_profile(profile)
    }

    /// What the runs so far of the pipeline watched (compiled by `engine` from `source`, named
    /// `name`) found.
    pub fn report(&self, engine: &Engine, pipeline: &Pipeline, name: &str, source: &str) -> Report {
        let graph = viz::graph(engine, pipeline, source);
        let profile = self.nodes.as_deref();
        let times = profile.map(Profile::nodes).unwrap_or_default();
        let runs = profile.map_or(0, Profile::runs);
        let at = |spec: Option<usize>| spec.and_then(|i| times.get(i)).copied().unwrap_or_default();
        // Mean time per run, in ms: what the critical path adds up.
        let weights: Vec<f64> = graph.nodes.iter().map(|n| ms(at(n.spec).running) / runs.max(1) as f64).collect();
        let (path, critical_path_ms) = critical::longest(&weights, &graph.edges);
        let outputs: Vec<String> = pipeline.outputs().map(|(name, _)| name.to_string()).collect();
        let critical_output = path.last().and_then(|&k| outputs.get(graph.nodes[k].output?)).cloned();
        let nodes = node_rows(&graph, pipeline, &times, &path);
        let modules = self.module_rows(engine);
        let caches = engine.cache_rows().into_iter().filter(|c| c.hits + c.misses > 0).collect();
        Report {
            pipeline: name.to_string(),
            hash: pipeline.hash_hex(),
            runs,
            wall_ms: ms(self.begun.elapsed()),
            peak_memory_bytes: peak_memory(),
            critical_path_ms,
            critical_output,
            outputs,
            nodes,
            modules,
            caches,
        }
    }
}

impl Profiler {
    /// Per module watched: calls, failures, times, and the batches sent.
    fn module_rows(&self, engine: &Engine) -> Vec<ModuleRow> {
        let batches = engine.batch_stats();
        self.calls
            .totals()
            .into_iter()
            .map(|(name, t)| {
                let b = batches.iter().find(|(f, _)| *f == name).map(|(_, b)| b.clone()).unwrap_or_default();
                let sent: u64 = b.sizes.iter().map(|(size, n)| *size as u64 * n).sum();
                ModuleRow {
                    calls: t.calls,
                    failed: t.failed,
                    total_ms: ms(t.total),
                    mean_us: us(t.total) / t.calls.max(1) as f64,
                    longest_us: us(t.longest),
                    batches: b.batches,
                    mean_batch: sent as f64 / b.batches.max(1) as f64,
                    largest_batch: b.sizes.keys().next_back().copied().unwrap_or(0),
                    name,
                }
            })
            .collect()
    }
}

/// A row per node of the picture that shows a main-graph node, from its totals (`times`, by
/// main-graph index); `path` is the critical path, by picture index.
fn node_rows(graph: &viz::model::Graph, pipeline: &Pipeline, times: &[NodeTimes], path: &[usize]) -> Vec<NodeRow> {
    let at = |i: usize| times.get(i).copied().unwrap_or_default();
    let all: Duration = times.iter().map(|t| t.running).sum();
    let spec = pipeline.spec();
    graph
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(k, n)| {
            let i = n.spec?;
            let t = at(i);
            let per_call = |d: Duration| us(d) / t.calls.max(1) as f64;
            let line = spec.graphs.first().and_then(|g| g.nodes.get(i)).map_or(0, |n| n.line);
            Some(NodeRow {
                node: i,
                title: n.title.clone(),
                kind: n.kind.class().to_string(),
                line,
                calls: t.calls,
                failed: t.failed,
                total_ms: ms(t.running),
                mean_us: per_call(t.running),
                longest_us: us(t.longest),
                waiting_mean_us: per_call(t.waiting),
                share: if all.is_zero() { 0.0 } else { t.running.as_secs_f64() / all.as_secs_f64() },
                retries: t.retries,
                cache_hits: t.cache_hits,
                tier_hits: {
                    let used = t.tier_hits.iter().rposition(|&n| n > 0).map_or(0, |k| k + 1);
                    t.tier_hits[..used].to_vec()
                },
                joined: t.joined,
                critical: path.contains(&k),
            })
        })
        .collect()
}

impl Report {
    /// A report written by `to_json`.
    pub fn from_json(json: &str) -> Result<Report, String> {
        serde_json::from_str(json).map_err(|e| format!("not a profile written by --profile-json: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as a table for a terminal.
    pub fn table(&self) -> String {
        table::text(self)
    }
}

impl viz::Heats for Report {
    fn output(&self, output: usize) -> Option<Heat> {
        let name = self.critical_output.as_deref()?;
        let lines = vec!["the critical path ends here".to_string()];
        (self.outputs.get(output)? == name).then_some(Heat { share: 0.0, critical: true, lines })
    }

    fn node(&self, node: usize) -> Option<Heat> {
        let row = self.nodes.iter().find(|r| r.node == node)?;
        let mut lines = vec![format!(
            "profile: {} calls, mean {}, total {} ({:.1}%)",
            row.calls,
            table::micros(row.mean_us),
            table::micros(row.total_ms * 1e3),
            row.share * 100.0
        )];
        lines.push(format!("waiting on inputs: mean {}", table::micros(row.waiting_mean_us)));
        if row.failed + row.retries + row.cache_hits > 0 {
            lines.push(format!("failed {}, retries {}, cache hits {}", row.failed, row.retries, row.cache_hits));
        }
        if !row.tier_hits.is_empty() || row.joined > 0 {
            let tiers = row.tier_hits.iter().enumerate().map(|(k, n)| format!("tier {} {n}", k + 1));
            let parts: Vec<String> = tiers.chain(std::iter::once(format!("joined {}", row.joined))).collect();
            lines.push(format!("served by cache: {}", parts.join(", ")));
        }
        if row.critical {
            lines.push("on the critical path".to_string());
        }
        Some(Heat { share: row.share, critical: row.critical, lines })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// This process's peak resident memory (VmHWM), on Linux.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

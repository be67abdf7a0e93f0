//! `run --explain`: why each call of a run ran, or did not.
//!
//! Takes: a pipeline, the profile of one run of it (`Profile`: the main graph's nodes, each
//! nested graph's runs, how each cached call was served) and the engine's caches (their tiers'
//! names). Gives: a line per call site, in source order — it ran (how many times, inside a
//! lambda), was served by its cache and from which tier, joined an identical call in flight, or
//! did not run and why (its guard was false, its branch not taken, a lazy value never needed, a
//! fallback not needed, an input failed). Guarantees: it reads counters only; a site the run
//! never reached is explained by the node that holds it.

use crate::Engine;
use asterism_registry::dag::{DagSpec, GraphId, NodeId, Op};
use asterism_runtime::{DEFAULT_CACHE, NodeTimes, Profile};
use std::fmt;

/// One call site of a run, explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    pub line: u32,
    pub function: String,
    pub verdict: Verdict,
}

/// What happened to a call site in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It was reached `times` times: `executed` executions, the rest answered by its cache
    /// (`cache` names it; `tiers` counts answers by tier name, `joined` calls that shared one in
    /// flight); `failed` of the executions of a main-graph node failed.
    Reached { times: u64, executed: u64, failed: u64, cache: Option<String>, tiers: Vec<(String, u64)>, joined: u64 },
    /// It did not run, for this reason.
    Skipped(&'static str),
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {} — ", self.line, self.function)?;
        match &self.verdict {
            Verdict::Skipped(why) => write!(f, "did not run: {why}"),
            Verdict::Reached { times, executed, failed, cache, tiers, joined } => {
                let mut parts = Vec::new();
                if *executed > 0 {
                    let how = match (executed, cache) {
                        (1, Some(c)) => format!("ran (not in cache '{c}')"),
                        (n, Some(c)) => format!("ran {n} times (not in cache '{c}')"),
                        (1, None) => "ran".to_string(),
                        (n, None) => format!("ran {n} times"),
                    };
                    parts.push(how + if *failed > 0 { ", and failed" } else { "" });
                }
                let cache = cache.as_deref().unwrap_or(DEFAULT_CACHE);
                for (tier, n) in tiers {
                    let times = if *n > 1 { format!(" ({n} times)") } else { String::new() };
                    parts.push(format!("served by cache '{cache}' from {tier}{times}"));
                }
                if *joined > 0 {
                    let times = if *joined > 1 { format!(" ({joined} times)") } else { String::new() };
                    parts.push(format!("joined an identical call in flight{times}"));
                }
                if *times > 1 && parts.len() > 1 {
                    write!(f, "reached {times} times: ")?;
                }
                f.write_str(&parts.join("; "))
            }
        }
    }
}

/// Every call site of `spec`, explained from `profile` (one run's).
pub fn explain(engine: &Engine, spec: &DagSpec, profile: &Profile) -> Vec<Explained> {
    let owners = owners(spec);
    let rows = engine.cache_rows();
    let main = profile.nodes();
    let mut out = Vec::new();
    for (g, graph) in spec.graphs.iter().enumerate() {
        for (i, node) in graph.nodes.iter().enumerate() {
            let Some(call) = node.op.call() else { continue };
            let function = spec.functions.get(call.function as usize).map_or("?", |f| f.name.as_str());
            let times = match g {
                0 => main.get(i).copied().unwrap_or_default(),
                _ => profile.node(g, i),
            };
            let reached = if g == 0 { times.calls } else { profile.graph_runs(g) };
            let verdict = match reached {
                0 => Verdict::Skipped(why_not(spec, &owners, profile, &main, g as GraphId, i as NodeId)),
                _ => {
                    let cache = call
                        .options
                        .cache_ms
                        .map(|_| call.options.cache_backend.clone().unwrap_or_else(|| DEFAULT_CACHE.to_string()));
                    let names = cache.as_ref().and_then(|c| rows.iter().find(|r| r.name == *c)).map(|r| &r.tiers);
                    let tier_name = |k: usize| match names.and_then(|t| t.get(k)) {
                        Some(t) if names.is_some_and(|t| t.len() > 1) => {
                            format!("tier {} '{}' ({})", k + 1, t.name, t.kind)
                        }
                        Some(t) => format!("its {} store", t.kind),
                        None => format!("tier {}", k + 1),
                    };
                    let tiers = tier_hits(&times).map(|(k, n)| (tier_name(k), n)).collect();
                    let executed = reached.saturating_sub(times.cache_hits);
                    Verdict::Reached {
                        times: reached,
                        executed,
                        failed: times.failed,
                        cache,
                        tiers,
                        joined: times.joined,
                    }
                }
            };
            out.push(Explained { line: node.line, function: function.to_string(), verdict });
        }
    }
    out.sort_by_key(|e| e.line);
    out
}

fn tier_hits(t: &NodeTimes) -> impl Iterator<Item = (usize, u64)> + '_ {
    t.tier_hits.iter().copied().enumerate().filter(|&(_, n)| n > 0)
}

/// For each graph but the main one, the node holding it.
fn owners(spec: &DagSpec) -> Vec<Option<(GraphId, NodeId)>> {
    let mut owners = vec![None; spec.graphs.len()];
    for (g, graph) in spec.graphs.iter().enumerate() {
        for (i, node) in graph.nodes.iter().enumerate() {
            for child in node.op.graphs() {
                if let Some(o) = owners.get_mut(child as usize) {
                    *o = Some((g as GraphId, i as NodeId));
                }
            }
        }
    }
    owners
}

/// Why node `i` of graph `g` did not run.
fn why_not(
    spec: &DagSpec,
    owners: &[Option<(GraphId, NodeId)>],
    profile: &Profile,
    main: &[NodeTimes],
    g: GraphId,
    i: NodeId,
) -> &'static str {
    if g == 0 {
        let node = &spec.graphs[0].nodes[i as usize];
        let failed = node.inputs.iter().any(|&x| main.get(x as usize).is_some_and(|t| t.failed > 0 || t.calls == 0));
        return match failed {
            true => "an input failed",
            false => "the run ended before it (a failure, or its deadline)",
        };
    }
    let Some((og, oi)) = owners.get(g as usize).copied().flatten() else { return "it is never reached" };
    let owner_ran = match og {
        0 => main.get(oi as usize).is_some_and(|t| t.calls > 0),
        _ => profile.graph_runs(og as usize) > 0,
    };
    if !owner_ran {
        return why_not(spec, owners, profile, main, og, oi);
    }
    match &spec.graphs[og as usize].nodes[oi as usize].op {
        Op::Guard(_) => "its guard ('when') was false",
        Op::If { .. } | Op::Branch { .. } | Op::Match(_) => "its branch was not taken",
        Op::Lazy(_) => "it is lazy and its value was never needed",
        Op::And(_) | Op::Or(_) => "the left side decided",
        Op::Coalesce(_) => "the optional it defaults had a value",
        Op::HigherOrder { lambda, .. } if *lambda == g => "the list it maps was empty (or its input failed)",
        Op::Call(_) | Op::HigherOrder { .. } => "the call it is the fallback of succeeded",
        _ => "its owner did not need it",
    }
}

//! Calls with options (SPEC §6.4–§6.5): module and higher-order calls that have a `Policy`.
//!
//! A call without a policy never comes here. On this thread (`RunCx::call_with`,
//! `RunCx::higher_order_with`) run the policies that do not wait: retries without delay,
//! `on_error`, `fallback`. Policies that wait run on the scheduler (`call`, `higher_order`):
//! limiters first (a concurrency permit, then a throttle token, both in priority order), then the
//! cache (single-flight), then the attempts (each under the timeout, with the waits of `delay` and
//! `backoff` between them), then `on_error` or `fallback`. Failed attempts record nothing: only
//! the call's final failure becomes a root failure of the run. A higher-order call's attempt is
//! its whole execution, lambdas included, with its own error list.

use crate::cache::KeyBuilder;
use crate::exec::{self, Failed, NodeResult, RunCx, Scratch, Slot, Slots};
use crate::hof;
use crate::limit::Permit;
use crate::options::{Fault, Next, Policy, Settled};
use crate::plan::{CallPlan, HofPlan, Kind, NodePlan};
use crate::sched::{self, Shared};
use asterism_registry::value::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};

impl RunCx<'_> {
    /// Records the errors of a call's final failure.
    pub fn record(&self, fault: Fault) -> Failed {
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).extend(fault.errors);
        Failed
    }

    /// A module call whose policy does not wait, on this thread.
    pub fn call_with<S: Slots + ?Sized>(
        &self,
        node: &NodePlan,
        call: &CallPlan,
        policy: &Policy,
        args: &[Value],
        slots: &S,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let outcome = attempts_here(policy, || exec::execute(self.plan, call, args).map_err(|m| Fault::at(node, m)));
        self.settled(policy.settle(outcome), slots, scratch)
    }

    /// A higher-order call whose policy does not wait, on this thread.
    #[allow(clippy::too_many_arguments)]
    pub fn higher_order_with<S: Slots + ?Sized>(
        &self,
        node: &NodePlan,
        h: &HofPlan,
        policy: &Policy,
        args: &[Value],
        captures: &[Slot],
        slots: &S,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let outcome = attempts_here(policy, || {
            let errors = Mutex::new(Vec::new());
            let cx = RunCx { errors: &errors, ..*self };
            let r = hof::run_sync(&cx, node, h, args, captures, scratch);
            r.map_err(|_| Fault { errors: errors.into_inner().unwrap_or_else(|e| e.into_inner()), timed_out: false })
        });
        self.settled(policy.settle(outcome), slots, scratch)
    }

    fn settled<S: Slots + ?Sized>(&self, settled: Settled, slots: &S, scratch: &mut Scratch) -> NodeResult {
        match settled {
            Settled::Value(v) => Ok(v),
            Settled::Fallback(g) => self.child(g, &[], slots, scratch),
            Settled::Fail(fault) => Err(self.record(fault)),
        }
    }
}

/// Attempts without waits: retry at once while the policy says so.
fn attempts_here(policy: &Policy, mut attempt: impl FnMut() -> Result<Value, Fault>) -> Result<Value, Fault> {
    let mut n = 0;
    loop {
        n += 1;
        match attempt() {
            Ok(v) => return Ok(v),
            Err(fault) => match policy.next(n, fault) {
                Next::Retry(_) => {}
                Next::Stop(fault) => return Err(fault),
            },
        }
    }
}

/// Attempts on the scheduler: each under the timeout, with the policy's waits between them.
async fn attempts<F, Fut>(policy: &Policy, node: &NodePlan, function: &str, mut attempt: F) -> Result<Value, Fault>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, Fault>>,
{
    let mut n = 0;
    loop {
        n += 1;
        let outcome = match policy.timeout {
            Some(limit) => {
                let deadline = tokio::time::Instant::now() + limit;
                match tokio::time::timeout(limit, attempt()).await {
                    // Work that never waits (a lambda that only computes) cannot be abandoned on
                    // the way: it is checked when it finishes.
                    Ok(_) if tokio::time::Instant::now() > deadline => Err(Fault::timeout(node, function, limit)),
                    Ok(outcome) => outcome,
                    Err(_) => Err(Fault::timeout(node, function, limit)),
                }
            }
            None => attempt().await,
        };
        match outcome {
            Ok(v) => return Ok(v),
            Err(fault) => match policy.next(n, fault) {
                Next::Retry(wait) if wait.is_zero() => {}
                Next::Retry(wait) => tokio::time::sleep(wait).await,
                Next::Stop(fault) => return Err(fault),
            },
        }
    }
}

/// Takes what the policy's limiters give: a concurrency permit (held until dropped), then a
/// throttle token.
async fn limits(policy: &Policy) -> Option<Permit> {
    let permit = match &policy.concurrency {
        Some(gate) => Some(gate.acquire(policy.priority).await),
        None => None,
    };
    if let Some(bucket) = &policy.throttle {
        bucket.take(policy.priority).await;
    }
    permit
}

async fn settle(shared: &Arc<Shared>, settled: Settled, fallback: Vec<Slot>) -> NodeResult {
    match settled {
        Settled::Value(v) => Ok(v),
        Settled::Fallback(g) => sched::graph(shared.clone(), g, Vec::new(), fallback).await,
        Settled::Fail(fault) => Err(shared.cx().record(fault)),
    }
}

/// Call node `i` of graph `g` (a module call with a policy) on the scheduler; `fallback` holds
/// the captures of its fallback graph.
pub(crate) async fn call(shared: Arc<Shared>, g: u32, i: u32, args: Vec<Value>, fallback: Vec<Slot>) -> NodeResult {
    let plan = &shared.plan;
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let Kind::Call(call) = &node.kind else { unreachable!("invoke::call is only started for calls") };
    let Some(policy) = call.policy.as_deref() else { unreachable!("invoke::call is only started with a policy") };
    let function = &plan.functions[call.function as usize].name;
    let abandonable = policy.timeout.is_some();
    let run = || {
        attempts(policy, node, function, || async {
            sched::execute(plan, g, i, args.clone(), abandonable).await.map_err(|m| Fault::at(node, m))
        })
    };
    let permit = limits(policy).await;
    let outcome = match &policy.cache {
        Some(c) => {
            let key = KeyBuilder::new(&c.site).values(&args).finish();
            // A shared execution may have failed at another call site: report it here.
            c.cache.get_or_run(key, c.ttl, run).await.map_err(|f| f.at_node(node))
        }
        None => run().await,
    };
    drop(permit);
    settle(&shared, policy.settle(outcome), fallback).await
}

/// Higher-order node `i` of graph `g` with a policy on the scheduler; `captures` are its
/// lambda's, `fallback` its fallback graph's.
pub(crate) async fn higher_order(
    shared: Arc<Shared>,
    g: u32,
    i: u32,
    args: Vec<Value>,
    captures: Vec<Slot>,
    fallback: Vec<Slot>,
) -> NodeResult {
    let plan = &shared.plan;
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let Kind::HigherOrder(h) = &node.kind else { unreachable!("invoke::higher_order is only started for them") };
    let Some(policy) = h.policy.as_deref() else { unreachable!("invoke::higher_order is only started with a policy") };
    let function = &plan.functions[h.function as usize].name;
    let run = || {
        attempts(policy, node, function, || {
            let isolated = shared.isolated();
            let (args, captures) = (args.clone(), captures.clone());
            async move {
                let r = sched::hof_future(isolated.clone(), g, i, args, captures).await;
                r.map_err(|_| Fault {
                    errors: std::mem::take(&mut *isolated.errors.lock().unwrap_or_else(|e| e.into_inner())),
                    timed_out: false,
                })
            }
        })
    };
    let permit = limits(policy).await;
    let outcome = match &policy.cache {
        Some(c) => {
            // The lambda's captured values (run before the call) are part of the key.
            let captured: Option<Vec<&Value>> = captures.iter().map(Slot::value).collect();
            match captured {
                Some(captured) => {
                    let mut key = KeyBuilder::new(&c.site);
                    key.values(&args);
                    captured.into_iter().for_each(|v| {
                        key.value(v);
                    });
                    c.cache.get_or_run(key.finish(), c.ttl, run).await
                }
                // A captured value failed: the execution may still not need it; do not cache.
                None => run().await,
            }
        }
        None => run().await,
    };
    drop(permit);
    settle(&shared, policy.settle(outcome), fallback).await
}

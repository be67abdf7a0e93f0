//! The futures of nodes that wait: module calls (with or without a policy), higher-order calls
//! whose lambda or options wait, and owners whose deferred graphs wait.
//!
//! They drive the rules written once below them: `exec::call::result` for what a module's
//! execution gives, `policy::apply::waiting` for a call with a policy, `exec::hof` for the
//! higher-order functions (elements of filter/map/count/sort-by run concurrently, each with its
//! own error list, and only the lowest failing index's failure is kept), `exec::owner` for which
//! deferred graph runs.

use super::{Shared, graph};
use crate::exec::call::{Ended, Polled, execute as execute_here, poll_once, result};
use crate::exec::hof::{self, Hof, Need};
use crate::exec::owner::{self, Next};
use crate::outcome::Fault;
use crate::plan::{CallPlan, ExecutionPlan, Kind, NodePlan};
use crate::policy::{CachePlan, Settled, apply};
use crate::services::cache::{Looked, Served};
use crate::values::slot::{Failed, NodeResult, Scratch, Slot};
use asterism_registry::ModuleError;
use asterism_registry::dag::{GraphId, NodeId};
use asterism_registry::module::{BoxFuture, Module, ModuleResult, with_call};
use asterism_registry::value::Value;
use futures_util::{FutureExt, future};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

/// The node `i` of graph `g`, and its call plan.
fn call_at(plan: &ExecutionPlan, g: GraphId, i: NodeId) -> (&NodePlan, &CallPlan) {
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let Kind::Call(call) = &node.kind else { unreachable!("a call's future is only started for a call") };
    (node, call)
}

/// Runs the module of call node `i` of graph `g`: its value, or the message of its failure with
/// the wait the module asked for before a retry (`Retry-After`). `timeout` is the call's: a
/// synchronous module then runs on the blocking pool (so the timeout can abandon it), an
/// asynchronous one may read it while it makes its future (`module::call_timeout`).
async fn execute(
    plan: &Arc<ExecutionPlan>,
    g: GraphId,
    i: NodeId,
    args: Vec<Value>,
    timeout: Option<Duration>,
    shared: &Shared,
) -> Result<Value, (String, Option<Duration>)> {
    let (reporter, limits) = (&shared.reporter, *shared.budget.limits());
    let (node, call) = call_at(plan, g, i);
    let target = &plan.functions[call.function as usize];
    let ended = match &target.module {
        Module::Sync(_) if timeout.is_some() => {
            let abandoned = target.abandoned.load(Ordering::Relaxed);
            if abandoned >= MAX_ABANDONED {
                let m = format!(
                    "{}: {abandoned} attempts abandoned by their timeout still run; not starting another",
                    target.name
                );
                return Err((m, None));
            }
            let (_waiting, running) = attempt(&target.abandoned);
            let (plan, reporter) = (plan.clone(), reporter.clone());
            let run = move || {
                let _running = running;
                let (node, call) = call_at(&plan, g, i);
                execute_here(&plan, node, call, &args, &*reporter, &limits)
            };
            match tokio::task::spawn_blocking(run).await {
                Ok(r) => return r.map_err(|m| (m, None)),
                Err(e) => joined(e),
            }
        }
        Module::Sync(_) => return execute_here(plan, node, call, &args, &**reporter, &limits).map_err(|m| (m, None)),
        Module::Async(f) => match catch_unwind(AssertUnwindSafe(|| {
            with_call(timeout, plan.partial_of(g, i as usize, shared.partial.as_ref()), || f(&args))
        })) {
            Ok(future) => match AssertUnwindSafe(future).catch_unwind().await {
                Ok(r) => Ended::Returned(r),
                Err(payload) => Ended::Panicked(payload),
            },
            Err(payload) => Ended::Panicked(payload),
        },
        Module::Blocking(f) => {
            let f = f.clone();
            match tokio::task::spawn_blocking(move || f(args)).await {
                Ok(r) => Ended::Returned(r),
                Err(e) => joined(e),
            }
        }
        Module::Batched(b) => {
            let request = async {
                match &call.batch {
                    Some(queue) => queue.join(args).await,
                    // Without `batch`, a batch of one.
                    None => (b.run)(vec![args]).await.and_then(|values| match <[Value; 1]>::try_from(values) {
                        Ok([value]) => Ok(value),
                        Err(values) => {
                            Err(ModuleError::new(format!("answered {} values for a batch of 1", values.len())))
                        }
                    }),
                }
            };
            match AssertUnwindSafe(request).catch_unwind().await {
                Ok(r) => Ended::Returned(r),
                Err(payload) => Ended::Panicked(payload),
            }
        }
        Module::HigherOrder(_) => unreachable!("higher-order calls are not module calls"),
    };
    let hint = match &ended {
        Ended::Returned(Err(e)) => e.retry_after,
        _ => None,
    };
    result(plan, call, ended).map_err(|m| (m, hint))
}

/// How many attempts of one function, abandoned by their timeout and still running, there may
/// be: the next attempt fails at once rather than pile up more work no one waits for.
const MAX_ABANDONED: usize = 4;

/// The state of a synchronous attempt on the blocking pool, shared by the side waiting for it
/// and the side running it, with the count of its function's abandoned attempts.
type Shared8 = Arc<(AtomicU8, Arc<AtomicUsize>)>;

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// The two sides of an attempt of a function whose abandoned attempts `counter` counts.
fn attempt(counter: &Arc<AtomicUsize>) -> (Waiting, Running) {
    let state: Shared8 = Arc::new((AtomicU8::new(RUNNING), counter.clone()));
    (Waiting(state.clone()), Running(state))
}

/// Held by whoever waits; dropped before the attempt finished (a timeout), it counts the attempt
/// as abandoned.
struct Waiting(Shared8);

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.0.0.compare_exchange(RUNNING, ABANDONED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.0.1.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Held by the attempt itself; dropped when it ends (returned or panicked), it counts out an
/// abandoned attempt.
struct Running(Shared8);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.0.swap(FINISHED, Ordering::AcqRel) == ABANDONED {
            self.0.1.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// How an execution on the blocking pool ended when it did not return.
fn joined(e: tokio::task::JoinError) -> Ended {
    match e.try_into_panic() {
        Ok(payload) => Ended::Panicked(payload),
        Err(e) => Ended::Lost(e.to_string()),
    }
}

/// Module call node `i` of graph `g` without a policy: its result now, or the future that will
/// give it. An asynchronous module's future is polled once on the spot (`poll_once`); one that
/// waits is handed over as it is.
pub(super) fn module(
    shared: &Arc<Shared>,
    g: GraphId,
    i: NodeId,
    args: Vec<Value>,
) -> Result<NodeResult, BoxFuture<NodeResult>> {
    let plan = &shared.plan;
    let (node, call) = call_at(plan, g, i);
    let Module::Async(f) = &plan.functions[call.function as usize].module else {
        return Err(Box::pin(blocking(shared.clone(), g, i, args)));
    };
    match poll_once(plan, call, &**f, &args, plan.partial_of(g, i as usize, shared.partial.as_ref())) {
        Polled::Over(r) => Ok(r.map_err(|m| shared.cx().fail(node, m))),
        Polled::Waiting(future) => Err(Box::pin(resumed(shared.clone(), g, i, future))),
    }
}

/// A call without a policy of a blocking module, on the scheduler.
async fn blocking(shared: Arc<Shared>, g: GraphId, i: NodeId, args: Vec<Value>) -> NodeResult {
    let r = execute(&shared.plan, g, i, args, None, &shared).await;
    r.map_err(|(m, _)| shared.cx().fail(call_at(&shared.plan, g, i).0, m))
}

/// Call node `i` of graph `g`, whose asynchronous module's future waited when first polled,
/// polled on to its end.
pub(super) async fn resumed(shared: Arc<Shared>, g: GraphId, i: NodeId, future: BoxFuture<ModuleResult>) -> NodeResult {
    let ended = match AssertUnwindSafe(future).catch_unwind().await {
        Ok(r) => Ended::Returned(r),
        Err(payload) => Ended::Panicked(payload),
    };
    let (node, call) = call_at(&shared.plan, g, i);
    result(&shared.plan, call, ended).map_err(|m| shared.cx().fail(node, m))
}

/// Module call node `i` of graph `g` with a policy, on the scheduler; `fallback` holds the
/// captures of its fallback graph, if it has one; `looked` a lookup of its cache that missed.
pub(super) async fn module_with_policy(
    shared: Arc<Shared>,
    g: GraphId,
    i: NodeId,
    args: Vec<Value>,
    fallback: Vec<Slot>,
    looked: Option<Looked>,
) -> NodeResult {
    let plan = &shared.plan;
    let (node, call) = call_at(plan, g, i);
    let Some(policy) = call.policy.as_deref() else { unreachable!("started only for calls with a policy") };
    let function = &plan.functions[call.function as usize].name;
    let tries = AtomicU32::new(0);
    let attempt = || async {
        tries.fetch_add(1, Ordering::Relaxed);
        let r = execute(plan, g, i, args.clone(), policy.timeout, &shared).await;
        r.map_err(|(m, hint)| Fault { retry_after: hint, ..Fault::at(node.at, m) })
    };
    let key = |c: &CachePlan| Some(c.key(&args));
    let (settled, served) =
        apply::waiting(policy, &shared.held, &*shared.reporter, node.at, function, key, looked, attempt).await;
    tried(&shared, g, i, tries, served);
    settle(&shared, settled, fallback).await
}

/// Higher-order node `i` of graph `g` with a policy, on the scheduler; `captures` are its
/// lambda's, `fallback` its fallback graph's. An attempt is the whole execution, lambdas included,
/// recording in a list of its own.
pub(super) async fn higher_order_with_policy(
    shared: Arc<Shared>,
    g: GraphId,
    i: NodeId,
    args: Vec<Value>,
    captures: Vec<Slot>,
    fallback: Vec<Slot>,
) -> NodeResult {
    let plan = &shared.plan;
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let Kind::HigherOrder(h) = &node.kind else { unreachable!("started only for higher-order calls") };
    let Some(policy) = h.policy.as_deref() else { unreachable!("started only for calls with a policy") };
    let function = &plan.functions[h.function as usize].name;
    // The lambda's captured values (run before the call) are part of the key; when one failed,
    // the execution may still not need it, but it is not cached.
    let key = |c: &CachePlan| {
        let captured: Option<Vec<&Value>> = captures.iter().map(Slot::value).collect();
        captured.map(|captured| c.key(args.iter().chain(captured)))
    };
    let tries = AtomicU32::new(0);
    let attempt = || {
        tries.fetch_add(1, Ordering::Relaxed);
        // Its lambdas run inside it, holding its permit, until its timeout.
        let until = policy.timeout.map(|limit| tokio::time::Instant::now() + limit);
        let isolated = shared.attempt(policy.concurrency.as_ref(), until);
        let (args, captures) = (args.clone(), captures.clone());
        async move {
            let r = run_hof(isolated.clone(), g, i, args, captures).await;
            r.map_err(|_| Fault { errors: isolated.take_errors(), timed_out: false, retry_after: None })
        }
    };
    let (settled, served) =
        apply::waiting(policy, &shared.held, &*shared.reporter, node.at, function, key, None, attempt).await;
    tried(&shared, g, i, tries, served);
    settle(&shared, settled, fallback).await
}

/// Tells a profiled run's profile how many attempts a call of the main graph made and how it
/// was served.
pub(super) fn tried(shared: &Shared, g: GraphId, i: NodeId, tries: AtomicU32, served: Served) {
    if let Some((profile, _)) = shared.clock.as_ref() {
        profile.tried(g as usize, i as usize, tries.into_inner(), served);
    }
}

async fn settle(shared: &Arc<Shared>, settled: Settled, fallback: Vec<Slot>) -> NodeResult {
    match settled {
        Settled::Value(v) => Ok(v),
        Settled::Fallback(g) => graph(shared.clone(), g, Vec::new(), fallback).await,
        Settled::Fail(fault) => Err(shared.cx().record(fault)),
    }
}

/// A higher-order call's execution: on the spot when its lambda never waits (it is on the
/// scheduler for its options), else stepping with lambda calls as futures.
pub(super) async fn run_hof(
    shared: Arc<Shared>,
    g: GraphId,
    i: NodeId,
    args: Vec<Value>,
    captures: Vec<Slot>,
) -> NodeResult {
    let node = &shared.plan.graphs[g as usize].nodes[i as usize];
    let Kind::HigherOrder(h) = &node.kind else { unreachable!("started only for higher-order calls") };
    if shared.plan.graphs[h.lambda as usize].sync {
        return hof::run(&shared.cx(), node, h, &args, &captures, &mut Scratch::default());
    }
    let (mut hof, mut need) = Hof::start(h, &args).map_err(|m| shared.cx().fail(node, m.into()))?;
    let call = |shared: Arc<Shared>, params: Vec<Value>| graph(shared, h.lambda, params, captures.clone());
    loop {
        need = match need {
            Need::Call => {
                let result = call(shared.clone(), hof.params().to_vec()).await?;
                hof.feed(result)
            }
            Need::Each => {
                // Concurrently, each element with its own error list; keep only the first failure's.
                let isolated: Vec<Arc<Shared>> = (0..hof.items().len()).map(|_| shared.isolated()).collect();
                let runs = hof.items().iter().zip(&isolated).map(|(item, s)| call(s.clone(), vec![item]));
                let results = future::join_all(runs).await;
                if let Some(k) = results.iter().position(Result::is_err) {
                    shared.errors.lock().extend(isolated[k].take_errors());
                    return Err(Failed);
                }
                return Ok(hof.finish(results.into_iter().map(|r| r.unwrap_or_default()).collect()));
            }
            Need::Done(v) => return Ok(v),
        }
    }
}

/// An owner (`if`, `branch`, `and`, `or`, guard, `??`, `match`, a lazy call) whose graphs wait.
/// `captures` holds what each of its graphs captures.
pub(super) async fn owner(
    shared: Arc<Shared>,
    g: GraphId,
    i: NodeId,
    first: Value,
    captures: Vec<(GraphId, Vec<Slot>)>,
) -> NodeResult {
    let node = &shared.plan.graphs[g as usize].nodes[i as usize];
    let captured = |c: GraphId| captures.iter().find(|(k, _)| *k == c).map(|(_, s)| s.clone()).unwrap_or_default();
    let run = |c: GraphId, params: Vec<Value>| graph(shared.clone(), c, params, captured(c));
    let mut next = owner::start(&node.kind, &first);
    for k in 0.. {
        next = match next {
            Next::Run(c) => owner::feed(&node.kind, k, run(c, Vec::new()).await?),
            Next::Tail(c) => return run(c, Vec::new()).await,
            Next::Case(c, params) => return run(c, params).await,
            Next::Done(v) => return Ok(v),
        }
    }
    unreachable!("an owner decides after finitely many graphs")
}

//! Asynchronous execution: dataflow scheduling of graphs that hold module calls which wait.
//!
//! A node starts when everything it depends on is complete. Synchronous nodes are evaluated on
//! the spot by `exec`; calls of asynchronous or blocking modules, and nodes whose graphs contain
//! such calls, become futures polled concurrently. A failed node fails every node that takes it as
//! an input at once, without waiting for their other inputs (SPEC §7.3); work that does not need
//! it goes on. Higher-order calls evaluate filter/map/count/sort-by elements concurrently but keep
//! the outcome of index order: only the lowest failing element's failure is reported.
//! Calls whose options wait run through `invoke`. A lazy call's slot gets a thunk; a node reading
//! an unforced thunk first forces it (`force`, shared by all who demand it) and then starts again;
//! demanded nodes (outputs, a graph's result) are forced as soon as their thunk exists.

use crate::deep::Deep;
use crate::exec::{self, Failed, Frame, NodeResult, RunCx, Scratch, Slot, Slots, match_case, panic_text};
use crate::hof::{self, Hof};
use crate::invoke;
use crate::lazy::Thunk;
use crate::outcome::RunError;
use crate::plan::{ExecutionPlan, GraphPlan, Kind};
use asterism_registry::module::{BoxFuture, HigherOrder, Module};
use asterism_registry::value::Value;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::{FutureExt, future};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

/// What the futures of one run share.
pub(crate) struct Shared {
    pub plan: Arc<ExecutionPlan>,
    pub inputs: Arc<[Value]>,
    /// Where failures are recorded: the run's list, or a separate one (`isolated`).
    pub errors: Arc<Mutex<Vec<RunError>>>,
    /// The run's own list, where lazy calls record their failures wherever they are forced.
    pub root: Arc<Mutex<Vec<RunError>>>,
}

impl Shared {
    pub fn new(plan: Arc<ExecutionPlan>, inputs: Arc<[Value]>) -> Shared {
        let errors: Arc<Mutex<Vec<RunError>>> = Default::default();
        Shared { plan, inputs, root: errors.clone(), errors }
    }

    pub fn cx(&self) -> RunCx<'_> {
        RunCx { plan: &self.plan, inputs: &self.inputs, errors: &self.errors, root: &self.root }
    }

    /// The same run with a separate error list.
    pub fn isolated(&self) -> Arc<Shared> {
        let (plan, inputs, root) = (self.plan.clone(), self.inputs.clone(), self.root.clone());
        Arc::new(Shared { plan, inputs, errors: Default::default(), root })
    }

    /// The same run recording in the run's own error list.
    fn rooted(self: &Arc<Self>) -> Arc<Shared> {
        if Arc::ptr_eq(&self.errors, &self.root) {
            return self.clone();
        }
        let (plan, inputs, root) = (self.plan.clone(), self.inputs.clone(), self.root.clone());
        Arc::new(Shared { plan, inputs, errors: root.clone(), root })
    }
}

/// What a started node's future gives: its result, a request to start it again (its lazy inputs
/// have run), or the news that its own lazy value has run (for a demanded node).
pub(crate) enum Step {
    Done(NodeResult),
    Restart,
    Forced,
}

type Started = BoxFuture<(u32, Step)>;

/// Runs graph `g` of the plan with the given parameters and captures to its result.
pub(crate) fn graph(shared: Arc<Shared>, g: u32, params: Vec<Value>, captures: Vec<Slot>) -> BoxFuture<NodeResult> {
    Box::pin(async move {
        let result = shared.plan.graphs[g as usize].result;
        let slots = schedule(&shared, g, &params, &captures, &[result], &mut |_, _| {}).await;
        slots[result as usize].result()
    })
}

/// Runs every node of graph `g`; `done(node, slot)` sees each node as it completes, and each
/// node of `demanded` again once its lazy value has run (lazy values in `demanded` are forced).
pub(crate) async fn schedule(
    shared: &Arc<Shared>,
    g: u32,
    params: &[Value],
    captures: &[Slot],
    demanded: &[u32],
    done: &mut (dyn FnMut(u32, &Slot) + Send),
) -> Vec<Slot> {
    let plan = &shared.plan.graphs[g as usize];
    let n = plan.nodes.len();
    let mut slots = vec![Slot::Empty; n];
    let mut remaining: Vec<u32> = plan.deps.iter().map(|d| d.len() as u32).collect();
    let mut ready: Vec<u32> = (0..n as u32).rev().filter(|&i| remaining[i as usize] == 0).collect();
    let mut pending: FuturesUnordered<Started> = FuturesUnordered::new();
    let mut scratch = Scratch::default();
    let frame = Frame { params, captures };
    loop {
        while let Some(i) = ready.pop() {
            if !matches!(slots[i as usize], Slot::Empty) {
                continue; // failed early through an input
            }
            let slot = match plan.nodes[i as usize].lazy {
                true => shared.cx().park(g, i as usize, &slots),
                false => match start(shared, g, i, &slots[..], frame, &mut scratch) {
                    Ok(slot) => slot,
                    Err(future) => {
                        pending.push(future);
                        continue;
                    }
                },
            };
            if let Some(t) = slot.unforced().filter(|_| demanded.contains(&i)) {
                pending.push(Box::pin(force(shared.clone(), t.clone()).map(move |_| (i, Step::Forced))));
            }
            complete(plan, i, slot, &mut slots, &mut remaining, &mut ready, done);
        }
        match pending.next().await {
            Some((i, Step::Done(r))) => complete(plan, i, Slot::of(r), &mut slots, &mut remaining, &mut ready, done),
            Some((i, Step::Restart)) => ready.push(i),
            Some((i, Step::Forced)) => done(i, &slots[i as usize]),
            None => break,
        }
    }
    slots
}

/// Records node `i`'s slot; a failure fails at once every node taking `i` as an input.
fn complete(
    plan: &GraphPlan,
    i: u32,
    slot: Slot,
    slots: &mut [Slot],
    remaining: &mut [u32],
    ready: &mut Vec<u32>,
    done: &mut (dyn FnMut(u32, &Slot) + Send),
) {
    let mut work = vec![(i, slot)];
    while let Some((i, slot)) = work.pop() {
        if !matches!(slots[i as usize], Slot::Empty) {
            continue;
        }
        let failed = slot.failed();
        slots[i as usize] = slot;
        done(i, &slots[i as usize]);
        for &c in plan.consumers[i as usize].iter() {
            remaining[c as usize] -= 1;
            if failed && plan.nodes[c as usize].inputs.contains(&i) {
                work.push((c, Slot::Fail));
            } else if remaining[c as usize] == 0 {
                ready.push(c);
            }
        }
    }
}

/// Runs a lazy call unless it ran already; every caller gets the one result. The lazy calls it
/// reads run first, each as soon as those it reads have run (`Thunk::unforced_inputs`), so a
/// chain of lazy calls is not a chain of futures waiting inside each other.
pub(crate) fn force(shared: Arc<Shared>, thunk: Arc<Thunk>) -> BoxFuture<NodeResult> {
    Box::pin(async move {
        if let Some(r) = thunk.get() {
            return r.clone();
        }
        // A lazy call's failure is a root failure of the run, whoever forces it.
        let shared = shared.rooted();
        let mut calls = thunk.unforced_inputs(&shared.plan);
        calls.pop();
        let mut waiting: Vec<usize> = calls.iter().map(|(_, reads)| reads.len()).collect();
        let mut readers = vec![Vec::new(); calls.len()];
        for (k, (_, reads)) in calls.iter().enumerate() {
            reads.iter().for_each(|&r| readers[r].push(k));
        }
        let run = |k: usize| force_one(shared.clone(), calls[k].0.clone()).map(move |_| k);
        let mut running: FuturesUnordered<_> = (0..calls.len()).filter(|&k| waiting[k] == 0).map(run).collect();
        while let Some(k) = running.next().await {
            for &r in &readers[k] {
                waiting[r] -= 1;
                if waiting[r] == 0 {
                    running.push(run(r));
                }
            }
        }
        force_one(shared, thunk).await
    })
}

/// Runs one lazy call unless it ran already (its lazy inputs are forced first if they have not
/// run yet).
fn force_one(shared: Arc<Shared>, thunk: Arc<Thunk>) -> BoxFuture<NodeResult> {
    Box::pin(Deep::<BoxFuture<NodeResult>>::new(Box::pin(async move {
        let run = || async {
            let mut scratch = Scratch::default();
            loop {
                match start(&shared, thunk.g, thunk.i, &thunk.own(&shared.plan), Frame::default(), &mut scratch) {
                    Ok(slot) => return slot.result(),
                    Err(future) => match future.await.1 {
                        Step::Done(r) => return r,
                        Step::Restart | Step::Forced => continue,
                    },
                }
            }
        };
        thunk.cell.get_or_init(run).await.clone()
    })))
}

/// Evaluates node `i` now if it is synchronous, else gives the future that will. A node with
/// inputs whose lazy calls have not run waits for them first.
fn start<S: Slots + ?Sized>(
    shared: &Arc<Shared>,
    g: u32,
    i: u32,
    slots: &S,
    frame: Frame<'_>,
    scratch: &mut Scratch,
) -> Result<Slot, Started> {
    let plan = &shared.plan.graphs[g as usize];
    let node = &plan.nodes[i as usize];
    if node.inputs.iter().any(|&x| slots.at(x).failed()) {
        return Ok(Slot::Fail);
    }
    let graphs = &shared.plan.graphs;
    let lazy: Vec<Arc<Thunk>> = exec::demands(graphs, node).filter_map(|x| slots.at(x).unforced().cloned()).collect();
    if !lazy.is_empty() {
        let forced = future::join_all(lazy.into_iter().map(|t| force(shared.clone(), t)));
        return Err(Box::pin(forced.map(move |_| (i, Step::Restart))));
    }
    let args = || -> Vec<Value> { node.inputs.iter().map(|&x| slots.at(x).result().unwrap_or_default()).collect() };
    match &node.kind {
        Kind::Call(call) if call.waits => match &call.policy {
            None => Err(boxed(i, call_future(shared.clone(), g, i, args()))),
            Some(_) => {
                let fallback = call.policy.as_ref().and_then(|p| p.fallback).map(|f| capture(graphs, f, slots));
                Err(boxed(i, invoke::call(shared.clone(), g, i, args(), fallback.unwrap_or_default())))
            }
        },
        Kind::HigherOrder(h) if h.waits => {
            let captures = capture(graphs, h.lambda, slots);
            match &h.policy {
                None => Err(boxed(i, hof_future(shared.clone(), g, i, args(), captures))),
                Some(p) => {
                    let fallback = p.fallback.map(|f| capture(graphs, f, slots)).unwrap_or_default();
                    Err(boxed(i, invoke::higher_order(shared.clone(), g, i, args(), captures, fallback)))
                }
            }
        }
        kind if owner_graphs(kind).iter().any(|&c| !graphs[c as usize].sync) => {
            let first = node.inputs.first().and_then(|&x| slots.at(x).value()).cloned().unwrap_or_default();
            let captures = owner_graphs(kind).into_iter().map(|c| (c, capture(graphs, c, slots))).collect();
            Err(boxed(i, owner_future(shared.clone(), g, i, first, captures)))
        }
        _ => Ok(shared.cx().eval(g, i as usize, slots, frame, scratch)),
    }
}

/// A node's future as the scheduler polls it.
fn boxed(i: u32, f: impl Future<Output = NodeResult> + Send + 'static) -> Started {
    Box::pin(f.map(move |r| (i, Step::Done(r))))
}

pub(crate) fn capture<S: Slots + ?Sized>(graphs: &[GraphPlan], g: u32, slots: &S) -> Vec<Slot> {
    graphs[g as usize].captures.iter().map(|&p| slots.at(p).clone()).collect()
}

/// The deferred graphs an owner node may run.
fn owner_graphs(kind: &Kind) -> Vec<u32> {
    match kind {
        Kind::And(c) | Kind::Or(c) | Kind::Guard(c) | Kind::Lazy(c) => vec![*c],
        Kind::Coalesce { default, .. } => vec![*default],
        Kind::If { then, otherwise } => vec![*then, *otherwise],
        Kind::Branch { conditions, arms, otherwise } => {
            conditions.iter().chain(arms.iter()).copied().chain([*otherwise]).collect()
        }
        Kind::Match(m) => m.by_member.iter().map(|(b, _)| *b).collect(),
        _ => Vec::new(),
    }
}

/// A call of an asynchronous or blocking module without options; a failure is a root failure.
async fn call_future(shared: Arc<Shared>, g: u32, i: u32, args: Vec<Value>) -> NodeResult {
    let node = &shared.plan.graphs[g as usize].nodes[i as usize];
    execute(&shared.plan, g, i, args, false).await.map_err(|m| shared.cx().fail(node, m))
}

/// Runs the module of call node `i` of graph `g`: its value or the message of its failure.
/// A synchronous module runs in place, or on the blocking pool when `abandonable` (so a timeout
/// can abandon it).
pub(crate) async fn execute(
    plan: &Arc<ExecutionPlan>,
    g: u32,
    i: u32,
    args: Vec<Value>,
    abandonable: bool,
) -> Result<Value, String> {
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let Kind::Call(call) = &node.kind else { unreachable!("execute is only started for calls") };
    let target = &plan.functions[call.function as usize];
    let blocking = |run: Box<dyn FnOnce() -> Result<Value, String> + Send>| async move {
        tokio::task::spawn_blocking(run).await.unwrap_or_else(|e| match e.try_into_panic() {
            Ok(p) => Err(format!("{}: module panicked: {}", target.name, panic_text(&*p))),
            Err(e) => Err(format!("{}: {e}", target.name)),
        })
    };
    let outcome = match &target.module {
        Module::Sync(_) if abandonable => {
            let plan = plan.clone();
            return blocking(Box::new(move || {
                let Kind::Call(call) = &plan.graphs[g as usize].nodes[i as usize].kind else {
                    unreachable!("execute is only started for calls")
                };
                exec::execute(&plan, call, &args)
            }))
            .await;
        }
        Module::Sync(_) => return exec::execute(plan, call, &args),
        Module::Async(f) => AssertUnwindSafe(f(args)).catch_unwind().await.map_err(|p| panic_text(&*p)),
        Module::Blocking(f) => {
            let f = f.clone();
            tokio::task::spawn_blocking(move || f(args)).await.map_err(|e| match e.try_into_panic() {
                Ok(p) => panic_text(&*p),
                Err(e) => e.to_string(),
            })
        }
        Module::HigherOrder(_) => unreachable!("higher-order calls are not module calls"),
    };
    match outcome {
        Ok(Ok(v)) => exec::returned(plan, call, v),
        Ok(Err(e)) => Err(format!("{}: {}", target.name, e.0)),
        Err(panic) => Err(format!("{}: module panicked: {panic}", target.name)),
    }
}

/// An owner (`if`, `branch`, `and`, `or`, guard, `??`, `match`, a lazy call) whose graphs wait.
/// `captures` holds what each of its graphs captures.
async fn owner_future(
    shared: Arc<Shared>,
    g: u32,
    i: u32,
    first: Value,
    captures: Vec<(u32, Vec<Slot>)>,
) -> NodeResult {
    let graphs = &shared.plan.graphs;
    let node = &graphs[g as usize].nodes[i as usize];
    let captured = |c: u32| captures.iter().find(|(k, _)| *k == c).map(|(_, s)| s.clone()).unwrap_or_default();
    let run = |c: u32, params: Vec<Value>| graph(shared.clone(), c, params, captured(c));
    let truthy = |v: &Value| matches!(v, Value::Bool(true));
    match &node.kind {
        Kind::And(c) if truthy(&first) => run(*c, Vec::new()).await,
        Kind::Or(c) if !truthy(&first) => run(*c, Vec::new()).await,
        Kind::And(_) | Kind::Or(_) => Ok(first),
        Kind::If { then, otherwise } => run(if truthy(&first) { *then } else { *otherwise }, Vec::new()).await,
        Kind::Branch { conditions, arms, otherwise } => {
            if truthy(&first) {
                return run(arms[0], Vec::new()).await;
            }
            for (k, &c) in conditions.iter().enumerate() {
                if truthy(&run(c, Vec::new()).await?) {
                    return run(arms[k + 1], Vec::new()).await;
                }
            }
            run(*otherwise, Vec::new()).await
        }
        Kind::Guard(c) if truthy(&first) => run(*c, Vec::new()).await.map(Value::some),
        Kind::Guard(_) => Ok(Value::None),
        Kind::Coalesce { default, .. } if first.is_none() => run(*default, Vec::new()).await,
        Kind::Coalesce { unwrap, .. } => Ok(if *unwrap { first.unwrap_some() } else { first }),
        Kind::Match(m) => {
            let (body, params) = match_case(m, &first);
            run(body, params).await
        }
        Kind::Lazy(c) => run(*c, Vec::new()).await,
        _ => unreachable!("owner_future is only started for owners"),
    }
}

/// A higher-order call whose lambda waits.
pub(crate) async fn hof_future(
    shared: Arc<Shared>,
    g: u32,
    i: u32,
    args: Vec<Value>,
    captures: Vec<Slot>,
) -> NodeResult {
    let node = &shared.plan.graphs[g as usize].nodes[i as usize];
    let Kind::HigherOrder(h) = &node.kind else { unreachable!("hof_future is only started for higher-order calls") };
    if shared.plan.graphs[h.lambda as usize].sync {
        // Started here only for options that wait (a timeout, a limiter, the cache): the lambda
        // itself never waits, so it runs on the spot.
        return hof::run_sync(&shared.cx(), node, h, &args, &captures, &mut Scratch::default());
    }
    let Some(items) = args.first().and_then(Value::as_list) else {
        return Err(shared.cx().fail(node, "the first argument of a higher-order function must be a list".into()));
    };
    let run = |params: Vec<Value>| graph(shared.clone(), h.lambda, params, captures.clone());
    let truthy = |v: &Value| matches!(v, Value::Bool(true));
    match h.kind {
        HigherOrder::Reduce => {
            let mut acc = args.get(1).cloned().unwrap_or_default();
            for item in items.iter() {
                acc = run(vec![acc, item]).await?;
            }
            Ok(acc)
        }
        HigherOrder::All | HigherOrder::Any | HigherOrder::Find => {
            let stop_on = h.kind != HigherOrder::All;
            for item in items.iter() {
                if truthy(&run(vec![item.clone()]).await?) == stop_on {
                    return Ok(if h.kind == HigherOrder::Find { Value::some(item) } else { Value::Bool(stop_on) });
                }
            }
            Ok(if h.kind == HigherOrder::Find { Value::None } else { Value::Bool(!stop_on) })
        }
        _ => {
            // Concurrently, each element with its own error list; keep only the first failure's.
            let isolated: Vec<Arc<Shared>> = (0..items.len()).map(|_| shared.isolated()).collect();
            let runs =
                items.iter().zip(&isolated).map(|(item, s)| graph(s.clone(), h.lambda, vec![item], captures.clone()));
            let results = future::join_all(runs).await;
            if let Some(k) = hof::first_failure(&results) {
                let errors = std::mem::take(&mut *isolated[k].errors.lock().unwrap_or_else(|e| e.into_inner()));
                shared.errors.lock().unwrap_or_else(|e| e.into_inner()).extend(errors);
                return Err(Failed);
            }
            Ok(Hof { h, items }.finish(results.into_iter().map(|r| r.unwrap_or_default()).collect()))
        }
    }
}

/// Runs the main graph; the outputs' nodes are demanded.
pub(crate) async fn main(shared: Arc<Shared>, done: &mut (dyn FnMut(u32, &Slot) + Send)) -> Vec<Slot> {
    let outputs: Vec<u32> = shared.plan.outputs.iter().map(|o| o.node).collect();
    schedule(&shared, 0, &[], &[], &outputs, done).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Kind, NodePlan};

    fn node(inputs: &[u32]) -> NodePlan {
        NodePlan { kind: Kind::Not, inputs: inputs.into(), line: 1, start: 0, lazy: false }
    }

    #[test]
    fn a_failure_fails_its_consumers_without_waiting_for_their_other_inputs() {
        // n0 (fails) and n1 (still running) feed n2, which feeds n3; n4 only captures n0.
        let plan = GraphPlan {
            nodes: vec![node(&[]), node(&[]), node(&[0, 1]), node(&[2]), node(&[])],
            captures: Vec::new(),
            result: 3,
            sync: false,
            deps: vec![Box::new([]), Box::new([]), Box::new([0, 1]), Box::new([2]), Box::new([0])],
            consumers: vec![Box::new([2, 4]), Box::new([2]), Box::new([3]), Box::new([]), Box::new([])],
        };
        let mut slots = vec![Slot::Empty; 5];
        let mut remaining = vec![0, 0, 2, 1, 1];
        let mut ready = Vec::new();
        let mut seen = Vec::new();
        complete(&plan, 0, Slot::Fail, &mut slots, &mut remaining, &mut ready, &mut |i, _| seen.push(i));
        assert_eq!(seen, [0, 2, 3], "n2 and n3 fail at once; n1 is still pending");
        assert!(matches!(slots[2], Slot::Fail) && matches!(slots[3], Slot::Fail));
        assert_eq!(ready, [4], "a node that only captures the failed value still runs");
        assert!(matches!(slots[1], Slot::Empty));
    }
}

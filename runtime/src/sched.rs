//! Floor 5 of the runtime: the asynchronous scheduler, for graphs that hold calls which wait.
//!
//! A node starts when everything it depends on is complete. Synchronous nodes are evaluated on
//! the spot by the evaluator below (`exec`); calls of asynchronous or blocking modules, calls with
//! options that wait, and nodes whose graphs contain such calls become futures (`call`), polled
//! concurrently. A failed node fails every node that takes it as an input at once, without
//! waiting for their other inputs (SPEC §7.3); work that does not need it goes on. A lazy call's
//! slot gets a thunk; a node reading an unforced thunk first forces it (`force`, shared by all who
//! demand it) and then starts again; demanded nodes (outputs, a graph's result) are forced as soon
//! as their thunk exists.
//!
//! Children: `call` (the futures of calls, owners and higher-order calls), `force`.

mod call;
mod force;

pub(crate) use force::force;

use crate::exec::{Frame, RunCx};
use crate::outcome::{PartialOutputs, RunError};
use crate::plan::{ExecutionPlan, GraphPlan, Kind};
use crate::policy::{Policy, apply};
use crate::services::cache::{Looked, Now, Served};
use crate::services::limit::{Gate, Held};
use crate::services::profile::{Clock, Profile};
use crate::values::budget::Budget;
use crate::values::slot::{NodeResult, Scratch, Slot, Slots, Thunk};
use asterism_registry::Reporter;
use asterism_registry::dag::{GraphId, NodeId};
use asterism_registry::module::{BoxFuture, ModuleResult};
use asterism_registry::value::Value;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::{FutureExt, future};
use parking_lot::Mutex;
use std::future::Future;
use std::sync::Arc;
use tokio::time::Instant;

/// What the futures of one run share.
pub(crate) struct Shared {
    pub plan: Arc<ExecutionPlan>,
    pub inputs: Arc<[Value]>,
    /// Where failures are recorded: the run's list, or a separate one (`isolated`).
    pub errors: Arc<Mutex<Vec<RunError>>>,
    /// The run's own list, where lazy calls record their failures wherever they are forced.
    pub root: Arc<Mutex<Vec<RunError>>>,
    pub reporter: Arc<dyn Reporter>,
    pub budget: Arc<Budget>,
    /// The concurrency permits held by the calls this work runs inside (a higher-order call's
    /// lambdas run inside it): a call needing one of them takes no second one (SPEC §6.4).
    pub held: Held,
    /// When the attempt this work belongs to times out.
    pub until: Option<Instant>,
    /// Where pieces of outputs go as their modules send them.
    pub partial: Option<PartialOutputs>,
    /// A profiled run's profile, and when the run began.
    pub clock: Option<(Arc<Profile>, std::time::Instant)>,
}

impl Shared {
    /// A run's shared state, with the failures recorded so far.
    pub fn new(
        plan: Arc<ExecutionPlan>,
        inputs: Arc<[Value]>,
        (reporter, partial): (Arc<dyn Reporter>, Option<PartialOutputs>),
        budget: Budget,
        errors: Vec<RunError>,
        clock: Option<(Arc<Profile>, std::time::Instant)>,
    ) -> Shared {
        let errors = Arc::new(Mutex::new(errors));
        let budget = Arc::new(budget);
        Shared {
            plan,
            inputs,
            root: errors.clone(),
            errors,
            reporter,
            budget,
            held: Held::default(),
            until: None,
            partial,
            clock,
        }
    }

    pub fn cx(&self) -> RunCx<'_> {
        RunCx {
            plan: &self.plan,
            inputs: &self.inputs,
            errors: &self.errors,
            root: &self.root,
            reporter: &*self.reporter,
            budget: &self.budget,
            until: self.until,
            clock: self.clock.as_ref().map(|(profile, start)| Clock { profile, start: *start }),
        }
    }

    /// The same run recording in `errors`.
    fn with_errors(&self, errors: Arc<Mutex<Vec<RunError>>>, held: Held, until: Option<Instant>) -> Arc<Shared> {
        let (plan, inputs, root, reporter, budget) =
            (self.plan.clone(), self.inputs.clone(), self.root.clone(), self.reporter.clone(), self.budget.clone());
        let (partial, clock) = (self.partial.clone(), self.clock.clone());
        Arc::new(Shared { plan, inputs, errors, root, reporter, budget, held, until, partial, clock })
    }

    /// The same run with a separate error list.
    pub fn isolated(&self) -> Arc<Shared> {
        self.with_errors(Default::default(), self.held.clone(), self.until)
    }

    /// The same run with a separate error list, for an attempt of a call holding `gate`'s
    /// permit and timing out at `until`.
    pub fn attempt(&self, gate: Option<&Arc<Gate>>, until: Option<Instant>) -> Arc<Shared> {
        let until = match (self.until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.with_errors(Default::default(), self.held.with(gate), until)
    }

    /// The same run recording in the run's own error list.
    fn rooted(self: &Arc<Self>) -> Arc<Shared> {
        match Arc::ptr_eq(&self.errors, &self.root) {
            true => self.clone(),
            false => self.with_errors(self.root.clone(), self.held.clone(), self.until),
        }
    }

    /// Takes the errors recorded so far.
    pub fn take_errors(&self) -> Vec<RunError> {
        std::mem::take(&mut *self.errors.lock())
    }
}

/// What a started node's future gives: its result, a request to start it again (its lazy inputs
/// have run), or the news that its own lazy value has run (for a demanded node).
pub(crate) enum Step {
    Done(NodeResult),
    Restart,
    Forced,
}

type Started = BoxFuture<(NodeId, Step)>;

/// Runs graph `g` of the plan with the given parameters and captures to its result.
pub(crate) fn graph(shared: Arc<Shared>, g: GraphId, params: Vec<Value>, captures: Vec<Slot>) -> BoxFuture<NodeResult> {
    Box::pin(async move {
        if let Some((profile, _)) = &shared.clock {
            profile.graph_ran(g as usize);
        }
        let result = shared.plan.graphs[g as usize].result;
        let slots = schedule(&shared, g, &params, &captures, &[result], &mut |_, _| {}).await;
        slots[result as usize].result()
    })
}

/// Where a run's first pass (on the caller's thread, `ExecutionPlan::run_with`) stopped: the
/// slots of the main graph's nodes before `at`, and node `at`, which waits — started (when, in a
/// profiled run), its module's future `waiting`, or not started.
pub(crate) struct Handoff {
    pub slots: Vec<Slot>,
    pub at: NodeId,
    pub waiting: Option<(Waiting, Option<std::time::Instant>)>,
}

/// What node `at` of a handoff was doing when the first pass stopped.
pub(crate) enum Waiting {
    /// Its module's future, polled once.
    Module(BoxFuture<ModuleResult>),
    /// Its cache missed (the call is to run with its policy).
    Cached(Looked),
}

/// Runs the rest of the main graph from where the first pass stopped; the outputs' nodes are
/// demanded, and `done` sees each node completed from here on.
pub(crate) async fn resume(
    shared: Arc<Shared>,
    handoff: Handoff,
    done: &mut (dyn FnMut(NodeId, &Slot) + Send),
) -> Vec<Slot> {
    let plan = &shared.plan.graphs[0];
    let Handoff { mut slots, at, waiting } = handoff;
    slots.resize(plan.nodes.len(), Slot::Empty);
    let mut remaining: Vec<u32> = plan
        .deps
        .iter()
        .map(|d| d.iter().filter(|&&x| matches!(slots[x as usize], Slot::Empty)).count() as u32)
        .collect();
    let pending: FuturesUnordered<Started> = FuturesUnordered::new();
    let outputs: Vec<NodeId> = shared.plan.outputs.iter().map(|o| o.node).collect();
    for &o in &outputs {
        if let Some(t) = slots[o as usize].unforced() {
            pending.push(Box::pin(force(shared.clone(), t.clone()).map(move |_| (o, Step::Forced))));
        }
    }
    let mut ready = Vec::new();
    for i in (at as usize..plan.nodes.len()).rev() {
        if remaining[i] == 0 && (i != at as usize || waiting.is_none()) {
            ready.push(i as NodeId);
        }
    }
    let mut began = match shared.clock {
        Some(_) => vec![None; plan.nodes.len()],
        None => Vec::new(),
    };
    if let Some((waiting, started)) = waiting {
        if let Some(b) = began.get_mut(at as usize) {
            *b = started;
        }
        match waiting {
            Waiting::Module(future) => pending.push(boxed(at, call::resumed(shared.clone(), 0, at, future))),
            Waiting::Cached(looked) => pending.push(policy_started(&shared, 0, at, &slots[..], Some(looked))),
        }
    }
    // A node whose input failed in the first pass fails now, without waiting for the others.
    for i in at as usize + 1..plan.nodes.len() {
        if matches!(slots[i], Slot::Empty) && plan.nodes[i].inputs.iter().any(|&x| slots[x as usize].failed()) {
            complete(plan, i as NodeId, Slot::Fail, &mut slots, &mut remaining, &mut ready, done);
        }
    }
    let state = State { slots, remaining, ready, pending, began };
    drive(&shared, 0, Frame::default(), &outputs, done, state).await
}

/// What the scheduler of one graph invocation holds: each node's slot, how many of its
/// dependencies each node still waits for, the nodes ready to start, the futures started, and in
/// a profiled run's main graph when each started node began (else empty).
struct State {
    slots: Vec<Slot>,
    remaining: Vec<u32>,
    ready: Vec<NodeId>,
    pending: FuturesUnordered<Started>,
    began: Vec<Option<std::time::Instant>>,
}

/// Runs every node of graph `g`; `done(node, slot)` sees each node as it completes, and each
/// node of `demanded` again once its lazy value has run (lazy values in `demanded` are forced).
pub(crate) async fn schedule(
    shared: &Arc<Shared>,
    g: GraphId,
    params: &[Value],
    captures: &[Slot],
    demanded: &[NodeId],
    done: &mut (dyn FnMut(NodeId, &Slot) + Send),
) -> Vec<Slot> {
    let plan = &shared.plan.graphs[g as usize];
    let n = plan.nodes.len();
    let remaining: Vec<u32> = plan.deps.iter().map(|d| d.len() as u32).collect();
    let ready: Vec<NodeId> = (0..n as u32).rev().filter(|&i| remaining[i as usize] == 0).collect();
    let pending = FuturesUnordered::new();
    let state = State { slots: vec![Slot::Empty; n], remaining, ready, pending, began: Vec::new() };
    drive(shared, g, Frame { params, captures }, demanded, done, state).await
}

/// Starts ready nodes and waits for started ones until every node of graph `g` is complete (or
/// the run's time is up); gives the slots.
async fn drive(
    shared: &Arc<Shared>,
    g: GraphId,
    frame: Frame<'_>,
    demanded: &[NodeId],
    done: &mut (dyn FnMut(NodeId, &Slot) + Send),
    state: State,
) -> Vec<Slot> {
    let plan = &shared.plan.graphs[g as usize];
    let State { mut slots, mut remaining, mut ready, mut pending, mut began } = state;
    let clock = shared.cx().clock.filter(|_| !began.is_empty());
    let mut scratch = Scratch::default();
    loop {
        while let Some(i) = ready.pop() {
            if !matches!(slots[i as usize], Slot::Empty) {
                continue; // failed early through an input
            }
            let now = clock.map(|_| std::time::Instant::now());
            let slot = match plan.nodes[i as usize].lazy {
                true => shared.cx().park(g, i as usize, &slots),
                false => match start(shared, g, i, &slots[..], frame, &mut scratch) {
                    Ok(slot) => slot,
                    Err(future) => {
                        // A restarted node (its lazy inputs ran) keeps when it first began.
                        if let Some(b) = began.get_mut(i as usize) {
                            *b = b.or(now);
                        }
                        pending.push(future);
                        continue;
                    }
                },
            };
            if let (Some(clock), Some(now)) = (clock, now) {
                clock.ran(i as usize, now, !slot.failed());
            }
            if let Some(t) = slot.unforced().filter(|_| demanded.contains(&i)) {
                pending.push(Box::pin(force(shared.clone(), t.clone()).map(move |_| (i, Step::Forced))));
            }
            complete(plan, i, slot, &mut slots, &mut remaining, &mut ready, done);
        }
        let next = match shared.budget.deadline() {
            None => pending.next().await,
            Some(deadline) => tokio::select! {
                next = pending.next() => next,
                () = tokio::time::sleep_until(deadline) => {
                    // Whatever still runs is abandoned; what finished stays.
                    if let Some(message) = shared.budget.expired() {
                        let at = plan.nodes.get(pending_node(&slots)).map(|n| n.at).unwrap_or_default();
                        shared.root.lock().push(RunError::at(at, message));
                    }
                    break;
                }
            },
        };
        match next {
            Some((i, Step::Done(r))) => {
                let r = r.and_then(|v| shared.cx().charged(&plan.nodes[i as usize], v));
                if let Some(clock) = clock
                    && let Some(b) = began.get(i as usize).copied().flatten()
                {
                    clock.ran(i as usize, b, r.is_ok());
                }
                complete(plan, i, Slot::of(r), &mut slots, &mut remaining, &mut ready, done)
            }
            Some((i, Step::Restart)) => ready.push(i),
            Some((i, Step::Forced)) => done(i, &slots[i as usize]),
            None => break,
        }
    }
    slots
}

/// The first node that has not completed (where a passed deadline is reported).
fn pending_node(slots: &[Slot]) -> usize {
    slots.iter().position(|s| matches!(s, Slot::Empty)).unwrap_or_default()
}

/// Records node `i`'s slot; a failure fails at once every node taking `i` as an input.
fn complete(
    plan: &GraphPlan,
    i: NodeId,
    slot: Slot,
    slots: &mut [Slot],
    remaining: &mut [u32],
    ready: &mut Vec<NodeId>,
    done: &mut (dyn FnMut(NodeId, &Slot) + Send),
) {
    // The failures it cascades to, if any (no allocation for the usual case of none).
    let mut work = Vec::new();
    let mut next = Some((i, slot));
    while let Some((i, slot)) = next.take().or_else(|| work.pop()) {
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

/// Evaluates node `i` now if it is synchronous, else gives the future that will. A node with
/// inputs whose lazy calls have not run waits for them first.
fn start<S: Slots + ?Sized>(
    shared: &Arc<Shared>,
    g: GraphId,
    i: NodeId,
    slots: &S,
    frame: Frame<'_>,
    scratch: &mut Scratch,
) -> Result<Slot, Started> {
    let plan = &shared.plan;
    let node = &plan.graphs[g as usize].nodes[i as usize];
    if node.inputs.iter().any(|&x| slots.at(x).failed()) {
        return Ok(Slot::Fail);
    }
    let lazy: Vec<Arc<Thunk>> = plan.demands(node).filter_map(|x| slots.at(x).unforced().cloned()).collect();
    if !lazy.is_empty() {
        let forced = future::join_all(lazy.into_iter().map(|t| force(shared.clone(), t)));
        return Err(Box::pin(forced.map(move |_| (i, Step::Restart))));
    }
    let args = || -> Vec<Value> { node.inputs.iter().map(|&x| slots.at(x).value_or_default()).collect() };
    let capture =
        |g: GraphId| -> Vec<Slot> { plan.graphs[g as usize].captures.iter().map(|&p| slots.at(p).clone()).collect() };
    let fallback = |policy: &Policy| policy.fallback.map(capture).unwrap_or_default();
    if !node.waits {
        return Ok(shared.cx().eval(g, i as usize, slots, frame, scratch));
    }
    match &node.kind {
        Kind::Call(c) => match c.policy.as_deref() {
            None => match call::module(shared, g, i, args()) {
                Ok(r) => Ok(Slot::of(r.and_then(|v| shared.cx().charged(node, v)))),
                Err(future) => Err(boxed(i, future)),
            },
            Some(p) => match apply::stored(p, &args(), &*shared.reporter) {
                Now::Hit(v, tier) => {
                    call::tried(shared, g, i, 0.into(), Served::Stored(tier));
                    Ok(Slot::of(shared.cx().charged(node, v)))
                }
                Now::Missed(looked) => Err(policy_started(shared, g, i, slots, Some(looked))),
                Now::Later => Err(policy_started(shared, g, i, slots, None)),
            },
        },
        Kind::HigherOrder(h) => {
            let (args, captures) = (args(), capture(h.lambda));
            match h.policy.as_deref() {
                None => Err(boxed(i, call::run_hof(shared.clone(), g, i, args, captures))),
                Some(p) => {
                    let f = call::higher_order_with_policy(shared.clone(), g, i, args, captures, fallback(p));
                    Err(boxed(i, f))
                }
            }
        }
        kind => {
            let first = node.inputs.first().map(|&x| slots.at(x).value_or_default()).unwrap_or_default();
            let captures = kind.owned_graphs().into_iter().map(|c| (c, capture(c))).collect();
            Err(boxed(i, call::owner(shared.clone(), g, i, first, captures)))
        }
    }
}

/// Module call node `i` of graph `g`, which has a policy, started on the scheduler (`looked`: a
/// lookup of its cache made already, which missed).
fn policy_started<S: Slots + ?Sized>(
    shared: &Arc<Shared>,
    g: GraphId,
    i: NodeId,
    slots: &S,
    looked: Option<Looked>,
) -> Started {
    let plan = &shared.plan;
    let node = &plan.graphs[g as usize].nodes[i as usize];
    let args: Vec<Value> = node.inputs.iter().map(|&x| slots.at(x).value_or_default()).collect();
    let fallback = match &node.kind {
        Kind::Call(c) => c.policy.as_ref().and_then(|p| p.fallback),
        _ => None,
    };
    let captures = fallback.map(|f| plan.graphs[f as usize].captures.iter().map(|&x| slots.at(x).clone()).collect());
    boxed(i, call::module_with_policy(shared.clone(), g, i, args, captures.unwrap_or_default(), looked))
}

/// A node's future as the scheduler polls it.
fn boxed(i: NodeId, f: impl Future<Output = NodeResult> + Send + 'static) -> Started {
    Box::pin(f.map(move |r| (i, Step::Done(r))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::At;
    use crate::plan::NodePlan;

    fn node(inputs: &[u32]) -> NodePlan {
        NodePlan { kind: Kind::Not, inputs: inputs.into(), at: At::default(), lazy: false, waits: false }
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

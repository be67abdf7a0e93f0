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
use crate::outcome::RunError;
use crate::plan::{ExecutionPlan, GraphPlan, Kind};
use crate::policy::Policy;
use crate::services::limit::{Gate, Held};
use crate::values::budget::Budget;
use crate::values::slot::{NodeResult, Scratch, Slot, Slots, Thunk};
use asterism_registry::Reporter;
use asterism_registry::dag::{GraphId, NodeId};
use asterism_registry::module::BoxFuture;
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
}

impl Shared {
    pub fn new(plan: Arc<ExecutionPlan>, inputs: Arc<[Value]>, reporter: Arc<dyn Reporter>, budget: Budget) -> Shared {
        let errors: Arc<Mutex<Vec<RunError>>> = Default::default();
        let budget = Arc::new(budget);
        Shared { plan, inputs, root: errors.clone(), errors, reporter, budget, held: Held::default(), until: None }
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
        }
    }

    /// The same run recording in `errors`.
    fn with_errors(&self, errors: Arc<Mutex<Vec<RunError>>>, held: Held, until: Option<Instant>) -> Arc<Shared> {
        let (plan, inputs, root, reporter, budget) =
            (self.plan.clone(), self.inputs.clone(), self.root.clone(), self.reporter.clone(), self.budget.clone());
        Arc::new(Shared { plan, inputs, errors, root, reporter, budget, held, until })
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
        let result = shared.plan.graphs[g as usize].result;
        let slots = schedule(&shared, g, &params, &captures, &[result], &mut |_, _| {}).await;
        slots[result as usize].result()
    })
}

/// Runs the main graph; the outputs' nodes are demanded.
pub(crate) async fn main(shared: Arc<Shared>, done: &mut (dyn FnMut(NodeId, &Slot) + Send)) -> Vec<Slot> {
    let outputs: Vec<NodeId> = shared.plan.outputs.iter().map(|o| o.node).collect();
    schedule(&shared, 0, &[], &[], &outputs, done).await
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
    let mut slots = vec![Slot::Empty; n];
    let mut remaining: Vec<u32> = plan.deps.iter().map(|d| d.len() as u32).collect();
    let mut ready: Vec<NodeId> = (0..n as u32).rev().filter(|&i| remaining[i as usize] == 0).collect();
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
    match &node.kind {
        Kind::Call(c) if c.waits => match c.policy.as_deref() {
            None => Err(boxed(i, call::module(shared.clone(), g, i, args()))),
            Some(p) => Err(boxed(i, call::module_with_policy(shared.clone(), g, i, args(), fallback(p)))),
        },
        Kind::HigherOrder(h) if h.waits => {
            let (args, captures) = (args(), capture(h.lambda));
            match h.policy.as_deref() {
                None => Err(boxed(i, call::run_hof(shared.clone(), g, i, args, captures))),
                Some(p) => {
                    let f = call::higher_order_with_policy(shared.clone(), g, i, args, captures, fallback(p));
                    Err(boxed(i, f))
                }
            }
        }
        kind if kind.owned_graphs().iter().any(|&c| !plan.graphs[c as usize].sync) => {
            let first = node.inputs.first().map(|&x| slots.at(x).value_or_default()).unwrap_or_default();
            let captures = kind.owned_graphs().into_iter().map(|c| (c, capture(c))).collect();
            Err(boxed(i, call::owner(shared.clone(), g, i, first, captures)))
        }
        _ => Ok(shared.cx().eval(g, i as usize, slots, frame, scratch)),
    }
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
        NodePlan { kind: Kind::Not, inputs: inputs.into(), at: At::default(), lazy: false }
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

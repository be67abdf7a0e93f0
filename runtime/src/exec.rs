//! Floor 4 of the runtime: the synchronous evaluator. It runs a graph whose nodes are all
//! synchronous in one pass, in topological order, and evaluates single nodes for the
//! asynchronous scheduler above it too.
//!
//! A node whose input failed fails without running (the failure is not recorded again: SPEC
//! §7.3). A node that fails by itself records a root failure (message and line) and fails.
//! Deferred parts run only when their owner decides so (§7.2, the rules in `owner`); lambdas run
//! as `hof` steps them; module calls and calls with options that never wait are in `call`. A lazy
//! call becomes a thunk (`park`), forced in place by the first node that reads it (`lazy`);
//! captures pass thunks on unforced. Buffers come from `Scratch`, so a warm run allocates only
//! the values it produces.
//!
//! Children: `call`, `owner`, `hof`, `lazy`, and `deep` (stack room for nested forcing).

pub(crate) mod call;
pub(crate) mod deep;
pub(crate) mod hof;
pub(crate) mod lazy;
pub(crate) mod owner;

use crate::outcome::RunError;
use crate::plan::{ExecutionPlan, GraphPlan, Kind, NodePlan};
use crate::services::profile::Clock;
use crate::values::budget::Budget;
use crate::values::ops;
use crate::values::slot::{Failed, NodeResult, Scratch, Slot, Slots, Thunk};
use asterism_registry::Reporter;
use asterism_registry::dag::GraphId;
use asterism_registry::value::Value;
use owner::{Next, truthy};
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::time::Instant;

/// What all graphs of one run share.
#[derive(Clone, Copy)]
pub(crate) struct RunCx<'a> {
    pub plan: &'a ExecutionPlan,
    pub inputs: &'a [Value],
    /// Where failures are recorded: the run's list, or a separate one (a higher-order call's
    /// attempt).
    pub errors: &'a Mutex<Vec<RunError>>,
    /// The run's own list, where lazy calls record their failures wherever they are forced.
    pub root: &'a Mutex<Vec<RunError>>,
    /// Where the run's notices go (`log`, `on_error: log`).
    pub reporter: &'a dyn Reporter,
    /// The memory and time the run may take.
    pub budget: &'a Budget,
    /// When the attempt this work belongs to times out (a higher-order call's `timeout`): its
    /// lambdas stop being called then.
    pub until: Option<Instant>,
    /// The clock of a profiled run.
    pub clock: Option<Clock<'a>>,
}

/// The environment of one graph invocation.
#[derive(Clone, Copy, Default)]
pub(crate) struct Frame<'a> {
    pub params: &'a [Value],
    pub captures: &'a [Slot],
}

impl RunCx<'_> {
    /// Records a root failure of `node` and fails.
    pub fn fail(&self, node: &NodePlan, message: String) -> Failed {
        self.errors.lock().push(RunError::at(node.at, message));
        Failed
    }

    /// Runs graph `g` to its result.
    pub fn graph(&self, g: GraphId, frame: Frame<'_>, scratch: &mut Scratch) -> NodeResult {
        if let Some(clock) = self.clock {
            clock.profile.graph_ran(g as usize);
        }
        let plan = &self.plan.graphs[g as usize];
        let mut slots = scratch.take_slots();
        for i in 0..plan.nodes.len() {
            let slot = self.slot(g, i, &slots, frame, scratch);
            slots.push(slot);
        }
        let result = match &slots[plan.result as usize] {
            Slot::Lazy(t) => lazy::force(t, self, scratch).clone(),
            slot => slot.result(),
        };
        scratch.give_slots(slots);
        result
    }

    /// The slot of node `i` of graph `g`: a lazy call becomes a thunk, any other node is
    /// evaluated (`eval`).
    #[inline]
    pub fn slot(&self, g: GraphId, i: usize, slots: &[Slot], frame: Frame<'_>, scratch: &mut Scratch) -> Slot {
        match self.plan.graphs[g as usize].nodes[i].lazy {
            true => self.park(g, i, slots),
            false => self.eval(g, i, slots, frame, scratch),
        }
    }

    /// The thunk of lazy node `i` of graph `g`, or a failure if an input failed.
    pub fn park(&self, g: GraphId, i: usize, slots: &[Slot]) -> Slot {
        let plan = &self.plan.graphs[g as usize];
        match plan.nodes[i].inputs.iter().any(|&x| slots[x as usize].failed()) {
            true => Slot::Fail,
            false => Slot::Lazy(Arc::new(Thunk::new(g, i, &plan.deps[i], slots))),
        }
    }

    /// Evaluates node `i` of graph `g`; a capture passes its slot on as it is, so a lazy value
    /// stays unforced.
    #[inline]
    pub fn eval<S: Slots + ?Sized>(
        &self,
        g: GraphId,
        i: usize,
        slots: &S,
        frame: Frame<'_>,
        scratch: &mut Scratch,
    ) -> Slot {
        let plan = &self.plan.graphs[g as usize];
        match plan.nodes[i].kind {
            Kind::Capture(k) => frame.captures[k as usize].clone(),
            _ => Slot::of(self.node(plan, i, slots, frame, scratch)),
        }
    }

    /// The captures of graph `g`, read from the slots of the graph it is nested in.
    pub fn captures<S: Slots + ?Sized>(&self, g: GraphId, slots: &S, scratch: &mut Scratch) -> Vec<Slot> {
        let mut out = scratch.take_slots();
        out.extend(self.plan.graphs[g as usize].captures.iter().map(|&p| slots.at(p).clone()));
        out
    }

    /// Runs the graph `g` nested in the graph whose slots are `slots`.
    pub fn child<S: Slots + ?Sized>(
        &self,
        g: GraphId,
        params: &[Value],
        slots: &S,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let captures = self.captures(g, slots, scratch);
        let r = self.graph(g, Frame { params, captures: &captures }, scratch);
        scratch.give_slots(captures);
        r
    }

    /// `v`, made by `node`, once charged to the budget when the node allocates.
    #[inline(always)]
    pub fn charged(&self, node: &NodePlan, v: Value) -> NodeResult {
        match node.kind.allocates() {
            true => self.keep(node, v),
            false => Ok(v),
        }
    }

    /// `v`, a value `node` made, once charged to the budget.
    #[inline(always)]
    fn keep(&self, node: &NodePlan, v: Value) -> NodeResult {
        match self.budget.charge(&v) {
            Ok(()) => Ok(v),
            Err(m) => Err(self.over_budget(node, m)),
        }
    }

    /// The failure of `node` past the budget: recorded in the run's own list (whoever handles
    /// the node's other failures), the first time only.
    #[cold]
    fn over_budget(&self, node: &NodePlan, message: Option<String>) -> Failed {
        if let Some(message) = message {
            self.root.lock().push(RunError::at(node.at, message));
        }
        Failed
    }

    /// Evaluates node `i` of `plan`, whose earlier nodes are in `slots`, within the run's budget:
    /// a node that makes a value (`Kind::allocates`) is charged for it.
    pub fn node<S: Slots + ?Sized>(
        &self,
        plan: &GraphPlan,
        i: usize,
        slots: &S,
        frame: Frame<'_>,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let node = &plan.nodes[i];
        if let Err(m) = self.budget.tick() {
            return Err(self.over_budget(node, m));
        }
        let mut inputs = [&Value::None; 2];
        for (k, &x) in node.inputs.iter().enumerate() {
            match slots.at(x) {
                Slot::Val(v) if k < 2 => inputs[k] = v,
                Slot::Val(_) => {}
                Slot::Lazy(t) => {
                    let v = lazy::force(t, self, scratch).as_ref().map_err(|_| Failed)?;
                    if k < 2 {
                        inputs[k] = v;
                    }
                }
                Slot::Fail | Slot::Empty => return Err(Failed),
            }
        }
        let [a, b] = inputs;
        let op = |r: Result<Value, String>| r.map_err(|m| self.fail(node, m));
        let gather = |scratch: &mut Scratch| {
            let mut values = scratch.take_values();
            values.extend(node.inputs.iter().map(|&x| slots.at(x).value_or_default()));
            values
        };
        match &node.kind {
            Kind::Input(k) => Ok(self.inputs[*k as usize].clone()),
            Kind::Param(k) => Ok(frame.params[*k as usize].clone()),
            Kind::Capture(k) => frame.captures[*k as usize].result(),
            Kind::Const(v) => Ok(v.clone()),
            // One argument is passed straight from its slot; more are gathered in a buffer.
            Kind::Call(call) if node.inputs.len() == 1 && call.policy.is_none() => {
                let v = self.call(node, call, std::slice::from_ref(a))?;
                self.keep(node, v)
            }
            Kind::Call(call) => {
                let args = gather(scratch);
                let r = match &call.policy {
                    None => self.call(node, call, &args),
                    Some(policy) => self.call_with(node, call, policy, &args, slots, scratch),
                };
                scratch.give_values(args);
                self.keep(node, r?)
            }
            Kind::HigherOrder(h) => {
                let captures = self.captures(h.lambda, slots, scratch);
                // The call depends on what its lambda captures (SPEC §4.17): lazy values run first.
                for c in &captures {
                    if let Slot::Lazy(t) = c {
                        lazy::force(t, self, scratch);
                    }
                }
                let args = gather(scratch);
                let r = match &h.policy {
                    None => hof::run(self, node, h, &args, &captures, scratch),
                    Some(policy) => self.higher_order_with(node, h, policy, &args, &captures, slots, scratch),
                };
                scratch.give_values(args);
                scratch.give_slots(captures);
                self.keep(node, r?)
            }
            Kind::Field { index, lifted, elem } => self.charged(node, ops::field(a, *index, *lifted, *elem)),
            Kind::Project { indices, lifted } => self.charged(node, ops::project(a, indices, *lifted)),
            Kind::List(elem) => {
                self.keep(node, ops::list(node.inputs.iter().map(|&x| slots.at(x).value_or_default()), *elem))
            }
            Kind::Record(layout) => {
                let values = gather(scratch);
                let r = ops::record(&values, layout);
                scratch.give_values(values);
                self.keep(node, r)
            }
            Kind::Neg => op(ops::neg(a)),
            Kind::Not => Ok(Value::Bool(!truthy(a))),
            Kind::Arith(o) => op(ops::arith(*o, a, b)),
            Kind::Concat => self.keep(node, op(ops::concat(a, b, self.budget.limits()))?),
            Kind::Merge { shape, fields } => self.keep(node, op(ops::merge(*shape, fields, a, b))?),
            Kind::Compare(o) => Ok(Value::Bool(ops::compare(*o, a, b))),
            Kind::Interp(parts) => {
                let values = gather(scratch);
                let r = ops::interpolate(parts, &values, self.budget.limits());
                scratch.give_values(values);
                self.keep(node, op(r)?)
            }
            Kind::Convert(c) => self.keep(node, c.apply(a.clone())),
            // Owners: run the deferred graphs the rule chooses (`owner`); most decide at once.
            kind => {
                let next = owner::start(kind, a);
                match next {
                    Next::Tail(g) => {
                        // Nothing in it to drop: no call of the drop glue on the hot path.
                        std::mem::forget(next);
                        self.child(g, &[], slots, scratch)
                    }
                    Next::Done(v) => Ok(v),
                    next => self.steps(kind, next, slots, scratch),
                }
            }
        }
    }

    /// Drives an owner that runs graphs before it decides (a guard, a branch's conditions) or
    /// runs a `match` case.
    #[inline(never)]
    fn steps<S: Slots + ?Sized>(&self, kind: &Kind, mut next: Next, slots: &S, scratch: &mut Scratch) -> NodeResult {
        for k in 0.. {
            next = match next {
                Next::Run(g) => owner::feed(kind, k, self.child(g, &[], slots, scratch)?),
                Next::Tail(g) => return self.child(g, &[], slots, scratch),
                Next::Case(g, params) => return self.child(g, &params, slots, scratch),
                Next::Done(v) => return Ok(v),
            }
        }
        unreachable!("an owner decides after finitely many graphs")
    }
}

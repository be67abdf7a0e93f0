//! Synchronous execution: runs a graph whose nodes are all synchronous in one pass, in
//! topological order, and evaluates single nodes for the asynchronous scheduler too.
//!
//! A node whose input failed fails without running (the failure is not recorded again: SPEC §7.3).
//! A node that fails by itself records a root failure (message and line) and fails. Deferred parts
//! run only when their owner decides so (§7.2): `if` runs one arm, `branch` its conditions in order
//! and one arm, `and`/`or` their right side only when the left does not decide, a guard its value
//! only when the condition holds, `??` its default only for None, `match` the chosen body.
//! A lazy call becomes a thunk (`park`), forced in place by the first node that reads it; captures
//! pass thunks on unforced. Calls with options go through `invoke`.
//! Buffers come from `Scratch`, so a warm run allocates only the values it produces.

use crate::hof;
use crate::lazy::Thunk;
use crate::ops;
use crate::outcome::RunError;
use crate::plan::{CallPlan, ExecutionPlan, GraphPlan, Kind, MatchPlan, NodePlan};
use asterism_registry::module::{CallContext, Module};
use asterism_registry::value::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

/// The state of one node: not run yet, its value, failed, or a lazy call (run or not).
#[derive(Clone, Debug, Default)]
pub(crate) enum Slot {
    #[default]
    Empty,
    Val(Value),
    Fail,
    Lazy(Arc<Thunk>),
}

impl Slot {
    pub fn of(r: NodeResult) -> Slot {
        match r {
            Ok(v) => Slot::Val(v),
            Err(Failed) => Slot::Fail,
        }
    }

    /// The value, if there is one now.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Slot::Val(v) => Some(v),
            Slot::Lazy(t) => t.get().and_then(|r| r.as_ref().ok()),
            _ => None,
        }
    }

    pub fn result(&self) -> NodeResult {
        self.value().cloned().ok_or(Failed)
    }

    pub fn failed(&self) -> bool {
        match self {
            Slot::Fail => true,
            Slot::Lazy(t) => t.get().is_some_and(Result::is_err),
            _ => false,
        }
    }

    /// A lazy call that has not run yet.
    pub fn unforced(&self) -> Option<&Arc<Thunk>> {
        match self {
            Slot::Lazy(t) if t.get().is_none() => Some(t),
            _ => None,
        }
    }
}

/// The slots a node reads, by node index: a graph's own list, or the copy a lazy call keeps of
/// the few it depends on (`lazy::Own`).
pub(crate) trait Slots {
    fn at(&self, x: u32) -> &Slot;
}

impl Slots for [Slot] {
    #[inline(always)]
    fn at(&self, x: u32) -> &Slot {
        &self[x as usize]
    }
}

/// A failure whose root cause is already recorded in the run's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failed;

pub(crate) type NodeResult = Result<Value, Failed>;

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
}

/// The environment of one graph invocation.
#[derive(Clone, Copy, Default)]
pub(crate) struct Frame<'a> {
    pub params: &'a [Value],
    pub captures: &'a [Slot],
}

/// Reusable buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    slots: Vec<Vec<Slot>>,
    values: Vec<Vec<Value>>,
}

impl Scratch {
    pub fn take_slots(&mut self) -> Vec<Slot> {
        self.slots.pop().unwrap_or_default()
    }

    pub fn give_slots(&mut self, mut v: Vec<Slot>) {
        v.clear();
        self.slots.push(v);
    }

    pub fn take_values(&mut self) -> Vec<Value> {
        self.values.pop().unwrap_or_default()
    }

    pub fn give_values(&mut self, mut v: Vec<Value>) {
        v.clear();
        self.values.push(v);
    }
}

fn bool_of(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

impl RunCx<'_> {
    /// Records a root failure of `node` and fails.
    pub fn fail(&self, node: &NodePlan, message: String) -> Failed {
        let error = RunError { message, line: node.line, start: node.start };
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).push(error);
        Failed
    }

    /// Runs graph `g` to its result.
    pub fn graph(&self, g: u32, frame: Frame<'_>, scratch: &mut Scratch) -> NodeResult {
        let plan = &self.plan.graphs[g as usize];
        let mut slots = scratch.take_slots();
        for i in 0..plan.nodes.len() {
            let slot = self.slot(g, i, &slots, frame, scratch);
            slots.push(slot);
        }
        let result = match &slots[plan.result as usize] {
            Slot::Lazy(t) => t.force(self, scratch).clone(),
            slot => slot.result(),
        };
        scratch.give_slots(slots);
        result
    }

    /// The slot of node `i` of graph `g`: a lazy call becomes a thunk, any other node is
    /// evaluated (`eval`).
    #[inline]
    pub fn slot(&self, g: u32, i: usize, slots: &[Slot], frame: Frame<'_>, scratch: &mut Scratch) -> Slot {
        match self.plan.graphs[g as usize].nodes[i].lazy {
            true => self.park(g, i, slots),
            false => self.eval(g, i, slots, frame, scratch),
        }
    }

    /// The thunk of lazy node `i` of graph `g`, or a failure if an input failed.
    pub fn park(&self, g: u32, i: usize, slots: &[Slot]) -> Slot {
        let plan = &self.plan.graphs[g as usize];
        match plan.nodes[i].inputs.iter().any(|&x| slots[x as usize].failed()) {
            true => Slot::Fail,
            false => Slot::Lazy(Arc::new(Thunk::new(g, i, plan, slots))),
        }
    }

    /// Evaluates node `i` of graph `g`; a capture passes its slot on as it is, so a lazy value
    /// stays unforced.
    #[inline]
    pub fn eval<S: Slots + ?Sized>(
        &self,
        g: u32,
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
    pub fn captures<S: Slots + ?Sized>(&self, g: u32, slots: &S, scratch: &mut Scratch) -> Vec<Slot> {
        let mut out = scratch.take_slots();
        out.extend(self.plan.graphs[g as usize].captures.iter().map(|&p| slots.at(p).clone()));
        out
    }

    /// Runs the graph `g` nested in the graph whose slots are `slots`.
    pub fn child<S: Slots + ?Sized>(&self, g: u32, params: &[Value], slots: &S, scratch: &mut Scratch) -> NodeResult {
        let captures = self.captures(g, slots, scratch);
        let r = self.graph(g, Frame { params, captures: &captures }, scratch);
        scratch.give_slots(captures);
        r
    }

    /// Evaluates node `i` of `plan`, whose earlier nodes are in `slots`.
    pub fn node<S: Slots + ?Sized>(
        &self,
        plan: &GraphPlan,
        i: usize,
        slots: &S,
        frame: Frame<'_>,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let node = &plan.nodes[i];
        let mut inputs = [&Value::None; 2];
        for (k, &x) in node.inputs.iter().enumerate() {
            match slots.at(x) {
                Slot::Val(v) if k < 2 => inputs[k] = v,
                Slot::Val(_) => {}
                Slot::Lazy(t) => {
                    let v = t.force(self, scratch).as_ref().map_err(|_| Failed)?;
                    if k < 2 {
                        inputs[k] = v;
                    }
                }
                Slot::Fail | Slot::Empty => return Err(Failed),
            }
        }
        let [a, b] = inputs;
        let op = |r: Result<Value, String>| r.map_err(|m| self.fail(node, m));
        match &node.kind {
            Kind::Input(k) => Ok(self.inputs[*k as usize].clone()),
            Kind::Param(k) => Ok(frame.params[*k as usize].clone()),
            Kind::Capture(k) => frame.captures[*k as usize].result(),
            Kind::Const(v) => Ok(v.clone()),
            // One argument is passed straight from its slot; more are gathered in a buffer.
            Kind::Call(call) if node.inputs.len() == 1 && call.policy.is_none() => {
                self.call(node, call, std::slice::from_ref(a))
            }
            Kind::Call(call) => {
                let mut args = scratch.take_values();
                args.extend(node.inputs.iter().map(|&x| slot_value(slots.at(x))));
                let r = match &call.policy {
                    None => self.call(node, call, &args),
                    Some(policy) => self.call_with(node, call, policy, &args, slots, scratch),
                };
                scratch.give_values(args);
                r
            }
            Kind::HigherOrder(h) => {
                let captures = self.captures(h.lambda, slots, scratch);
                // The call depends on what its lambda captures (SPEC §4.17): lazy values run first.
                for c in &captures {
                    if let Slot::Lazy(t) = c {
                        t.force(self, scratch);
                    }
                }
                let mut args = scratch.take_values();
                args.extend(node.inputs.iter().map(|&x| slot_value(slots.at(x))));
                let r = match &h.policy {
                    None => hof::run_sync(self, node, h, &args, &captures, scratch),
                    Some(policy) => self.higher_order_with(node, h, policy, &args, &captures, slots, scratch),
                };
                scratch.give_values(args);
                scratch.give_slots(captures);
                r
            }
            Kind::Field { index, lifted, elem } => Ok(ops::field(a, *index, *lifted, *elem)),
            Kind::Project { indices, lifted } => Ok(ops::project(a, indices, *lifted)),
            Kind::List(elem) => Ok(ops::list(node.inputs.iter().map(|&x| slot_value(slots.at(x))), *elem)),
            Kind::Record(layout) => {
                let mut values = scratch.take_values();
                values.extend(node.inputs.iter().map(|&x| slot_value(slots.at(x))));
                let r = ops::record(&values, layout);
                scratch.give_values(values);
                Ok(r)
            }
            Kind::Neg => op(ops::neg(a)),
            Kind::Not => Ok(Value::Bool(!bool_of(a))),
            Kind::Arith(o) => op(ops::arith(*o, a, b)),
            Kind::Concat => Ok(ops::concat(a, b)),
            Kind::Merge { shape, fields } => op(ops::merge(*shape, fields, a, b)),
            Kind::Compare(o) => Ok(Value::Bool(ops::compare(*o, a, b))),
            Kind::And(rhs) => match bool_of(a) {
                false => Ok(Value::Bool(false)),
                true => self.child(*rhs, &[], slots, scratch),
            },
            Kind::Or(rhs) => match bool_of(a) {
                true => Ok(Value::Bool(true)),
                false => self.child(*rhs, &[], slots, scratch),
            },
            Kind::If { then, otherwise } => {
                self.child(if bool_of(a) { *then } else { *otherwise }, &[], slots, scratch)
            }
            Kind::Branch { conditions, arms, otherwise } => {
                if bool_of(a) {
                    return self.child(arms[0], &[], slots, scratch);
                }
                for (k, &c) in conditions.iter().enumerate() {
                    if bool_of(&self.child(c, &[], slots, scratch)?) {
                        return self.child(arms[k + 1], &[], slots, scratch);
                    }
                }
                self.child(*otherwise, &[], slots, scratch)
            }
            Kind::Guard(value) => match bool_of(a) {
                true => self.child(*value, &[], slots, scratch).map(Value::some),
                false => Ok(Value::None),
            },
            Kind::Coalesce { default, unwrap } => match a {
                Value::None => self.child(*default, &[], slots, scratch),
                v if *unwrap => Ok(v.clone().unwrap_some()),
                v => Ok(v.clone()),
            },
            Kind::Match(m) => {
                let (body, params) = match_case(m, a);
                self.child(body, &params, slots, scratch)
            }
            Kind::Interp(parts) => {
                let mut values = scratch.take_values();
                values.extend(node.inputs.iter().map(|&x| slot_value(slots.at(x))));
                let r = ops::interpolate(parts, &values);
                scratch.give_values(values);
                Ok(r)
            }
            Kind::Convert(c) => Ok(c.apply(a.clone())),
            Kind::Lazy(c) => self.child(*c, &[], slots, scratch),
        }
    }

    /// Runs a synchronous module; a failure is a root failure of `node`.
    pub fn call(&self, node: &NodePlan, call: &CallPlan, args: &[Value]) -> NodeResult {
        execute(self.plan, call, args).map_err(|m| self.fail(node, m))
    }
}

/// The slots node `node` needs complete before it runs: its inputs and, for a higher-order call,
/// the values its lambda captures (the call depends on them, SPEC §4.17).
pub(crate) fn demands<'a>(graphs: &'a [GraphPlan], node: &'a NodePlan) -> impl Iterator<Item = u32> + 'a {
    let captured = match &node.kind {
        Kind::HigherOrder(h) => &graphs[h.lambda as usize].captures[..],
        _ => &[],
    };
    node.inputs.iter().chain(captured).copied()
}

/// The value in a slot the caller knows to be full.
fn slot_value(s: &Slot) -> Value {
    s.value().cloned().unwrap_or_default()
}

/// The case chosen for the scrutinee's member, and the values of its bindings.
pub(crate) fn match_case(m: &MatchPlan, scrutinee: &Value) -> (u32, Vec<Value>) {
    let (member, value) = match scrutinee {
        Value::Tagged(t, inner) if m.tagged => (*t as usize, &**inner),
        v => (0, v),
    };
    let (body, bindings) = &m.by_member[member.min(m.by_member.len() - 1)];
    let fields = value.as_record().unwrap_or(&[]);
    let params = bindings.iter().map(|(i, c)| c.apply(fields.get(*i as usize).cloned().unwrap_or_default())).collect();
    (*body, params)
}

/// The message of a panic payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_string())
}

/// Runs a synchronous module: its value, or the message of its failure. A panic is a failure of
/// the call, never of the process.
#[inline]
pub(crate) fn execute(plan: &ExecutionPlan, call: &CallPlan, args: &[Value]) -> Result<Value, String> {
    let target = &plan.functions[call.function as usize];
    let Module::Sync(f) = &target.module else {
        return Err(format!("{}: cannot run an asynchronous module here", target.name));
    };
    let cx = CallContext { arg_types: &call.arg_types, ret: &call.ret };
    match catch_unwind(AssertUnwindSafe(|| f(args, &cx))) {
        Ok(Ok(v)) if target.verified => Ok(v),
        Ok(Ok(v)) => returned(plan, call, v),
        Ok(Err(e)) => Err(format!("{}: {}", target.name, e.0)),
        Err(payload) => Err(format!("{}: module panicked: {}", target.name, panic_text(&*payload))),
    }
}

/// Checks a module's result against the declared return type (SPEC §7.5).
pub(crate) fn returned(plan: &ExecutionPlan, call: &CallPlan, v: Value) -> Result<Value, String> {
    let target = &plan.functions[call.function as usize];
    if target.verified {
        return Ok(v);
    }
    crate::convert::conform(v, &call.ret)
        .ok_or_else(|| format!("{}: returned a value that does not match its declared type {}", target.name, call.ret))
}

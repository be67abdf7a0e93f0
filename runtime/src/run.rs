//! The top floor of the runtime: running a prepared plan. Every run starts with a first pass on
//! the caller's thread, over the main graph's nodes in order (`exec` evaluates them); an
//! asynchronous call is polled once there and goes on at once when it completed. A synchronous
//! plan, or any run whose calls never wait, ends in that pass; otherwise the scheduler (`sched`)
//! takes over from the first node that waits. Outputs go to a sink as soon as they are ready.
//! Every run is given an `Env`: the reporter of its notices (`log`, `on_error: log`; the runtime
//! prints nothing) and its budgets (`Limits`).
//!
//! The first pass takes its buffers from the plan's pool and gives them back, so a warm run
//! allocates only for the values it produces (and the outcome holding them).

use crate::exec::call::{Polled, poll_once};
use crate::exec::{Frame, RunCx, lazy};
use crate::outcome::{PartialOutputs, RunError, RunOutcome};
use crate::plan::{ExecutionPlan, Kind, NodePlan};
use crate::policy::apply;
use crate::sched::{self, Handoff, Shared, Waiting};
use crate::services::cache::{Now, Served};
use crate::services::profile::{Clock, Profile};
use crate::values::budget::Budget;
use crate::values::slot::{Scratch, Slot, State};
use asterism_registry::dag::NodeId;
use asterism_registry::module::{Module, Partial};
use asterism_registry::value::Value;
use asterism_registry::{Limits, Reporter, Silent};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Instant;

/// What a run is given besides its inputs.
#[derive(Clone)]
pub struct Env {
    /// Where its notices go.
    pub reporter: Arc<dyn Reporter>,
    /// How much memory and time it may take.
    pub limits: Limits,
    /// Where pieces of outputs go as their modules send them (`partial(output index, piece)`),
    /// before the outputs themselves; none when the run does not stream them.
    pub partial: Option<PartialOutputs>,
    /// Where each node's time goes, when the run is profiled.
    pub profile: Option<Arc<Profile>>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (partial, profile) = (self.partial.is_some(), self.profile.is_some());
        f.debug_struct("Env")
            .field("limits", &self.limits)
            .field("partial", &partial)
            .field("profile", &profile)
            .finish()
    }
}

impl Default for Env {
    /// Notices dropped, the default budgets.
    fn default() -> Env {
        Env { reporter: Arc::new(Silent), limits: Limits::default(), partial: None, profile: None }
    }
}

/// How many idle states a plan keeps.
const POOL: usize = 64;

impl ExecutionPlan {
    fn take_state(&self) -> State {
        self.pool.lock().pop().unwrap_or_default()
    }

    fn give_state(&self, mut state: State) {
        state.slots.clear();
        let mut pool = self.pool.lock();
        if pool.len() < POOL {
            pool.push(state);
        }
    }

    /// The outputs whose node produced a value.
    fn outputs_of(&self, slots: &[Slot]) -> Vec<(usize, Value)> {
        self.outputs
            .iter()
            .enumerate()
            .filter_map(|(k, o)| slots[o.node as usize].value().map(|v| (k, v.clone())))
            .collect()
    }

    /// Runs the pipeline on this thread when it is synchronous (`is_sync`); `None` otherwise.
    /// `inputs` are the values of the declared inputs, in declaration order.
    pub fn run_sync(&self, inputs: &[Value], env: &Env) -> Option<RunOutcome> {
        self.run_sync_with(inputs, env, &mut |_, _| {})
    }

    /// `run_sync`, giving `sink(k, value)` output `k` as soon as its node has run.
    pub fn run_sync_with(
        &self,
        inputs: &[Value],
        env: &Env,
        sink: &mut dyn FnMut(usize, &Value),
    ) -> Option<RunOutcome> {
        match self.is_sync() {
            // A synchronous plan never stops in the first pass.
            true => self.first_pass::<true>(inputs, env, sink).ok(),
            false => None,
        }
    }

    /// The first pass of every run, on this thread: the main graph's nodes in order, each
    /// evaluated in place, and an asynchronous call polled once (`poll_once`) and taken as done
    /// when it is — so a run whose calls all complete without waiting never meets the scheduler.
    /// The pass stops at the first node that waits (a call still waiting after its first poll, a
    /// call with options that wait or of a blocking module, a higher-order call or owner whose
    /// graphs wait, a node reading a lazy call not run yet) and hands over what it did. A
    /// synchronous plan (`SYNC`, a pass compiled for it) never stops.
    fn first_pass<const SYNC: bool>(
        &self,
        inputs: &[Value],
        env: &Env,
        sink: &mut dyn FnMut(usize, &Value),
    ) -> Result<RunOutcome, Box<Stopped>> {
        let mut state = self.take_state();
        let errors = Mutex::new(Vec::new());
        let budget = Budget::new(env.limits);
        let clock = env.profile.as_deref().map(|profile| Clock { profile, start: profile.begin() });
        let cx = RunCx {
            plan: self,
            inputs,
            errors: &errors,
            root: &errors,
            reporter: &*env.reporter,
            budget: &budget,
            until: None,
            clock,
        };
        let main = &self.graphs[0];
        let mut stop = None;
        for (i, node) in main.nodes.iter().enumerate() {
            let slots = &state.slots[..];
            let began = clock.map(|_| Instant::now());
            let slot = if node.lazy {
                cx.park(0, i, slots)
            } else if SYNC || !self.demands(node).any(|x| slots[x as usize].unforced().is_some()) && !node.waits {
                Slot::of(cx.node(main, i, slots, Frame::default(), &mut state.scratch))
            } else if node.inputs.iter().any(|&x| slots[x as usize].failed()) {
                Slot::Fail
            } else if self.demands(node).any(|x| slots[x as usize].unforced().is_some()) {
                // Its lazy inputs run first, on the scheduler.
                stop = Some((i, None));
                break;
            } else {
                match self.stored(i, node, slots, &mut state.scratch, &cx) {
                    Now::Hit(v, _) => Slot::of(cx.charged(node, v)),
                    Now::Missed(looked) => {
                        stop = Some((i, Some((Waiting::Cached(looked), began))));
                        break;
                    }
                    Now::Later => match self.poll_call(i, node, slots, &mut state.scratch, env) {
                        Some(Polled::Over(r)) => {
                            Slot::of(r.map_err(|m| cx.fail(node, m)).and_then(|v| cx.charged(node, v)))
                        }
                        Some(Polled::Waiting(future)) => {
                            stop = Some((i, Some((Waiting::Module(future), began))));
                            break;
                        }
                        None => {
                            stop = Some((i, None));
                            break;
                        }
                    },
                }
            };
            if let (Some(clock), Some(began)) = (clock, began)
                && !node.inputs.iter().any(|&x| slots[x as usize].failed())
            {
                clock.ran(i, began, !slot.failed());
            }
            if !self.outputs_at[i].is_empty()
                && let Some(v) = slot.value()
            {
                self.emit(i as u32, v, sink);
            }
            state.slots.push(slot);
        }
        // Outputs demand their lazy calls: forced here in a synchronous plan, else by the scheduler.
        let unforced =
            self.outputs.iter().any(|o| state.slots.get(o.node as usize).is_some_and(|s| s.unforced().is_some()));
        if stop.is_none() && unforced && !SYNC {
            stop = Some((main.nodes.len(), None));
        }
        if let Some((at, waiting)) = stop {
            let slots = std::mem::take(&mut state.slots);
            self.give_state(state);
            let handoff = Handoff { slots, at: at as NodeId, waiting };
            let clock = clock.map(|c| c.start);
            return Err(Box::new(Stopped { handoff, errors: errors.into_inner(), budget, clock }));
        }
        for o in &self.outputs {
            if let Slot::Lazy(t) = &state.slots[o.node as usize]
                && let Ok(v) = lazy::force(t, &cx, &mut state.scratch)
            {
                self.emit(o.node, v, sink);
            }
        }
        let outputs = self.outputs_of(&state.slots);
        self.give_state(state);
        Ok(RunOutcome::new(outputs, errors.into_inner()))
    }

    /// What the cache of node `i` (a module call with a policy) says at once of its call;
    /// `Now::Later` for any other node. A hit is told to a profiled run's profile.
    fn stored(&self, i: usize, node: &NodePlan, slots: &[Slot], scratch: &mut Scratch, cx: &RunCx<'_>) -> Now {
        let Kind::Call(call) = &node.kind else { return Now::Later };
        let Some(policy) = call.policy.as_deref() else { return Now::Later };
        let mut args = scratch.take_values();
        args.extend(node.inputs.iter().map(|&x| slots[x as usize].value_or_default()));
        let now = apply::stored(policy, &args, cx.reporter);
        scratch.give_values(args);
        if let (Now::Hit(_, tier), Some(clock)) = (&now, cx.clock) {
            clock.profile.tried(0, i, 0, Served::Stored(*tier));
        }
        now
    }

    /// A waiting node the first pass can run itself, polled once: a call without options of an
    /// asynchronous module. `None` for any other.
    fn poll_call(&self, i: usize, node: &NodePlan, slots: &[Slot], scratch: &mut Scratch, env: &Env) -> Option<Polled> {
        let Kind::Call(call) = &node.kind else { return None };
        let Module::Async(f) = &self.functions[call.function as usize].module else { return None };
        if call.policy.is_some() {
            return None;
        }
        let mut args = scratch.take_values();
        args.extend(node.inputs.iter().map(|&x| slots[x as usize].value_or_default()));
        let polled = poll_once(self, call, &**f, &args, self.partial_of(0, i, env.partial.as_ref()));
        scratch.give_values(args);
        Some(polled)
    }

    /// Where the pieces of node `node` of graph `g` go: to `outputs`, for each output the node is
    /// (only nodes of the main graph are outputs).
    pub(crate) fn partial_of(&self, g: u32, node: usize, outputs: Option<&PartialOutputs>) -> Option<Partial> {
        let outputs = outputs.filter(|_| g == 0)?;
        let indices = self.outputs_at.get(node).filter(|at| !at.is_empty())?.clone();
        let outputs = outputs.clone();
        Some(Arc::new(move |piece: &str| indices.iter().for_each(|&k| outputs(k as usize, piece))))
    }

    /// Gives `sink` the outputs of node `node` of the main graph, whose value is `v`.
    #[inline]
    fn emit(&self, node: u32, v: &Value, sink: &mut dyn FnMut(usize, &Value)) {
        for &index in self.outputs_at.get(node as usize).into_iter().flatten() {
            sink(index as usize, v);
        }
    }

    /// Runs the pipeline to completion.
    pub async fn run(self: &Arc<Self>, inputs: Arc<[Value]>, env: &Env) -> RunOutcome {
        self.run_with(inputs, env, &mut |_, _| {}).await
    }

    /// Runs the pipeline, giving `sink(k, value)` output `k` as soon as it is ready: a first pass
    /// on this thread, then the scheduler from where it stopped, if it did.
    pub async fn run_with(
        self: &Arc<Self>,
        inputs: Arc<[Value]>,
        env: &Env,
        sink: &mut (dyn FnMut(usize, &Value) + Send),
    ) -> RunOutcome {
        let pass = match self.is_sync() {
            true => Self::first_pass::<true>,
            false => Self::first_pass::<false>,
        };
        match pass(self, &inputs, env, sink) {
            Ok(outcome) => outcome,
            Err(stopped) => {
                let Stopped { handoff, errors, budget, clock } = *stopped;
                let clock = env.profile.clone().zip(clock);
                let reporter = (env.reporter.clone(), env.partial.clone());
                let shared = Arc::new(Shared::new(self.clone(), inputs, reporter, budget, errors, clock));
                // Boxed: the scheduler's state is large, and a run that never waits (the common case)
                // should not carry it, nor copy it as its future moves.
                let slots = Box::pin(sched::resume(shared.clone(), handoff, &mut |node, slot| {
                    if let Some(v) = slot.value() {
                        self.emit(node, v, sink);
                    }
                }))
                .await;
                RunOutcome::new(self.outputs_of(&slots), shared.take_errors())
            }
        }
    }
}

/// Where the first pass stopped, with the failures and budget so far.
struct Stopped {
    handoff: Handoff,
    errors: Vec<RunError>,
    budget: Budget,
    /// When a profiled run began.
    clock: Option<Instant>,
}

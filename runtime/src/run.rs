//! The top floor of the runtime: running a prepared plan — synchronously in one pass when every
//! module is synchronous (`exec`), otherwise on the asynchronous scheduler (`sched`); whole-run
//! results or a stream of output events. Every run is given an `Env`: the reporter of its notices
//! (`log`, `on_error: log`; the runtime prints nothing) and its budgets (`Limits`).
//!
//! The synchronous path takes its buffers from the plan's pool and gives them back, so a warm run
//! allocates only for the values it produces (and the outcome holding them).

use crate::exec::{Frame, RunCx, lazy};
use crate::outcome::{Event, RunOutcome};
use crate::plan::ExecutionPlan;
use crate::sched::{self, Shared};
use crate::values::budget::Budget;
use crate::values::slot::{Slot, State};
use asterism_registry::value::Value;
use asterism_registry::{Limits, Reporter, Silent};
use parking_lot::Mutex;
use std::sync::Arc;

/// What a run is given besides its inputs.
#[derive(Clone, Debug)]
pub struct Env {
    /// Where its notices go.
    pub reporter: Arc<dyn Reporter>,
    /// How much memory and time it may take.
    pub limits: Limits,
}

impl Default for Env {
    /// Notices dropped, the default budgets.
    fn default() -> Env {
        Env { reporter: Arc::new(Silent), limits: Limits::default() }
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
        self.run_sync_with(inputs, env, &mut |_| {})
    }

    /// `run_sync`, giving `sink` each output as soon as its node has run.
    pub fn run_sync_with(&self, inputs: &[Value], env: &Env, sink: &mut dyn FnMut(Event)) -> Option<RunOutcome> {
        if !self.is_sync() {
            return None;
        }
        let mut state = self.take_state();
        let errors = Mutex::new(Vec::new());
        let budget = Budget::new(env.limits);
        let cx = RunCx {
            plan: self,
            inputs,
            errors: &errors,
            root: &errors,
            reporter: &*env.reporter,
            budget: &budget,
            until: None,
        };
        let main = &self.graphs[0];
        for (i, node) in main.nodes.iter().enumerate() {
            let slot = match node.lazy {
                true => cx.park(0, i, &state.slots),
                false => Slot::of(cx.node(main, i, &state.slots[..], Frame::default(), &mut state.scratch)),
            };
            if !self.outputs_at[i].is_empty()
                && let Some(v) = slot.value()
            {
                self.emit(i as u32, v, sink);
            }
            state.slots.push(slot);
        }
        // Outputs demand their lazy calls.
        for o in &self.outputs {
            if let Slot::Lazy(t) = &state.slots[o.node as usize]
                && let Ok(v) = lazy::force(t, &cx, &mut state.scratch)
            {
                self.emit(o.node, v, sink);
            }
        }
        let outputs = self.outputs_of(&state.slots);
        self.give_state(state);
        Some(RunOutcome::new(outputs, errors.into_inner()))
    }

    /// Gives `sink` the outputs of node `node` of the main graph, whose value is `v`.
    #[inline]
    fn emit(&self, node: u32, v: &Value, sink: &mut dyn FnMut(Event)) {
        for &index in self.outputs_at.get(node as usize).into_iter().flatten() {
            sink(Event::Output { index: index as usize, value: v.clone() });
        }
    }

    /// Runs the pipeline to completion.
    pub async fn run(self: &Arc<Self>, inputs: Vec<Value>, env: &Env) -> RunOutcome {
        self.run_with(inputs, env, &mut |_| {}).await
    }

    /// Runs the pipeline, giving `sink` an event as soon as each output is ready, then the outcome.
    pub async fn run_with(
        self: &Arc<Self>,
        inputs: Vec<Value>,
        env: &Env,
        sink: &mut (dyn FnMut(Event) + Send),
    ) -> RunOutcome {
        let outcome = match self.run_sync_with(&inputs, env, sink) {
            Some(outcome) => outcome,
            None => {
                let budget = Budget::new(env.limits);
                let shared = Arc::new(Shared::new(self.clone(), inputs.into(), env.reporter.clone(), budget));
                let slots = sched::main(shared.clone(), &mut |node, slot| {
                    if let Some(v) = slot.value() {
                        self.emit(node, v, sink);
                    }
                })
                .await;
                RunOutcome::new(self.outputs_of(&slots), shared.take_errors())
            }
        };
        sink(Event::Done(outcome.clone()));
        outcome
    }
}

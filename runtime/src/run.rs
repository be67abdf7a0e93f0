//! The top floor of the runtime: running a prepared plan — synchronously in one pass when every
//! module is synchronous (`exec`), otherwise on the asynchronous scheduler (`sched`); whole-run
//! results or a stream of output events. Every run reports its notices (`log`, `on_error: log`)
//! to the reporter its caller gives; the runtime prints nothing.
//!
//! The synchronous path takes its buffers from the plan's pool and gives them back, so a warm run
//! allocates only for the values it produces (and the outcome holding them).

use crate::exec::{Frame, RunCx, lazy};
use crate::outcome::{Event, RunOutcome};
use crate::plan::ExecutionPlan;
use crate::sched::{self, Shared};
use crate::values::slot::{Slot, State};
use asterism_registry::Reporter;
use asterism_registry::value::Value;
use parking_lot::Mutex;
use std::sync::Arc;

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
    pub fn run_sync(&self, inputs: &[Value], reporter: &dyn Reporter) -> Option<RunOutcome> {
        if !self.is_sync() {
            return None;
        }
        let mut state = self.take_state();
        let errors = Mutex::new(Vec::new());
        let cx = RunCx { plan: self, inputs, errors: &errors, root: &errors, reporter };
        let main = &self.graphs[0];
        for (i, node) in main.nodes.iter().enumerate() {
            let slot = match node.lazy {
                true => cx.park(0, i, &state.slots),
                false => Slot::of(cx.node(main, i, &state.slots[..], Frame::default(), &mut state.scratch)),
            };
            state.slots.push(slot);
        }
        // Outputs demand their lazy calls.
        for o in &self.outputs {
            if let Slot::Lazy(t) = &state.slots[o.node as usize] {
                lazy::force(t, &cx, &mut state.scratch);
            }
        }
        let outputs = self.outputs_of(&state.slots);
        self.give_state(state);
        Some(RunOutcome::new(outputs, errors.into_inner()))
    }

    /// Runs the pipeline to completion.
    pub async fn run(self: &Arc<Self>, inputs: Vec<Value>, reporter: Arc<dyn Reporter>) -> RunOutcome {
        self.run_with(inputs, reporter, &mut |_| {}).await
    }

    /// Runs the pipeline, giving `sink` an event as soon as each output is ready, then the outcome.
    pub async fn run_with(
        self: &Arc<Self>,
        inputs: Vec<Value>,
        reporter: Arc<dyn Reporter>,
        sink: &mut (dyn FnMut(Event) + Send),
    ) -> RunOutcome {
        let outcome = match self.run_sync(&inputs, &*reporter) {
            Some(outcome) => {
                for (index, value) in &outcome.outputs {
                    sink(Event::Output { index: *index, value: value.clone() });
                }
                outcome
            }
            None => {
                let shared = Arc::new(Shared::new(self.clone(), inputs.into(), reporter));
                let by_node: Vec<(u32, usize)> = self.outputs.iter().enumerate().map(|(k, o)| (o.node, k)).collect();
                let slots = sched::main(shared.clone(), &mut |node, slot| {
                    if let Some(v) = slot.value() {
                        for &(_, k) in by_node.iter().filter(|(n, _)| *n == node) {
                            sink(Event::Output { index: k, value: v.clone() });
                        }
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

//! `Pipeline`: a compiled, prepared pipeline, ready to run any number of times, concurrently.

use crate::diagnostics::{Diagnostics, MAX_SHOWN};
use asterism_registry::dag::DagSpec;
use asterism_registry::{Type, Value};
use asterism_runtime::json::{self, Layout};
use asterism_runtime::{Env, ExecutionPlan, Profile, RunError, RunOutcome, Status};
use std::sync::Arc;
use tracing::Instrument;

/// A compiled pipeline. Cloning is cheap; runs share the prepared plan.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub(crate) plan: Arc<ExecutionPlan>,
    pub(crate) hash: [u8; 32],
    pub(crate) warnings: Diagnostics,
    /// Where runs report their notices, and their budgets (the engine's when compiled).
    pub(crate) env: Env,
}

/// The values of a pipeline's inputs, in declaration order. Cloning is cheap: runs share them.
#[derive(Clone, Debug)]
pub struct Inputs(pub(crate) Arc<[Value]>);

impl Default for Inputs {
    fn default() -> Inputs {
        Inputs(Arc::new([]))
    }
}

impl Inputs {
    /// Inputs from values given in declaration order.
    pub fn from_values(values: Vec<Value>) -> Inputs {
        Inputs(values.into())
    }
}

impl Pipeline {
    /// The content hash of the compiled DagSpec.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    pub fn hash_hex(&self) -> String {
        blake3::Hash::from_bytes(self.hash).to_hex().to_string()
    }

    pub fn spec(&self) -> &DagSpec {
        self.plan.spec()
    }

    /// Warnings of the compilation (compile errors never give a pipeline).
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    /// Declared inputs: name and type.
    pub fn inputs(&self) -> impl Iterator<Item = (&str, &Type)> {
        self.plan.inputs()
    }

    /// Declared outputs: name and type, in declaration order.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, &Type)> {
        self.plan.outputs()
    }

    /// The JSON of a value of output `name` (SPEC §8.4).
    pub fn output_json(&self, name: &str, value: &Value, layout: Layout) -> Option<String> {
        let (_, ty) = self.plan.outputs().find(|(n, _)| *n == name)?;
        let mut out = String::new();
        json::write_value(value, ty, layout, &mut out);
        Some(out)
    }

    /// Reads the inputs object (SPEC §8.5); on failure, every problem (SPEC §8.6).
    pub fn parse_inputs(&self, json: &[u8]) -> Result<Inputs, Vec<String>> {
        self.parse_inputs_given(json, &[])
    }

    /// Reads the inputs object, then the values `given` one by one as `(name, text)` (the CLI's
    /// `-i NAME=VALUE`: the text is JSON when it is valid JSON, else a string), which replace the
    /// object's values of those names. Each value is read once; a problem with a given value
    /// names it (`input 'n' (-i n): …`).
    pub fn parse_inputs_given(&self, json: &[u8], given: &[(&str, &str)]) -> Result<Inputs, Vec<String>> {
        let declared: Vec<(&str, &Type)> = self.plan.inputs().collect();
        json::parse_inputs_given(json, given, &declared, &self.env.limits).map(Inputs::from_values)
    }

    /// Reads the inputs object from any serde deserializer (a host language's dictionary): the
    /// same values and messages as `parse_inputs` of the same object as JSON.
    pub fn parse_inputs_from<'de, D: serde::Deserializer<'de>>(&self, de: D) -> Result<Inputs, Vec<String>> {
        let declared: Vec<(&str, &Type)> = self.plan.inputs().collect();
        json::parse_inputs_from(de, &declared, &self.env.limits).map(Inputs::from_values)
    }

    /// Runs the pipeline to completion.
    pub async fn run(&self, inputs: &Inputs) -> Outcome {
        let outcome = self.plan.run(inputs.0.clone(), &self.env).await;
        Outcome { plan: self.plan.clone(), outcome }
    }

    /// Runs the pipeline on this thread, without an async runtime when every module is
    /// synchronous (the standard library and prelude are), else on a single-threaded tokio runtime.
    pub fn run_blocking(&self, inputs: &Inputs) -> Outcome {
        self.run_blocking_with(inputs, &mut |_, _| {})
    }

    /// `run_blocking`, calling `on_output(name, value)` for each output the moment it is ready,
    /// on this thread (a CLI prints it there and then).
    pub fn run_blocking_with(&self, inputs: &Inputs, on_output: &mut (dyn FnMut(&str, &Value) + Send)) -> Outcome {
        let names: Vec<&str> = self.plan.outputs().map(|(n, _)| n).collect();
        let mut sink = |index: usize, value: &Value| on_output(names[index], value);
        let outcome = match self.plan.run_sync_with(&inputs.0, &self.env, &mut sink) {
            Some(outcome) => outcome,
            None => {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                match rt {
                    Ok(rt) => {
                        let outcome = rt.block_on(self.plan.run_with(inputs.0.clone(), &self.env, &mut sink));
                        // Attempts abandoned by a timeout may still be running: not waited for.
                        rt.shutdown_background();
                        outcome
                    }
                    Err(e) => panic!("cannot start an async runtime: {e}"),
                }
            }
        };
        Outcome { plan: self.plan.clone(), outcome }
    }

    /// This pipeline, its runs giving `partial(output, piece)` the pieces of an output's value as
    /// its module sends them (kind `openai` chat with `stream`), before the output itself.
    pub fn with_partials(&self, partial: impl Fn(&str, &str) + Send + Sync + 'static) -> Pipeline {
        let names: Vec<String> = self.plan.outputs().map(|(n, _)| n.to_string()).collect();
        let mut pipeline = self.clone();
        pipeline.env.partial = Some(Arc::new(move |index: usize, piece: &str| partial(&names[index], piece)));
        pipeline
    }

    /// This pipeline, its runs adding where their time went to `profile` (made for it:
    /// `Profile::new(&pipeline.graph_sizes())`; see `profile::Profiler`).
    pub fn with_profile(&self, profile: Arc<Profile>) -> Pipeline {
        let mut pipeline = self.clone();
        pipeline.env.profile = Some(profile);
        pipeline
    }

    /// The profile its runs count into, if one was given (`with_profile`).
    pub fn profile(&self) -> Option<&Profile> {
        self.env.profile.as_deref()
    }

    /// Whether every module it calls is synchronous: `run_blocking` then runs it on the calling
    /// thread without any async runtime.
    pub fn is_synchronous(&self) -> bool {
        self.plan.is_sync()
    }

    /// How many nodes the main graph has.
    pub fn node_count(&self) -> usize {
        self.plan.node_count()
    }

    /// The number of nodes of each of its graphs, the main graph first (for `Profile::new`).
    pub fn graph_sizes(&self) -> Vec<usize> {
        self.plan.graph_sizes()
    }

    /// Runs the pipeline on the current tokio runtime, yielding the pieces of outputs their modules
    /// send (`Partial`), each output as soon as it is ready, and then the outcome. Must be called
    /// within a tokio runtime; the run is a task of its own in the current `tracing` span.
    pub fn run_stream(&self, inputs: Inputs) -> impl futures_util::Stream<Item = StreamEvent> + Send + Unpin + 'static {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (plan, mut env) = (self.plan.clone(), self.env.clone());
        let names: Arc<[Arc<str>]> = plan.outputs().map(|(n, _)| n.into()).collect();
        let (partials, named) = (tx.clone(), names.clone());
        env.partial = Some(Arc::new(move |index: usize, piece: &str| {
            let _ = partials.send(StreamEvent::Partial { name: named[index].clone(), piece: piece.to_string() });
        }));
        // The run goes on in a task of its own, inside the caller's span.
        tokio::spawn(
            async move {
                let outcome = plan
                    .run_with(inputs.0, &env, &mut |index, value| {
                        let _ = tx.send(StreamEvent::Output { name: names[index].clone(), value: value.clone() });
                    })
                    .await;
                let _ = tx.send(StreamEvent::Done(Outcome { plan: plan.clone(), outcome }));
            }
            .instrument(tracing::Span::current()),
        );
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }))
    }
}

/// An event of `Pipeline::run_stream`.
#[derive(Clone, Debug)]
pub enum StreamEvent {
    /// A piece of an output's value as its module sends it (an LLM's tokens), before the output.
    Partial {
        name: Arc<str>,
        piece: String,
    },
    Output {
        name: Arc<str>,
        value: Value,
    },
    Done(Outcome),
}

/// The result of a run: the outputs that produced a value and the root failures (SPEC §7.4).
#[derive(Clone, Debug)]
pub struct Outcome {
    plan: Arc<ExecutionPlan>,
    outcome: RunOutcome,
}

impl Outcome {
    pub fn status(&self) -> Status {
        self.outcome.status()
    }

    pub fn errors(&self) -> &[RunError] {
        &self.outcome.errors
    }

    /// (name, value, type) of each produced output, in output order.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, &Value, &Type)> {
        let declared: Vec<(&str, &Type)> = self.plan.outputs().collect();
        self.outcome.outputs.iter().map(move |(i, v)| (declared[*i].0, v, declared[*i].1))
    }

    /// The value of output `name`, if it was produced.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.outputs().find(|(n, _, _)| *n == name).map(|(_, v, _)| v)
    }

    /// The outputs object (SPEC §8.4).
    pub fn outputs_json(&self, layout: Layout) -> String {
        let mut out = String::new();
        self.write_outputs_json(layout, &mut out);
        out
    }

    /// `outputs_json`, written at the end of `out`.
    pub fn write_outputs_json(&self, layout: Layout, out: &mut String) {
        json::write_outputs(self.outputs(), layout, out);
    }

    /// The `--json` document of SPEC §11.2 for a completed or failed run.
    pub fn to_json(&self) -> String {
        let status = match self.status() {
            Status::Completed => "completed",
            Status::Failed => "failed",
        };
        let mut out = format!("{{\"status\":\"{status}\",\"outputs\":{}", self.outputs_json(Layout::Compact));
        if self.status() == Status::Failed {
            let shown = self.errors().iter().take(MAX_SHOWN);
            let errors: Vec<serde_json::Value> =
                shown.map(|e| serde_json::json!({"message": e.message, "line": e.line})).collect();
            out.push_str(",\"errors\":");
            out.push_str(&serde_json::Value::Array(errors).to_string());
            if self.errors().len() > MAX_SHOWN {
                out.push_str(&format!(",\"omitted\":{}", self.errors().len() - MAX_SHOWN));
            }
        }
        out.push('}');
        out
    }
}

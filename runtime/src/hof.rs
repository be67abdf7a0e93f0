//! The higher-order functions of SPEC §9.5, whose lambdas are graphs of the DAG.
//!
//! `run_sync` evaluates the lambda element by element in index order, so a failure is always the
//! lowest failing index's and nothing after a deciding element runs. The asynchronous scheduler
//! uses `Hof` to apply the same rules to results it computed itself.

use crate::exec::{Frame, NodeResult, RunCx, Scratch, Slot};
use crate::plan::{HofPlan, NodePlan};
use asterism_registry::module::HigherOrder;
use asterism_registry::value::{self, ListBuilder, ListView, Value};

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// Runs a higher-order call: `args` are its non-lambda arguments, `captures` the lambda's.
pub(crate) fn run_sync(
    cx: &RunCx<'_>,
    node: &NodePlan,
    h: &HofPlan,
    args: &[Value],
    captures: &[Slot],
    scratch: &mut Scratch,
) -> NodeResult {
    let Some(items) = args.first().and_then(Value::as_list) else {
        return Err(cx.fail(node, "the first argument of a higher-order function must be a list".into()));
    };
    let mut call = |params: &[Value]| cx.graph(h.lambda, Frame { params, captures }, scratch);
    match h.kind {
        HigherOrder::Reduce => {
            let mut acc = args.get(1).cloned().unwrap_or_default();
            for item in items.iter() {
                acc = call(&[acc, item])?;
            }
            Ok(acc)
        }
        HigherOrder::All | HigherOrder::Any | HigherOrder::Find => {
            let stop_on = h.kind != HigherOrder::All;
            for item in items.iter() {
                if truthy(&call(std::slice::from_ref(&item))?) == stop_on {
                    return Ok(match h.kind {
                        HigherOrder::Find => Value::some(item),
                        _ => Value::Bool(stop_on),
                    });
                }
            }
            Ok(match h.kind {
                HigherOrder::Find => Value::None,
                _ => Value::Bool(!stop_on),
            })
        }
        HigherOrder::Filter | HigherOrder::Map | HigherOrder::Count | HigherOrder::SortBy => {
            let mut results = Vec::with_capacity(items.len());
            for item in items.iter() {
                results.push(call(std::slice::from_ref(&item))?);
            }
            Ok(Hof { h, items }.finish(results))
        }
    }
}

/// A filter/map/count/sort-by whose lambda results are known.
pub(crate) struct Hof<'a> {
    pub h: &'a HofPlan,
    pub items: ListView<'a>,
}

impl Hof<'_> {
    /// Combines the lambda's results (one per element, in order) into the call's value.
    pub fn finish(self, results: Vec<Value>) -> Value {
        let Hof { h, items } = self;
        match h.kind {
            HigherOrder::Map => {
                let mut out = ListBuilder::new(h.elem, results.len());
                results.into_iter().for_each(|v| out.push(v));
                out.finish()
            }
            HigherOrder::Filter => {
                let mut out = ListBuilder::new(h.elem, items.len());
                for (item, keep) in items.iter().zip(&results) {
                    if truthy(keep) {
                        out.push(item);
                    }
                }
                out.finish()
            }
            HigherOrder::Count => Value::Int(results.iter().filter(|v| truthy(v)).count() as i64),
            _ => {
                // sort-by: stable, ascending by key.
                let mut order: Vec<usize> = (0..results.len()).collect();
                order.sort_by(|&a, &b| value::order(&results[a], &results[b]));
                let mut out = ListBuilder::new(h.elem, order.len());
                for i in order {
                    out.push(items.get(i).unwrap_or_default());
                }
                out.finish()
            }
        }
    }
}

/// The index of the first failed element, if any.
pub(crate) fn first_failure(results: &[NodeResult]) -> Option<usize> {
    results.iter().position(Result::is_err)
}

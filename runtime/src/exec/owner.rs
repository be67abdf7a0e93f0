//! Owners (SPEC §7.2): the nodes that decide which of their deferred graphs run — `if`, `branch`,
//! `and`/`or`, a guard, `??`, `match`, a lazy call.
//!
//! The rule of each is written once, as a stepper: given the node's first input it says which
//! graph to run next (with what parameters) or gives the node's value; fed that graph's result,
//! it says the same again. A graph whose result is the node's value is a `Tail` (or a `match`
//! `Case`), never fed back.
//! The synchronous evaluator and the asynchronous scheduler both drive it, each running graphs
//! its own way; neither knows the rules.

use crate::plan::{Kind, MatchPlan};
use asterism_registry::dag::GraphId;
use asterism_registry::value::Value;

/// What an owner needs next.
pub(crate) enum Next {
    /// Run this graph and feed its result back.
    Run(GraphId),
    /// Run this graph: its result is the node's value.
    Tail(GraphId),
    /// Run this `match` case's body with these bindings: its result is the node's value.
    Case(GraphId, Vec<Value>),
    /// The node's value.
    Done(Value),
}

/// The first step of a node of `kind` (an owner) whose first input is `first`.
#[inline(always)]
pub(crate) fn start(kind: &Kind, first: &Value) -> Next {
    match kind {
        Kind::And(rhs) if truthy(first) => Next::Tail(*rhs),
        Kind::And(_) => Next::Done(Value::Bool(false)),
        Kind::Or(rhs) if !truthy(first) => Next::Tail(*rhs),
        Kind::Or(_) => Next::Done(Value::Bool(true)),
        Kind::If { then, otherwise } => Next::Tail(if truthy(first) { *then } else { *otherwise }),
        Kind::Branch { arms, .. } if truthy(first) => Next::Tail(arms[0]),
        Kind::Branch { conditions, otherwise, .. } => test(conditions, 0, *otherwise),
        Kind::Guard(value) if truthy(first) => Next::Run(*value),
        Kind::Guard(_) => Next::Done(Value::None),
        Kind::Coalesce { default, .. } if first.is_none() => Next::Tail(*default),
        Kind::Coalesce { unwrap: true, .. } => Next::Done(first.clone().unwrap_some()),
        Kind::Coalesce { .. } => Next::Done(first.clone()),
        Kind::Match(m) => {
            let (body, params) = match_case(m, first);
            Next::Case(body, params)
        }
        Kind::Lazy(call) => Next::Tail(*call),
        _ => unreachable!("only owners decide which graphs run"),
    }
}

/// The step after the `k`-th `Next::Run` (from 0) of a node of `kind` gave `result`.
pub(crate) fn feed(kind: &Kind, k: usize, result: Value) -> Next {
    match kind {
        Kind::Guard(_) => Next::Done(Value::some(result)),
        Kind::Branch { arms, .. } if truthy(&result) => Next::Tail(arms[k + 1]),
        Kind::Branch { conditions, otherwise, .. } => test(conditions, k + 1, *otherwise),
        _ => unreachable!("only guards and branches feed results back"),
    }
}

/// A branch about to test its condition `k`, or to run `otherwise` when none is left.
fn test(conditions: &[GraphId], k: usize, otherwise: GraphId) -> Next {
    match conditions.get(k) {
        Some(&c) => Next::Run(c),
        None => Next::Tail(otherwise),
    }
}

/// The Boolean a condition gave.
#[inline(always)]
pub(crate) fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// The case chosen for the scrutinee's member, and the values of its bindings.
fn match_case(m: &MatchPlan, scrutinee: &Value) -> (GraphId, Vec<Value>) {
    let (member, value) = match scrutinee {
        Value::Tagged(t, inner) if m.tagged => (*t as usize, &**inner),
        v => (0, v),
    };
    let (body, bindings) = &m.by_member[member.min(m.by_member.len() - 1)];
    let fields = value.as_record().unwrap_or(&[]);
    let params = bindings.iter().map(|(i, c)| c.apply(fields.get(*i as usize).cloned().unwrap_or_default())).collect();
    (*body, params)
}

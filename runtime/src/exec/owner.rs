//! Owners (SPEC §7.2): the nodes that decide which of their deferred graphs run — `if`, `branch`,
//! `and`/`or`, a guard, `??`, `match`, a lazy call.
//!
//! The rule of each is written once, as a stepper: given the node's first input it says which
//! graph to run next (with what parameters) or gives the node's value; fed that graph's result,
//! it says the same again. The synchronous evaluator and the asynchronous scheduler both drive
//! it, each running graphs its own way; neither knows the rules.

use crate::plan::{Kind, MatchPlan};
use asterism_registry::dag::GraphId;
use asterism_registry::value::Value;

/// What an owner needs next.
pub(crate) enum Next {
    /// Run this graph with these parameters and feed its result back.
    Run(GraphId, Vec<Value>),
    /// The node's value.
    Done(Value),
}

/// The state of one owner node's decision.
pub(crate) struct Owner<'a> {
    kind: &'a Kind,
    stage: Stage,
}

enum Stage {
    /// The graph now running gives the node's value.
    Last,
    /// A guarded value is running: its value is wrapped.
    Guarded,
    /// Condition `k` of a branch is running.
    Condition(usize),
}

impl<'a> Owner<'a> {
    /// Starts the decision of a node of `kind` (an owner) whose first input is `first`.
    #[inline]
    pub fn start(kind: &'a Kind, first: &Value) -> (Owner<'a>, Next) {
        let run = |g: GraphId| Next::Run(g, Vec::new());
        let (stage, next) = match kind {
            Kind::And(rhs) if truthy(first) => (Stage::Last, run(*rhs)),
            Kind::And(_) => (Stage::Last, Next::Done(Value::Bool(false))),
            Kind::Or(rhs) if !truthy(first) => (Stage::Last, run(*rhs)),
            Kind::Or(_) => (Stage::Last, Next::Done(Value::Bool(true))),
            Kind::If { then, otherwise } => (Stage::Last, run(if truthy(first) { *then } else { *otherwise })),
            Kind::Branch { arms, .. } if truthy(first) => (Stage::Last, run(arms[0])),
            Kind::Branch { conditions, otherwise, .. } => match conditions.first() {
                Some(&c) => (Stage::Condition(0), run(c)),
                None => (Stage::Last, run(*otherwise)),
            },
            Kind::Guard(value) if truthy(first) => (Stage::Guarded, run(*value)),
            Kind::Guard(_) => (Stage::Last, Next::Done(Value::None)),
            Kind::Coalesce { default, .. } if first.is_none() => (Stage::Last, run(*default)),
            Kind::Coalesce { unwrap: true, .. } => (Stage::Last, Next::Done(first.clone().unwrap_some())),
            Kind::Coalesce { .. } => (Stage::Last, Next::Done(first.clone())),
            Kind::Match(m) => {
                let (body, params) = match_case(m, first);
                (Stage::Last, Next::Run(body, params))
            }
            Kind::Lazy(call) => (Stage::Last, run(*call)),
            _ => unreachable!("only owners decide which graphs run"),
        };
        (Owner { kind, stage }, next)
    }

    /// Takes the result of the graph `Next::Run` named.
    #[inline]
    pub fn feed(&mut self, result: Value) -> Next {
        match (&self.stage, self.kind) {
            (Stage::Last, _) => Next::Done(result),
            (Stage::Guarded, _) => Next::Done(Value::some(result)),
            (&Stage::Condition(k), Kind::Branch { conditions, arms, otherwise }) => {
                if truthy(&result) {
                    self.stage = Stage::Last;
                    return Next::Run(arms[k + 1], Vec::new());
                }
                match conditions.get(k + 1) {
                    Some(&c) => {
                        self.stage = Stage::Condition(k + 1);
                        Next::Run(c, Vec::new())
                    }
                    None => {
                        self.stage = Stage::Last;
                        Next::Run(*otherwise, Vec::new())
                    }
                }
            }
            (Stage::Condition(_), _) => unreachable!("only a branch has conditions"),
        }
    }
}

/// The Boolean a condition gave.
#[inline]
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

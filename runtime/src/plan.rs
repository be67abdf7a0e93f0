//! Floor 3 of the runtime: the execution plan, the run-ready form of a DagSpec, prepared once per
//! DAG (`prepare`) and shared by every run.
//!
//! Each node's operation becomes a `Kind` ready to run: constants as values, conversions planned,
//! match cases indexed by member, list representations chosen, call options as a `Policy`. Per
//! graph, the plan records whether everything in it runs synchronously (then a run is a straight
//! pass over its nodes) and, for the asynchronous scheduler, each node's dependencies and
//! consumers. The plan also pools the buffers of finished synchronous runs; running it is the
//! top floor's (`run`).

mod prepare;

pub use prepare::PrepareError;

use crate::outcome::At;
use crate::policy::Policy;
use crate::services::batch::BatchQueue;
use crate::values::convert::Conversion;
use crate::values::ops::Part;
use crate::values::slot::State;
use asterism_registry::dag::{Arith, Compare, DagSpec, GraphId, MergeField, MergeShape, NodeId};
use asterism_registry::module::{HigherOrder, Module};
use asterism_registry::types::Type;
use asterism_registry::value::{ElemKind, Value};
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

#[derive(Debug)]
pub struct ExecutionPlan {
    pub(crate) spec: Arc<DagSpec>,
    pub(crate) functions: Vec<Target>,
    pub(crate) graphs: Vec<GraphPlan>,
    pub(crate) input_types: Vec<Type>,
    pub(crate) outputs: Vec<OutputPlan>,
    /// For each node of the main graph, the outputs it gives (their indices).
    pub(crate) outputs_at: Vec<Box<[u32]>>,
    /// Per-run buffers of finished runs, reused by the next (synchronous) run.
    pub(crate) pool: Mutex<Vec<State>>,
}

/// A called function: its name (for messages), module, and whether its results need checking.
#[derive(Debug)]
pub(crate) struct Target {
    pub name: Arc<str>,
    pub module: Module,
    pub verified: bool,
    /// Synchronous attempts a timeout abandoned that are still running (they cannot be stopped).
    pub abandoned: Arc<AtomicUsize>,
}

#[derive(Debug)]
pub(crate) struct OutputPlan {
    pub name: Arc<str>,
    pub node: NodeId,
    pub ty: Type,
}

#[derive(Debug)]
pub(crate) struct GraphPlan {
    pub nodes: Vec<NodePlan>,
    pub captures: Vec<NodeId>,
    pub result: NodeId,
    /// Whether every node, and every graph it runs, is synchronous.
    pub sync: bool,
    /// For each node, the nodes it waits for (inputs and values its graphs capture).
    pub deps: Vec<Box<[NodeId]>>,
    /// For each node, the nodes waiting for it.
    pub consumers: Vec<Box<[NodeId]>>,
}

#[derive(Debug)]
pub(crate) struct NodePlan {
    pub kind: Kind,
    pub inputs: Box<[NodeId]>,
    pub at: At,
    /// A call `with lazy`: it runs when its value is first demanded.
    pub lazy: bool,
    /// Whether running it may wait: a call of an asynchronous or blocking module or with options
    /// that wait, or a node whose graphs (lambda, branches, fallback) wait.
    pub waits: bool,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Input(u32),
    Param(u32),
    Capture(u32),
    Const(Value),
    Call(Box<CallPlan>),
    HigherOrder(Box<HofPlan>),
    Field {
        index: u32,
        lifted: bool,
        elem: ElemKind,
    },
    Project {
        indices: Box<[u32]>,
        lifted: bool,
    },
    List(ElemKind),
    Record(Box<[u32]>),
    Neg,
    Not,
    Arith(Arith),
    Concat,
    Merge {
        shape: MergeShape,
        fields: Box<[MergeField]>,
    },
    Compare(Compare),
    And(GraphId),
    Or(GraphId),
    If {
        then: GraphId,
        otherwise: GraphId,
    },
    Branch {
        conditions: Box<[GraphId]>,
        arms: Box<[GraphId]>,
        otherwise: GraphId,
    },
    Guard(GraphId),
    /// `unwrap`: the result is the optional's contents (its type is `T`, not `Optional<T>`).
    Coalesce {
        default: GraphId,
        unwrap: bool,
    },
    Match(Box<MatchPlan>),
    Interp(Box<[Part]>),
    Convert(Conversion),
    /// A lazy call: the graph of the call with its arguments (see `lazy`).
    Lazy(GraphId),
}

#[derive(Debug)]
pub(crate) struct CallPlan {
    pub function: u32,
    pub arg_types: Box<[Type]>,
    /// The module's return type (for `on_error: wrap` not the call's type, which wraps it).
    pub ret: Type,
    pub policy: Option<Box<Policy>>,
    /// Whether the call waits: an asynchronous or blocking module, options that wait, or a
    /// fallback that waits.
    pub waits: bool,
    /// The open batch it joins: a batched module called with `batch`.
    pub batch: Option<Arc<BatchQueue>>,
}

#[derive(Debug)]
pub(crate) struct HofPlan {
    pub kind: HigherOrder,
    pub function: u32,
    pub lambda: GraphId,
    /// The representation of the list a filter/map/sort-by builds.
    pub elem: ElemKind,
    pub policy: Option<Box<Policy>>,
    /// Whether the call waits: its lambda or fallback waits, or its options do.
    pub waits: bool,
}

/// How a case of `match` takes its bindings from a member's record: field index and conversion
/// to the binding's type, per binding.
pub(crate) type Bindings = Box<[(u32, Conversion)]>;

#[derive(Debug)]
pub(crate) struct MatchPlan {
    /// For each member of the scrutinee's type (canonical order): the chosen case's body and its
    /// bindings.
    pub by_member: Vec<(GraphId, Bindings)>,
    pub tagged: bool,
}

impl ExecutionPlan {
    pub fn spec(&self) -> &DagSpec {
        &self.spec
    }

    /// Declared inputs: name and type, in declaration order.
    pub fn inputs(&self) -> impl Iterator<Item = (&str, &Type)> {
        self.spec.inputs.iter().map(|i| i.name.as_str()).zip(&self.input_types)
    }

    /// Outputs: name and type, in output order.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, &Type)> {
        self.outputs.iter().map(|o| (&*o.name, &o.ty))
    }

    /// Whether a run never waits: every node and graph is synchronous.
    pub fn is_sync(&self) -> bool {
        self.graphs[0].sync
    }

    /// How many nodes the main graph has (the size of a `Profile` for this plan).
    pub fn node_count(&self) -> usize {
        self.graphs[0].nodes.len()
    }

    /// The number of nodes of each graph, the main graph first (`Profile::new`).
    pub fn graph_sizes(&self) -> Vec<usize> {
        self.graphs.iter().map(|g| g.nodes.len()).collect()
    }

    /// The index of `node` in the main graph, if it is one of its nodes.
    pub(crate) fn main_index(&self, node: &NodePlan) -> Option<usize> {
        let nodes = &self.graphs[0].nodes;
        let offset = (node as *const NodePlan as usize).checked_sub(nodes.as_ptr() as usize)?;
        let i = offset / std::mem::size_of::<NodePlan>().max(1);
        (i < nodes.len() && std::ptr::eq(&nodes[i], node)).then_some(i)
    }

    /// The slots node `node` needs complete before it runs: its inputs and, for a higher-order
    /// call, the values its lambda captures (the call depends on them, SPEC §4.17).
    pub(crate) fn demands<'a>(&'a self, node: &'a NodePlan) -> impl Iterator<Item = NodeId> + 'a {
        let captured = match &node.kind {
            Kind::HigherOrder(h) => &self.graphs[h.lambda as usize].captures[..],
            _ => &[],
        };
        node.inputs.iter().chain(captured).copied()
    }
}

impl Kind {
    /// Whether a node of this kind makes a new value (charged to the run's memory budget) rather
    /// than passing one on.
    #[inline]
    pub(crate) fn allocates(&self) -> bool {
        match self {
            Kind::Call(_) | Kind::HigherOrder(_) | Kind::List(_) | Kind::Record(_) | Kind::Concat => true,
            Kind::Merge { .. } | Kind::Interp(_) | Kind::Convert(_) => true,
            Kind::Field { lifted, .. } | Kind::Project { lifted, .. } => *lifted,
            _ => false,
        }
    }

    /// The deferred graphs a node of this kind owns and runs only when it decides so (SPEC §7.2):
    /// the arms of `if` and `branch`, the right side of `and`/`or`, a guarded value, a `??`
    /// default, `match` bodies, a lazy call's graph.
    pub(crate) fn owned_graphs(&self) -> Vec<GraphId> {
        match self {
            Kind::And(c) | Kind::Or(c) | Kind::Guard(c) | Kind::Lazy(c) => vec![*c],
            Kind::Coalesce { default, .. } => vec![*default],
            Kind::If { then, otherwise } => vec![*then, *otherwise],
            Kind::Branch { conditions, arms, otherwise } => {
                conditions.iter().chain(arms.iter()).copied().chain([*otherwise]).collect()
            }
            Kind::Match(m) => m.by_member.iter().map(|(b, _)| *b).collect(),
            _ => Vec::new(),
        }
    }
}

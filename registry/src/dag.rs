//! DagSpec: a compiled pipeline as plain, versioned, serialisable data (DESIGN.md §2).
//!
//! The compiler produces it, the runtime prepares and runs it; it holds no closures, so it can be
//! written to disk and read back without loss. Its parts:
//! - a type table (`types`): every node's result type is an index into it;
//! - the functions it calls, each with the fingerprint it was compiled against;
//! - graphs: `graphs[0]` is the pipeline; every deferred part of an expression (the arms of `if`,
//!   the later conditions and the arms of `branch`, the value of a guard, the right side of `??`,
//!   `and`, `or`, the bodies of `match` cases, `fallback` expressions) and every lambda body is a
//!   graph of its own, run only when needed. A graph reads values of the graph it is nested in
//!   through `Capture` nodes, its parameters (lambda parameters, match bindings) through `Param`;
//! - inputs in declaration order, outputs in output order.
//!
//! Invariants: within a graph, nodes are in topological order (a node's inputs have smaller
//! indices); `Input` nodes occur only in the main graph; each node records the span and line of
//! the expression it came from, so a runtime failure points at the source.

pub mod text;

use crate::module::HigherOrder;
use crate::signature::Fingerprint;
use crate::types::Type;
use serde::{Deserialize, Serialize};

/// Bumped whenever the encoding of a DagSpec changes meaning.
pub const FORMAT_VERSION: u32 = 2;

pub type NodeId = u32;
pub type TypeId = u32;
pub type GraphId = u32;
pub type FunctionId = u32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DagSpec {
    pub version: u32,
    pub types: Vec<Type>,
    pub functions: Vec<FunctionRef>,
    pub graphs: Vec<Graph>,
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<OutputSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRef {
    pub name: String,
    pub fingerprint: Fingerprint,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub ty: TypeId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub name: String,
    pub ty: TypeId,
    /// The node of the main graph holding the output's value.
    pub node: NodeId,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// For each `Capture(i)` node: the node of the enclosing graph it reads.
    pub captures: Vec<NodeId>,
    /// The number of parameters (`Param(i)` nodes).
    pub params: u32,
    pub nodes: Vec<Node>,
    /// The node whose value is the graph's value (unused for the main graph).
    pub result: NodeId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub ty: TypeId,
    /// Byte span of the expression in the source.
    pub span: (u32, u32),
    /// 1-based line where the expression starts: the line of a runtime failure (SPEC §7.3).
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Const {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Arith {
    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The shapes of the merge algebra (SPEC §5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MergeShape {
    /// record + record
    Records,
    /// list + list, pairwise
    Lists,
    /// list + record: the record merged into every element
    ListRecord,
    /// record + list: every element merged onto the record
    RecordList,
}

/// Where a merged record's field comes from: the left (`false`) or right (`true`) record, and the
/// field's index there.
pub type MergeField = (bool, u32);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InterpPart {
    Text(String),
    /// The text form of the node's input at this index.
    Value(u32),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchCase {
    /// The scrutinee members (canonical order) this case is chosen for.
    pub members: Vec<u32>,
    /// Record fields bound as the body's parameters, in parameter order.
    pub bindings: Vec<String>,
    pub body: GraphId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backoff {
    Fixed,
    Linear,
    Exponential,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OnError {
    Propagate,
    Skip,
    Log,
    Wrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Window {
    Tumbling(u64),
    Sliding(u64, u64),
    Count(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Join {
    CombineLatest,
    Zip,
    Buffer(u64),
}

/// The options of a call (SPEC §6.2), durations in milliseconds. `fallback` is a graph of the call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallOptions {
    pub retry: Option<u32>,
    pub timeout_ms: Option<u64>,
    pub delay_ms: Option<u64>,
    pub backoff: Option<Backoff>,
    pub cache_ms: Option<u64>,
    pub cache_backend: Option<String>,
    /// (count, per milliseconds)
    pub throttle: Option<(u64, u64)>,
    pub concurrency: Option<u32>,
    pub on_error: Option<OnError>,
    /// 0..=100
    pub priority: Option<u8>,
    pub batch: Option<u32>,
    pub batch_timeout_ms: Option<u64>,
    pub window: Option<Window>,
    pub checkpoint_ms: Option<u64>,
    pub join: Option<Join>,
}

impl CallOptions {
    pub fn is_default(&self) -> bool {
        *self == CallOptions::default()
    }

    /// Whether every value is in the range the checker allows (SPEC §6.2).
    pub fn is_valid(&self) -> bool {
        let positive = |v: Option<u64>| v.is_none_or(|v| v > 0);
        positive(self.timeout_ms)
            && positive(self.delay_ms)
            && positive(self.cache_ms)
            && positive(self.batch_timeout_ms)
            && positive(self.checkpoint_ms)
            && self.concurrency.is_none_or(|n| n > 0)
            && self.batch.is_none_or(|n| n > 0)
            && self.throttle.is_none_or(|(count, _)| count > 0)
            && self.priority.is_none_or(|p| p <= 100)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallSpec {
    pub function: FunctionId,
    pub options: CallOptions,
    pub fallback: Option<GraphId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// The i-th declared input (main graph only).
    Input(u32),
    Param(u32),
    Capture(u32),
    Const(Const),
    /// A module call; inputs are the arguments, converted to the instantiated parameter types.
    Call(Box<CallSpec>),
    /// A higher-order call; inputs are the non-lambda arguments; `lambda` is the body's graph.
    HigherOrder {
        kind: HigherOrder,
        call: Box<CallSpec>,
        lambda: GraphId,
    },
    /// Field `index` (canonical order) of a record, or of every element of a list when `lifted`.
    Field {
        index: u32,
        lifted: bool,
    },
    Project {
        indices: Vec<u32>,
        lifted: bool,
    },
    /// A list of the inputs.
    List,
    /// A record: `layout[i]` is the input holding field i (canonical order).
    Record {
        layout: Vec<u32>,
    },
    Neg,
    Not,
    /// Int or Float arithmetic, by the node's type.
    Arith(Arith),
    Concat,
    Merge {
        shape: MergeShape,
        fields: Vec<MergeField>,
    },
    /// Both inputs already have the comparison type.
    Compare(Compare),
    /// Input: the left side; the graph: the right side, run when the left does not decide.
    And(GraphId),
    Or(GraphId),
    If {
        then: GraphId,
        otherwise: GraphId,
    },
    /// Input: the first condition; `conditions` the later ones; `arms[i]` for condition i.
    Branch {
        conditions: Vec<GraphId>,
        arms: Vec<GraphId>,
        otherwise: GraphId,
    },
    /// Input: the condition; the graph: the value.
    Guard(GraphId),
    /// Input: the optional; the graph: the default.
    Coalesce(GraphId),
    /// Input: the scrutinee.
    Match(Vec<MatchCase>),
    Interp(Vec<InterpPart>),
    /// The input converted from type `from` to the node's type (SPEC §5.7, Int→Float promotion).
    Convert {
        from: TypeId,
    },
    /// A call `with lazy`: the graph holds the call, its arguments included, and runs when the
    /// value is first demanded (SPEC §6.4, §7.2).
    Lazy(GraphId),
}

impl Op {
    /// The call of a module or higher-order call: its function and options.
    pub fn call(&self) -> Option<&CallSpec> {
        match self {
            Op::Call(c) | Op::HigherOrder { call: c, .. } => Some(c),
            _ => None,
        }
    }

    /// Whether this is a call `with lazy`, which runs when its value is first demanded.
    pub fn is_lazy(&self) -> bool {
        matches!(self, Op::Lazy(_))
    }

    /// The graphs this operation runs (deferred parts and lambda bodies).
    pub fn graphs(&self) -> Vec<GraphId> {
        match self {
            Op::Call(c) => c.fallback.into_iter().collect(),
            Op::HigherOrder { call, lambda, .. } => std::iter::once(*lambda).chain(call.fallback).collect(),
            Op::And(g) | Op::Or(g) | Op::Guard(g) | Op::Coalesce(g) | Op::Lazy(g) => vec![*g],
            Op::If { then, otherwise } => vec![*then, *otherwise],
            Op::Branch { conditions, arms, otherwise } => {
                conditions.iter().chain(arms).copied().chain(std::iter::once(*otherwise)).collect()
            }
            Op::Match(cases) => cases.iter().map(|c| c.body).collect(),
            _ => Vec::new(),
        }
    }
}

/// Why a DagSpec could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    Malformed(String),
    Version { found: u32, expected: u32 },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Malformed(detail) => write!(f, "malformed DagSpec: {detail}"),
            DecodeError::Version { found, expected } => {
                write!(f, "DagSpec format version {found}, this build reads version {expected}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DagSpec {
    /// The canonical binary encoding: what is hashed and stored.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<DagSpec, DecodeError> {
        let spec: DagSpec = postcard::from_bytes(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if spec.version != FORMAT_VERSION {
            return Err(DecodeError::Version { found: spec.version, expected: FORMAT_VERSION });
        }
        Ok(spec)
    }

    /// The content hash: blake3 of the canonical encoding. Every literal, field index, option,
    /// type and function fingerprint is part of it.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.encode()).as_bytes()
    }

    /// Checks the invariants listed at the top of this module; `Err` says what is wrong. A
    /// DagSpec read from a file must pass before it is run.
    pub fn validate(&self) -> Result<(), String> {
        let graphs = self.graphs.len();
        if graphs == 0 {
            return Err("no main graph".into());
        }
        for (g, graph) in self.graphs.iter().enumerate() {
            let n = graph.nodes.len();
            if g > 0 && graph.result as usize >= n {
                return Err(format!("graph {g}: result out of range"));
            }
            for (i, node) in graph.nodes.iter().enumerate() {
                let bad = |what: &str| Err(format!("graph {g}, node {i}: {what}"));
                if node.inputs.iter().any(|&x| x as usize >= i) {
                    return bad("an input does not come before the node");
                }
                if node.ty as usize >= self.types.len() {
                    return bad("type out of range");
                }
                let children = node.op.graphs();
                if children.iter().any(|&c| c as usize >= graphs || c as usize <= g) {
                    return bad("a nested graph must come after its parent");
                }
                if children.iter().any(|&c| self.graphs[c as usize].captures.iter().any(|&p| p as usize >= n)) {
                    return bad("a nested graph captures a node out of range");
                }
                let ok = match &node.op {
                    Op::Input(k) => g == 0 && (*k as usize) < self.inputs.len(),
                    Op::Param(k) => *k < graph.params,
                    Op::Capture(k) => (*k as usize) < graph.captures.len(),
                    Op::Call(c) => (c.function as usize) < self.functions.len(),
                    Op::HigherOrder { call, .. } => (call.function as usize) < self.functions.len(),
                    Op::Convert { from } => (*from as usize) < self.types.len() && node.inputs.len() == 1,
                    Op::Branch { conditions, arms, .. } => arms.len() == conditions.len() + 1,
                    Op::Interp(parts) => parts.iter().all(|p| match p {
                        InterpPart::Value(k) => (*k as usize) < node.inputs.len(),
                        InterpPart::Text(_) => true,
                    }),
                    Op::Record { layout } => layout.iter().all(|&k| (k as usize) < node.inputs.len()),
                    Op::Match(cases) => !cases.is_empty() && node.inputs.len() == 1,
                    _ => true,
                };
                if !ok {
                    return bad("operand out of range");
                }
                if node.op.call().is_some_and(|c| !c.options.is_valid()) {
                    return bad("an option value out of range");
                }
            }
        }
        let main = self.graphs[0].nodes.len();
        if self.outputs.iter().any(|o| o.node as usize >= main || o.ty as usize >= self.types.len()) {
            return Err("output out of range".into());
        }
        Ok(())
    }
}

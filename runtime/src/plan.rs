//! Preparation: DagSpec + registry → execution plan, once per DAG.
//!
//! Validates the spec (it may come from a file), resolves each called function to its module and
//! checks the fingerprint it was compiled against, and turns every node into a ready-to-run form:
//! constants as values, conversions planned, match cases indexed by member, list representations
//! chosen. It also records, per graph, whether everything in it runs synchronously (then a run is
//! a straight pass over the nodes) and, for the asynchronous scheduler, each node's dependencies
//! and consumers.

use crate::convert::Conversion;
use asterism_registry::dag::{self, Arith, Compare, DagSpec, InterpPart, MergeField, MergeShape, Op};
use asterism_registry::module::{HigherOrder, Module};
use asterism_registry::value::{ElemKind, Value};
use asterism_registry::{Registry, Type};
use std::fmt;
use std::sync::Arc;

#[derive(Debug)]
pub struct ExecutionPlan {
    pub(crate) spec: Arc<DagSpec>,
    pub(crate) functions: Vec<Target>,
    pub(crate) graphs: Vec<GraphPlan>,
    pub(crate) input_types: Vec<Type>,
    pub(crate) outputs: Vec<OutputPlan>,
    /// Per-run buffers of finished runs, reused by the next (synchronous) run.
    pub(crate) pool: std::sync::Mutex<Vec<crate::run::State>>,
}

/// A called function: its name (for messages), module, and whether its results need checking.
#[derive(Debug)]
pub(crate) struct Target {
    pub name: Arc<str>,
    pub module: Module,
    pub verified: bool,
}

#[derive(Debug)]
pub(crate) struct OutputPlan {
    pub name: Arc<str>,
    pub node: u32,
    pub ty: Type,
}

#[derive(Debug)]
pub(crate) struct GraphPlan {
    pub nodes: Vec<NodePlan>,
    pub captures: Vec<u32>,
    pub result: u32,
    /// Whether every node, and every graph it runs, is synchronous.
    pub sync: bool,
    /// For each node, the nodes it waits for (inputs and values its graphs capture).
    pub deps: Vec<Box<[u32]>>,
    /// For each node, the nodes waiting for it.
    pub consumers: Vec<Box<[u32]>>,
}

#[derive(Debug)]
pub(crate) struct NodePlan {
    pub kind: Kind,
    pub inputs: Box<[u32]>,
    pub line: u32,
    pub start: u32,
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
    And(u32),
    Or(u32),
    If {
        then: u32,
        otherwise: u32,
    },
    Branch {
        conditions: Box<[u32]>,
        arms: Box<[u32]>,
        otherwise: u32,
    },
    Guard(u32),
    /// `unwrap`: the result is the optional's contents (its type is `T`, not `Optional<T>`).
    Coalesce {
        default: u32,
        unwrap: bool,
    },
    Match(Box<MatchPlan>),
    Interp(Box<[Part]>),
    Convert(Conversion),
}

#[derive(Debug)]
pub(crate) struct CallPlan {
    pub function: u32,
    pub arg_types: Box<[Type]>,
    pub ret: Type,
}

#[derive(Debug)]
pub(crate) struct HofPlan {
    pub kind: HigherOrder,
    pub lambda: u32,
    /// The representation of the list a filter/map/sort-by builds.
    pub elem: ElemKind,
}

/// How a case of `match` takes its bindings from a member's record: field index and conversion
/// to the binding's type, per binding.
pub(crate) type Bindings = Box<[(u32, Conversion)]>;

#[derive(Debug)]
pub(crate) struct MatchPlan {
    /// For each member of the scrutinee's type (canonical order): the chosen case's body and its
    /// bindings.
    pub by_member: Vec<(u32, Bindings)>,
    pub tagged: bool,
}

#[derive(Debug)]
pub(crate) enum Part {
    Text(Box<str>),
    Value(u32, Type),
}

/// Why a DagSpec cannot be run with a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrepareError {
    UnknownFunction(String),
    NotImplemented(String),
    /// The function changed since the DagSpec was compiled.
    Fingerprint(String),
    Malformed(String),
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::UnknownFunction(n) => write!(f, "the pipeline calls '{n}', which is not registered"),
            PrepareError::NotImplemented(n) => write!(f, "'{n}' is registered without an implementation"),
            PrepareError::Fingerprint(n) => {
                write!(f, "'{n}' changed since the pipeline was compiled; compile it again")
            }
            PrepareError::Malformed(detail) => write!(f, "malformed DagSpec: {detail}"),
        }
    }
}

impl std::error::Error for PrepareError {}

impl ExecutionPlan {
    pub fn prepare(spec: Arc<DagSpec>, registry: &Registry) -> Result<ExecutionPlan, PrepareError> {
        spec.validate().map_err(PrepareError::Malformed)?;
        let functions = spec
            .functions
            .iter()
            .map(|f| {
                let registered = registry.get(&f.name).ok_or_else(|| PrepareError::UnknownFunction(f.name.clone()))?;
                if registered.fingerprint != f.fingerprint {
                    return Err(PrepareError::Fingerprint(f.name.clone()));
                }
                let module = registered.module.clone().ok_or_else(|| PrepareError::NotImplemented(f.name.clone()))?;
                Ok(Target { name: f.name.as_str().into(), module, verified: registered.verified })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let types = &spec.types;
        let mut graphs: Vec<GraphPlan> = Vec::with_capacity(spec.graphs.len());
        // Children have larger ids than their parents: prepare them first to know their `sync`.
        let mut prepared: Vec<Option<GraphPlan>> = (0..spec.graphs.len()).map(|_| None).collect();
        for g in (0..spec.graphs.len()).rev() {
            let plan = prepare_graph(&spec, g, &functions, &prepared)?;
            prepared[g] = Some(plan);
        }
        graphs.extend(prepared.into_iter().flatten());
        let input_types = spec.inputs.iter().map(|i| types[i.ty as usize].clone()).collect();
        let outputs = spec
            .outputs
            .iter()
            .map(|o| OutputPlan { name: o.name.as_str().into(), node: o.node, ty: types[o.ty as usize].clone() })
            .collect();
        Ok(ExecutionPlan { spec: spec.clone(), functions, graphs, input_types, outputs, pool: Default::default() })
    }

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
}

fn list_elem(t: &Type) -> ElemKind {
    match t {
        Type::List(e) | Type::Seq(e) => ElemKind::of(e),
        _ => ElemKind::Any,
    }
}

fn prepare_graph(
    spec: &DagSpec,
    g: usize,
    functions: &[Target],
    children: &[Option<GraphPlan>],
) -> Result<GraphPlan, PrepareError> {
    let graph = &spec.graphs[g];
    let ty = |id: u32| &spec.types[id as usize];
    let child_sync = |c: &u32| children[*c as usize].as_ref().is_some_and(|p| p.sync);
    let mut sync = true;
    let mut nodes = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let input_ty = |i: usize| ty(graph.nodes[node.inputs[i] as usize].ty);
        let kind = match &node.op {
            dag::Op::Input(i) => Kind::Input(*i),
            dag::Op::Param(i) => Kind::Param(*i),
            dag::Op::Capture(i) => Kind::Capture(*i),
            dag::Op::Const(c) => Kind::Const(match c {
                dag::Const::Int(n) => Value::Int(*n),
                dag::Const::Float(x) => Value::Float(*x),
                dag::Const::Bool(b) => Value::Bool(*b),
                dag::Const::Str(s) => Value::str(s.as_str()),
            }),
            dag::Op::Call(c) => {
                sync &= matches!(functions[c.function as usize].module, Module::Sync(_));
                let arg_types = (0..node.inputs.len()).map(|i| input_ty(i).clone()).collect();
                Kind::Call(Box::new(CallPlan { function: c.function, arg_types, ret: ty(node.ty).clone() }))
            }
            dag::Op::HigherOrder { kind, lambda, .. } => {
                Kind::HigherOrder(Box::new(HofPlan { kind: *kind, lambda: *lambda, elem: list_elem(ty(node.ty)) }))
            }
            dag::Op::Field { index, lifted } => {
                Kind::Field { index: *index, lifted: *lifted, elem: list_elem(ty(node.ty)) }
            }
            dag::Op::Project { indices, lifted } => Kind::Project { indices: indices.clone().into(), lifted: *lifted },
            dag::Op::List => Kind::List(list_elem(ty(node.ty))),
            dag::Op::Record { layout } => Kind::Record(layout.clone().into()),
            dag::Op::Neg => Kind::Neg,
            dag::Op::Not => Kind::Not,
            dag::Op::Arith(op) => Kind::Arith(*op),
            dag::Op::Concat => Kind::Concat,
            dag::Op::Merge { shape, fields } => Kind::Merge { shape: *shape, fields: fields.clone().into() },
            dag::Op::Compare(op) => Kind::Compare(*op),
            dag::Op::And(c) => Kind::And(*c),
            dag::Op::Or(c) => Kind::Or(*c),
            dag::Op::If { then, otherwise } => Kind::If { then: *then, otherwise: *otherwise },
            dag::Op::Branch { conditions, arms, otherwise } => {
                Kind::Branch { conditions: conditions.clone().into(), arms: arms.clone().into(), otherwise: *otherwise }
            }
            dag::Op::Guard(c) => Kind::Guard(*c),
            dag::Op::Coalesce(c) => Kind::Coalesce { default: *c, unwrap: ty(node.ty) != input_ty(0) },
            dag::Op::Match(cases) => {
                let m = match_plan(cases, input_ty(0), &spec.graphs, spec);
                if m.by_member.iter().any(|(body, _)| *body == u32::MAX) {
                    return Err(PrepareError::Malformed("a match does not cover every member".into()));
                }
                Kind::Match(Box::new(m))
            }
            dag::Op::Interp(parts) => Kind::Interp(
                parts
                    .iter()
                    .map(|p| match p {
                        InterpPart::Text(s) => Part::Text(s.as_str().into()),
                        InterpPart::Value(i) => Part::Value(*i, input_ty(*i as usize).clone()),
                    })
                    .collect(),
            ),
            dag::Op::Convert { from } => Kind::Convert(Conversion::plan(ty(*from), ty(node.ty))),
        };
        sync &= node.op.graphs().iter().all(child_sync);
        nodes.push(NodePlan { kind, inputs: node.inputs.clone().into(), line: node.line, start: node.span.0 });
    }
    // Dependencies: inputs, plus whatever the node's graphs capture from this graph.
    let mut deps: Vec<Vec<u32>> = graph.nodes.iter().map(|n| n.inputs.clone()).collect();
    for (i, node) in graph.nodes.iter().enumerate() {
        for c in node.op.graphs() {
            deps[i].extend(&spec.graphs[c as usize].captures);
        }
        deps[i].sort_unstable();
        deps[i].dedup();
    }
    let mut consumers: Vec<Vec<u32>> = vec![Vec::new(); graph.nodes.len()];
    for (i, d) in deps.iter().enumerate() {
        for &x in d {
            consumers[x as usize].push(i as u32);
        }
    }
    Ok(GraphPlan {
        nodes,
        captures: graph.captures.clone(),
        result: graph.result,
        sync,
        deps: deps.into_iter().map(Vec::into_boxed_slice).collect(),
        consumers: consumers.into_iter().map(Vec::into_boxed_slice).collect(),
    })
}

fn match_plan(cases: &[dag::MatchCase], scrutinee: &Type, graphs: &[dag::Graph], spec: &DagSpec) -> MatchPlan {
    let members = scrutinee.members();
    let mut by_member: Vec<(u32, Bindings)> = vec![(u32::MAX, Box::new([])); members.len()];
    for case in cases {
        let params = &graphs[case.body as usize];
        let param_types: Vec<&Type> = params
            .nodes
            .iter()
            .filter_map(|n| match n.op {
                Op::Param(i) => Some((i, &spec.types[n.ty as usize])),
                _ => None,
            })
            .fold(vec![&Type::Nothing; case.bindings.len()], |mut acc, (i, t)| {
                if let Some(slot) = acc.get_mut(i as usize) {
                    *slot = t;
                }
                acc
            });
        for &m in &case.members {
            let Some(member) = members.get(m as usize) else { continue };
            let bindings = case
                .bindings
                .iter()
                .zip(&param_types)
                .map(|(name, to)| match member {
                    Type::Record(r) => {
                        let i = r.index_of(name).unwrap_or_default();
                        (i as u32, Conversion::plan(&r.fields()[i].1, to))
                    }
                    _ => (0, Conversion::Identity),
                })
                .collect();
            by_member[m as usize] = (case.body, bindings);
        }
    }
    MatchPlan { by_member, tagged: matches!(scrutinee, Type::Union(_)) }
}

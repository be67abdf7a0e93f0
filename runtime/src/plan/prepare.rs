//! Preparation: DagSpec + registry → execution plan, once per DAG.
//!
//! Validates the spec (it may come from a file), resolves each called function to its module and
//! checks the fingerprint it was compiled against, and turns every node into a ready-to-run form.
//! Children graphs have larger ids than their parents, so graphs are prepared last to first and a
//! parent knows whether its children are synchronous. Call options become a `Policy`, with
//! caches and limiters taken from the engine's `Services`.

use super::{Bindings, CallPlan, ExecutionPlan, GraphPlan, HofPlan, Kind, MatchPlan, NodePlan, OutputPlan, Target};
use crate::outcome::At;
use crate::policy::{Policy, Site, unwrapped};
use crate::services::Services;
use crate::values::convert::Conversion;
use crate::values::ops::Part;
use asterism_registry::Registry;
use asterism_registry::dag::{self, DagSpec, InterpPart, Op};
use asterism_registry::module::Module;
use asterism_registry::types::Type;
use asterism_registry::value::{ElemKind, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

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
    /// Prepares `spec` to run with the modules of `registry`; caches and limiters come from
    /// `services`, shared with every other plan prepared with it.
    pub fn prepare(
        spec: Arc<DagSpec>,
        registry: &Registry,
        services: &Services,
    ) -> Result<ExecutionPlan, PrepareError> {
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
                Ok(Target {
                    name: f.name.as_str().into(),
                    module,
                    verified: registered.verified,
                    abandoned: Arc::default(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let types = &spec.types;
        let mut graphs: Vec<GraphPlan> = Vec::with_capacity(spec.graphs.len());
        // Children have larger ids than their parents: prepare them first to know their `sync`.
        let mut prepared: Vec<Option<GraphPlan>> = (0..spec.graphs.len()).map(|_| None).collect();
        // In a plan that waits anywhere, a graph holding lazy values may wait for them.
        let lazy = match waits_anywhere(&spec, &functions) {
            true => lazy_graphs(&spec),
            false => vec![false; spec.graphs.len()],
        };
        let cx = Prep { spec: &spec, functions: &functions, services, lazy, hash: OnceLock::new() };
        for g in (0..spec.graphs.len()).rev() {
            let plan = cx.graph(g, &prepared)?;
            prepared[g] = Some(plan);
        }
        graphs.extend(prepared.into_iter().flatten());
        let input_types = spec.inputs.iter().map(|i| types[i.ty as usize].clone()).collect();
        let outputs = spec
            .outputs
            .iter()
            .map(|o| OutputPlan { name: o.name.as_str().into(), node: o.node, ty: types[o.ty as usize].clone() })
            .collect();
        let mut outputs_at: Vec<Vec<u32>> = vec![Vec::new(); graphs[0].nodes.len()];
        for (k, o) in spec.outputs.iter().enumerate() {
            if let Some(at) = outputs_at.get_mut(o.node as usize) {
                at.push(k as u32);
            }
        }
        let outputs_at = outputs_at.into_iter().map(Vec::into_boxed_slice).collect();
        Ok(ExecutionPlan {
            spec: spec.clone(),
            functions,
            graphs,
            input_types,
            outputs,
            outputs_at,
            pool: Default::default(),
        })
    }
}

fn list_elem(t: &Type) -> ElemKind {
    match t {
        Type::List(e) | Type::Seq(e) => ElemKind::of(e),
        _ => ElemKind::Any,
    }
}

/// What preparing the graphs of one spec shares.
struct Prep<'a> {
    spec: &'a DagSpec,
    functions: &'a [Target],
    services: &'a Services,
    /// Per graph: whether it must wait for lazy values (see `lazy_graphs`).
    lazy: Vec<bool>,
    /// The spec's hash, computed if a higher-order call is cached.
    hash: OnceLock<[u8; 32]>,
}

/// Whether any call of the spec waits: an asynchronous or blocking module, or options that wait.
fn waits_anywhere(spec: &DagSpec, functions: &[Target]) -> bool {
    spec.graphs.iter().flat_map(|g| &g.nodes).any(|node| match &node.op {
        Op::Call(c) => {
            !matches!(functions.get(c.function as usize).map(|t| &t.module), Some(Module::Sync(_)))
                || Policy::waits(&c.options)
        }
        Op::HigherOrder { call, .. } => Policy::waits(&call.options),
        _ => false,
    })
}

/// Per graph: whether it holds a lazy call, or captures one (directly or through the captures of
/// the graphs it is nested in). Parents have smaller ids than the graphs nested in them.
fn lazy_graphs(spec: &DagSpec) -> Vec<bool> {
    // lazy_node[g][i]: node i of graph g may hold a value not computed yet.
    let mut lazy_node: Vec<Vec<bool>> = spec.graphs.iter().map(|g| vec![false; g.nodes.len()]).collect();
    let mut parent: Vec<Option<usize>> = vec![None; spec.graphs.len()];
    for (g, graph) in spec.graphs.iter().enumerate() {
        for (i, node) in graph.nodes.iter().enumerate() {
            let captured = match (&node.op, parent[g]) {
                (&Op::Capture(k), Some(p)) => graph
                    .captures
                    .get(k as usize)
                    .is_some_and(|&n| lazy_node[p].get(n as usize).copied().unwrap_or(false)),
                _ => false,
            };
            lazy_node[g][i] = node.op.is_lazy() || captured;
            for c in node.op.graphs() {
                if let Some(slot) = parent.get_mut(c as usize) {
                    *slot = Some(g);
                }
            }
        }
    }
    lazy_node.iter().map(|nodes| nodes.iter().any(|&l| l)).collect()
}

impl Prep<'_> {
    fn hash(&self) -> &[u8; 32] {
        self.hash.get_or_init(|| self.spec.hash())
    }

    /// The policy of a call (module or higher-order) at node `node` of type `ty`.
    fn policy(&self, call: &dag::CallSpec, arg_types: &[Type], ty: &Type, lambda: Option<u32>) -> Option<Box<Policy>> {
        let target = &self.functions[call.function as usize];
        let site = Site {
            options: &call.options,
            fallback: call.fallback,
            function: &target.name,
            fingerprint: &self.spec.functions[call.function as usize].fingerprint,
            arg_types,
            ty,
            lambda: lambda.filter(|_| call.options.cache_ms.is_some()).map(|l| (self.hash(), l)),
        };
        Policy::prepare(site, self.services).map(Box::new)
    }

    fn graph(&self, g: usize, children: &[Option<GraphPlan>]) -> Result<GraphPlan, PrepareError> {
        let (spec, functions) = (self.spec, self.functions);
        let graph = &spec.graphs[g];
        let ty = |id: u32| &spec.types[id as usize];
        let child_sync = |c: &u32| children[*c as usize].as_ref().is_some_and(|p| p.sync);
        let mut sync = !self.lazy[g];
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
                    let arg_types: Box<[Type]> = (0..node.inputs.len()).map(|i| input_ty(i).clone()).collect();
                    let ret = exec_type(c, ty(node.ty));
                    let policy = self.policy(c, &arg_types, &ret, None);
                    let target = &functions[c.function as usize];
                    let waits = !matches!(target.module, Module::Sync(_))
                        || policy.as_ref().is_some_and(|p| p.waits)
                        || !c.fallback.iter().all(child_sync);
                    let batch = match (&target.module, c.options.batch) {
                        (Module::Batched(b), Some(size)) if c.options.window.is_none() => {
                            Some(self.services.batch_queue(&target.name, b, size, c.options.batch_timeout_ms))
                        }
                        _ => None,
                    };
                    Kind::Call(Box::new(CallPlan { function: c.function, arg_types, ret, policy, waits, batch }))
                }
                dag::Op::HigherOrder { kind, lambda, call } => {
                    let arg_types: Box<[Type]> = (0..node.inputs.len()).map(|i| input_ty(i).clone()).collect();
                    let ret = exec_type(call, ty(node.ty));
                    let policy = self.policy(call, &arg_types, &ret, Some(*lambda));
                    let waits = policy.as_ref().is_some_and(|p| p.waits) || !node.op.graphs().iter().all(child_sync);
                    Kind::HigherOrder(Box::new(HofPlan {
                        kind: *kind,
                        function: call.function,
                        lambda: *lambda,
                        elem: list_elem(&ret),
                        policy,
                        waits,
                    }))
                }
                dag::Op::Field { index, lifted } => {
                    Kind::Field { index: *index, lifted: *lifted, elem: list_elem(ty(node.ty)) }
                }
                dag::Op::Project { indices, lifted } => {
                    Kind::Project { indices: indices.clone().into(), lifted: *lifted }
                }
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
                dag::Op::Branch { conditions, arms, otherwise } => Kind::Branch {
                    conditions: conditions.clone().into(),
                    arms: arms.clone().into(),
                    otherwise: *otherwise,
                },
                dag::Op::Guard(c) => Kind::Guard(*c),
                dag::Op::Lazy(c) => Kind::Lazy(*c),
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
            let waits = match &kind {
                Kind::Call(c) => c.waits,
                Kind::HigherOrder(h) => h.waits,
                _ => !node.op.graphs().iter().all(child_sync),
            };
            sync &= !waits;
            let lazy = node.op.is_lazy();
            nodes.push(NodePlan {
                kind,
                inputs: node.inputs.clone().into(),
                at: At { line: node.line, start: node.span.0, end: node.span.1 },
                lazy,
                waits,
            });
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
}

/// The type the function itself returns at a call of type `ty`: with `on_error: wrap` the call's
/// type wraps it.
fn exec_type(call: &dag::CallSpec, ty: &Type) -> Type {
    match call.options.on_error {
        Some(dag::OnError::Wrap) => unwrapped(ty),
        _ => ty.clone(),
    }
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

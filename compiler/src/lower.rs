//! The lowering stage: a typed program without errors → IR (a DagSpec before optimisation).
//!
//! Every assignment becomes the node of its expression in the main graph; a variable is an edge
//! to its binding's node. Each deferred part of an expression (SPEC §7.2: a call `with lazy`, with
//! its arguments, is one) and each lambda body becomes a graph of its own; a graph reads the
//! values it needs from the graph around it through `Capture` nodes, created on first use and
//! shared after. Types are interned in the type table;
//! called functions are recorded with their fingerprints. Nodes come out in topological order
//! because an expression is lowered after its operands.

use crate::typed::{BindingId, BindingKind, LocalId, TCall, TExpr, TExprKind, TPart, TypedProgram};
use asterism_lang::LineIndex;
use asterism_lang::ast::grow_stack;
use asterism_lang::ast::options as syntax;
use asterism_lang::ast::{BinOp, CmpOp, LogicOp};
use asterism_registry::dag::{
    self, Arith, CallSpec, Compare, Const, DagSpec, FunctionId, Graph, GraphId, InputSpec, InterpPart, MatchCase,
    MergeShape, Node, NodeId, Op, OutputSpec, TypeId,
};
use asterism_registry::{Module, Registry, Type};
use std::collections::HashMap;

/// Lowers a checked program. `src` gives the lines of the nodes.
pub fn lower(program: &TypedProgram, registry: &Registry, src: &str) -> DagSpec {
    let mut l = Lower {
        program,
        registry,
        lines: LineIndex::new(src),
        types: Vec::new(),
        type_ids: HashMap::new(),
        functions: Vec::new(),
        function_ids: HashMap::new(),
        graphs: vec![Graph::default()],
        builders: vec![Builder::new(0)],
        bindings: vec![None; program.bindings.len()],
    };
    let mut inputs = Vec::new();
    for (i, binding) in program.bindings.iter().enumerate() {
        let node = match &binding.kind {
            BindingKind::Input => {
                let ty = l.type_id(&binding.ty);
                inputs.push(InputSpec { name: binding.name.to_string(), ty });
                let span = (binding.span.start as u32, binding.span.end as u32);
                l.push_at(Op::Input(inputs.len() as u32 - 1), Vec::new(), ty, span)
            }
            BindingKind::Assign(e) => l.expr(e),
            BindingKind::Invalid => unreachable!("only programs without errors are lowered"),
        };
        l.bindings[i] = Some(node);
    }
    let outputs = program
        .outputs
        .iter()
        .map(|o| OutputSpec { name: o.name.to_string(), ty: l.type_id(&o.ty), node: l.binding(o.binding) })
        .collect();
    let main = l.builders.pop().map(Builder::finish).unwrap_or_default();
    l.graphs[0] = main;
    DagSpec { version: dag::FORMAT_VERSION, types: l.types, functions: l.functions, graphs: l.graphs, inputs, outputs }
}

/// A value a graph may need from the graphs around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ref {
    Global(BindingId),
    Local(LocalId),
}

/// A graph being built.
struct Builder {
    id: GraphId,
    nodes: Vec<Node>,
    captures: Vec<NodeId>,
    captured: HashMap<Ref, NodeId>,
    locals: HashMap<LocalId, NodeId>,
    params: u32,
}

impl Builder {
    fn new(id: GraphId) -> Builder {
        Builder {
            id,
            nodes: Vec::new(),
            captures: Vec::new(),
            captured: HashMap::new(),
            locals: HashMap::new(),
            params: 0,
        }
    }

    fn finish(self) -> Graph {
        Graph { captures: self.captures, params: self.params, nodes: self.nodes, result: 0 }
    }
}

struct Lower<'a> {
    program: &'a TypedProgram,
    registry: &'a Registry,
    lines: LineIndex,
    types: Vec<Type>,
    type_ids: HashMap<Type, TypeId>,
    functions: Vec<dag::FunctionRef>,
    function_ids: HashMap<String, FunctionId>,
    graphs: Vec<Graph>,
    /// The graphs being built, innermost last; `builders[0]` is the main graph.
    builders: Vec<Builder>,
    bindings: Vec<Option<NodeId>>,
}

impl Lower<'_> {
    fn type_id(&mut self, ty: &Type) -> TypeId {
        if let Some(&id) = self.type_ids.get(ty) {
            return id;
        }
        let id = self.types.len() as TypeId;
        self.types.push(ty.clone());
        self.type_ids.insert(ty.clone(), id);
        id
    }

    fn function_id(&mut self, name: &str) -> FunctionId {
        if let Some(&id) = self.function_ids.get(name) {
            return id;
        }
        let fingerprint = self.registry.get(name).map(|f| f.fingerprint).unwrap_or_default();
        let id = self.functions.len() as FunctionId;
        self.functions.push(dag::FunctionRef { name: name.to_string(), fingerprint });
        self.function_ids.insert(name.to_string(), id);
        id
    }

    fn binding(&self, id: BindingId) -> NodeId {
        self.bindings[id.0 as usize].expect("bindings are lowered before they are used")
    }

    fn push_at(&mut self, op: Op, inputs: Vec<NodeId>, ty: TypeId, span: (u32, u32)) -> NodeId {
        let line = self.lines.line(span.0 as usize) as u32;
        let b = self.builders.last_mut().expect("a graph is being built");
        b.nodes.push(Node { op, inputs, ty, span, line });
        b.nodes.len() as NodeId - 1
    }

    fn push(&mut self, e: &TExpr, op: Op, inputs: Vec<NodeId>) -> NodeId {
        let ty = self.type_id(&e.ty);
        self.push_at(op, inputs, ty, (e.span.start as u32, e.span.end as u32))
    }

    /// The node holding `r` in the graph at `depth`, capturing it from outer graphs if needed.
    fn resolve(&mut self, depth: usize, r: Ref, span: (u32, u32)) -> NodeId {
        if let Ref::Local(l) = r
            && let Some(&n) = self.builders[depth].locals.get(&l)
        {
            return n;
        }
        if let Some(&n) = self.builders[depth].captured.get(&r) {
            return n;
        }
        if depth == 0 {
            return match r {
                Ref::Global(b) => self.binding(b),
                Ref::Local(_) => unreachable!("locals are defined inside lambdas and match cases"),
            };
        }
        let outer = self.resolve(depth - 1, r, span);
        let ty = self.builders[depth - 1].nodes[outer as usize].ty;
        let line = self.lines.line(span.0 as usize) as u32;
        let b = &mut self.builders[depth];
        b.captures.push(outer);
        let op = Op::Capture(b.captures.len() as u32 - 1);
        b.nodes.push(Node { op, inputs: Vec::new(), ty, span, line });
        let node = b.nodes.len() as NodeId - 1;
        b.captured.insert(r, node);
        node
    }

    /// Lowers `body` as a graph of its own with the given parameters.
    fn graph(&mut self, params: &[LocalId], body: &TExpr) -> GraphId {
        self.graph_of(params, body, |this| this.expr(body))
    }

    /// A graph of its own with the given parameters, whose result `lower` gives; `body` is the
    /// expression it stands for.
    fn graph_of(&mut self, params: &[LocalId], body: &TExpr, lower: impl FnOnce(&mut Self) -> NodeId) -> GraphId {
        let id = self.graphs.len() as GraphId;
        self.graphs.push(Graph::default());
        self.builders.push(Builder::new(id));
        for (i, local) in params.iter().enumerate() {
            let ty = self.type_id(&self.program.locals[local.0 as usize].clone());
            let span = (body.span.start as u32, body.span.start as u32);
            let node = self.push_at(Op::Param(i as u32), Vec::new(), ty, span);
            let b = self.builders.last_mut().expect("just pushed");
            b.locals.insert(*local, node);
            b.params += 1;
        }
        let result = lower(self);
        let builder = self.builders.pop().expect("just pushed");
        debug_assert_eq!(builder.id, id);
        let mut graph = builder.finish();
        graph.result = result;
        self.graphs[id as usize] = graph;
        id
    }

    fn exprs(&mut self, es: &[TExpr]) -> Vec<NodeId> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&mut self, e: &TExpr) -> NodeId {
        grow_stack(|| self.expr_here(e))
    }

    fn expr_here(&mut self, e: &TExpr) -> NodeId {
        let depth = self.builders.len() - 1;
        let span = (e.span.start as u32, e.span.end as u32);
        match &e.kind {
            TExprKind::Int(n) => self.push(e, Op::Const(Const::Int(*n)), Vec::new()),
            TExprKind::Float(x) => self.push(e, Op::Const(Const::Float(*x)), Vec::new()),
            TExprKind::Bool(b) => self.push(e, Op::Const(Const::Bool(*b)), Vec::new()),
            TExprKind::Str(s) => self.push(e, Op::Const(Const::Str(s.clone())), Vec::new()),
            TExprKind::Interp(parts) => {
                let mut inputs = Vec::new();
                let parts = parts
                    .iter()
                    .map(|p| match p {
                        TPart::Text(s) => InterpPart::Text(s.clone()),
                        TPart::Expr(x) => {
                            inputs.push(self.expr(x));
                            InterpPart::Value(inputs.len() as u32 - 1)
                        }
                    })
                    .collect();
                self.push(e, Op::Interp(parts), inputs)
            }
            TExprKind::Global(b) => self.resolve(depth, Ref::Global(*b), span),
            TExprKind::Local(l) => self.resolve(depth, Ref::Local(*l), span),
            TExprKind::Call(call) => self.call(e, call),
            TExprKind::Lambda(_) => unreachable!("lambdas are lowered by their higher-order call"),
            TExprKind::Field { target, index, lifted } => {
                let t = self.expr(target);
                self.push(e, Op::Field { index: *index as u32, lifted: *lifted }, vec![t])
            }
            TExprKind::Project { target, indices, lifted } => {
                let t = self.expr(target);
                let indices = indices.iter().map(|&i| i as u32).collect();
                self.push(e, Op::Project { indices, lifted: *lifted }, vec![t])
            }
            TExprKind::List(items) => {
                let inputs = self.exprs(items);
                self.push(e, Op::List, inputs)
            }
            TExprKind::Record { values, layout } => {
                let inputs = self.exprs(values);
                let layout = layout.iter().map(|&i| i as u32).collect();
                self.push(e, Op::Record { layout }, inputs)
            }
            TExprKind::Neg(x) => {
                let x = self.expr(x);
                self.push(e, Op::Neg, vec![x])
            }
            TExprKind::Not(x) => {
                let x = self.expr(x);
                self.push(e, Op::Not, vec![x])
            }
            TExprKind::Arith { op, lhs, rhs } => {
                let inputs = vec![self.expr(lhs), self.expr(rhs)];
                self.push(e, Op::Arith(arith(*op)), inputs)
            }
            TExprKind::Concat { lhs, rhs } => {
                let inputs = vec![self.expr(lhs), self.expr(rhs)];
                self.push(e, Op::Concat, inputs)
            }
            TExprKind::Merge { lhs, rhs } => {
                let (shape, fields) = merge_layout(&lhs.ty, &rhs.ty, &e.ty);
                let inputs = vec![self.expr(lhs), self.expr(rhs)];
                self.push(e, Op::Merge { shape, fields }, inputs)
            }
            TExprKind::Compare { op, lhs, rhs } => {
                let inputs = vec![self.expr(lhs), self.expr(rhs)];
                self.push(e, Op::Compare(compare(*op)), inputs)
            }
            TExprKind::Logic { op, lhs, rhs } => {
                let l = self.expr(lhs);
                let g = self.graph(&[], rhs);
                let op = if *op == LogicOp::And { Op::And(g) } else { Op::Or(g) };
                self.push(e, op, vec![l])
            }
            TExprKind::If { cond, then, otherwise } => {
                let c = self.expr(cond);
                let (then, otherwise) = (self.graph(&[], then), self.graph(&[], otherwise));
                self.push(e, Op::If { then, otherwise }, vec![c])
            }
            TExprKind::Branch { arms, otherwise } => {
                let Some(((first, _), _)) = arms.split_first() else {
                    // `branch { otherwise -> e }`: nothing is deferred.
                    return self.expr(otherwise);
                };
                let c = self.expr(first);
                let conditions = arms[1..].iter().map(|(c, _)| self.graph(&[], c)).collect();
                let arms = arms.iter().map(|(_, v)| self.graph(&[], v)).collect();
                let otherwise = self.graph(&[], otherwise);
                self.push(e, Op::Branch { conditions, arms, otherwise }, vec![c])
            }
            TExprKind::Guard { value, cond } => {
                let c = self.expr(cond);
                let g = self.graph(&[], value);
                self.push(e, Op::Guard(g), vec![c])
            }
            TExprKind::Coalesce { value, default } => {
                let v = self.expr(value);
                let g = self.graph(&[], default);
                self.push(e, Op::Coalesce(g), vec![v])
            }
            TExprKind::Match { scrutinee, cases } => {
                let s = self.expr(scrutinee);
                let cases = cases
                    .iter()
                    .map(|c| {
                        let params: Vec<LocalId> = c.bindings.iter().map(|(l, _)| *l).collect();
                        MatchCase {
                            members: c.members.iter().map(|&m| m as u32).collect(),
                            bindings: c.bindings.iter().map(|(_, name)| name.to_string()).collect(),
                            body: self.graph(&params, &c.body),
                        }
                    })
                    .collect();
                self.push(e, Op::Match(cases), vec![s])
            }
            TExprKind::Convert(inner) => {
                let from = self.type_id(&inner.ty);
                let x = self.expr(inner);
                self.push(e, Op::Convert { from }, vec![x])
            }
        }
    }

    fn call(&mut self, e: &TExpr, call: &TCall) -> NodeId {
        if call.options.lazy.as_ref().is_some_and(|l| l.value) {
            // The call and its arguments are deferred (SPEC §7.2): a graph run when demanded.
            let g = self.graph_of(&[], e, |this| this.call_now(e, call));
            return self.push(e, Op::Lazy(g), Vec::new());
        }
        self.call_now(e, call)
    }

    fn call_now(&mut self, e: &TExpr, call: &TCall) -> NodeId {
        let function = self.function_id(&call.function);
        let options = options(&call.options);
        let fallback = call.fallback.as_ref().map(|f| self.graph(&[], f));
        let spec = Box::new(CallSpec { function, options, fallback });
        let module = self.registry.get(&call.function).and_then(|f| f.module.clone());
        match module {
            Some(Module::HigherOrder(kind)) => {
                let mut inputs = Vec::new();
                let mut lambda = None;
                for arg in &call.args {
                    match &arg.kind {
                        TExprKind::Lambda(l) => lambda = Some(self.graph(&l.params, &l.body)),
                        _ => inputs.push(self.expr(arg)),
                    }
                }
                let lambda = lambda.expect("a higher-order call has a lambda argument");
                self.push(e, Op::HigherOrder { kind, call: spec, lambda }, inputs)
            }
            _ => {
                let inputs = self.exprs(&call.args);
                self.push(e, Op::Call(spec), inputs)
            }
        }
    }
}

fn arith(op: BinOp) -> Arith {
    match op {
        BinOp::Add => Arith::Add,
        BinOp::Sub => Arith::Sub,
        BinOp::Mul => Arith::Mul,
        BinOp::Div => Arith::Div,
        BinOp::Rem => Arith::Rem,
    }
}

fn compare(op: CmpOp) -> Compare {
    match op {
        CmpOp::Eq => Compare::Eq,
        CmpOp::Ne => Compare::Ne,
        CmpOp::Lt => Compare::Lt,
        CmpOp::Gt => Compare::Gt,
        CmpOp::Le => Compare::Le,
        CmpOp::Ge => Compare::Ge,
    }
}

/// The shape of a merge and, for each field of the merged record, where it comes from.
fn merge_layout(l: &Type, r: &Type, result: &Type) -> (MergeShape, Vec<dag::MergeField>) {
    let record = |t: &Type| -> asterism_registry::Record {
        match t {
            Type::Record(r) => r.clone(),
            Type::List(e) | Type::Seq(e) => match &**e {
                Type::Record(r) => r.clone(),
                _ => Default::default(),
            },
            _ => Default::default(),
        }
    };
    let shape = match (l, r) {
        (Type::Record(_), Type::Record(_)) => MergeShape::Records,
        (Type::Record(_), _) => MergeShape::RecordList,
        (_, Type::Record(_)) => MergeShape::ListRecord,
        _ => MergeShape::Lists,
    };
    let (left, right, merged) = (record(l), record(r), record(result));
    let fields = merged
        .names()
        .map(|n| match right.index_of(n) {
            Some(i) => (true, i as u32),
            None => (false, left.index_of(n).unwrap_or_default() as u32),
        })
        .collect();
    (shape, fields)
}

/// The options of a call as plan data (values were range-checked by the checker).
fn options(o: &syntax::CallOptions) -> dag::CallOptions {
    dag::CallOptions {
        retry: o.retry.as_ref().map(|r| r.value.clamp(0, u32::MAX as i64) as u32),
        timeout_ms: o.timeout.as_ref().map(|t| t.value),
        delay_ms: o.delay.as_ref().map(|d| d.value),
        backoff: o.backoff.as_ref().map(|b| match b.value {
            syntax::Backoff::Fixed => dag::Backoff::Fixed,
            syntax::Backoff::Linear => dag::Backoff::Linear,
            syntax::Backoff::Exponential => dag::Backoff::Exponential,
        }),
        cache_ms: o.cache.as_ref().map(|c| c.value),
        cache_backend: o.cache_backend.as_ref().map(|b| b.value.clone()),
        throttle: o.throttle.as_ref().map(|t| (t.value.count, t.value.per_ms)),
        concurrency: o.concurrency.as_ref().map(|c| c.value.clamp(0, u32::MAX as i64) as u32),
        on_error: o.on_error.as_ref().map(|e| match e.value {
            syntax::OnError::Propagate => dag::OnError::Propagate,
            syntax::OnError::Skip => dag::OnError::Skip,
            syntax::OnError::Log => dag::OnError::Log,
            syntax::OnError::Wrap => dag::OnError::Wrap,
        }),
        priority: o.priority.as_ref().map(|p| p.value),
        batch: o.batch.as_ref().map(|b| b.value.clamp(0, u32::MAX as i64) as u32),
        batch_timeout_ms: o.batch_timeout.as_ref().map(|b| b.value),
        window: o.window.as_ref().map(|w| match w.value {
            syntax::Window::Tumbling(d) => dag::Window::Tumbling(d),
            syntax::Window::Sliding(a, b) => dag::Window::Sliding(a, b),
            syntax::Window::Count(n) => dag::Window::Count(n),
        }),
        checkpoint_ms: o.checkpoint.as_ref().map(|c| c.value),
        join: o.join.as_ref().map(|j| match j.value {
            syntax::Join::CombineLatest => dag::Join::CombineLatest,
            syntax::Join::Zip => dag::Join::Zip,
            syntax::Join::Buffer(d) => dag::Join::Buffer(d),
        }),
    }
}

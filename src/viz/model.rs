//! What a picture of a pipeline shows: its main graph's nodes — inputs, module calls, inline
//! operations — and its outputs, with the edges between them.
//!
//! Takes: a DagSpec, its source, and which functions are modules (not the standard library's).
//! Gives: `Graph` — nodes with a kind, a title, and details (the source they come from, their
//! type, the options of a call) — and edges in node order. Constants are left out (they are in
//! the details of what reads them, through the source); what runs inside a branch, a guard or a
//! lambda is shown by its owner node.

use asterism_registry::dag::{Arith, CallOptions, Compare, DagSpec, Op};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Input,
    /// A call of a host or manifest module.
    Module,
    /// Everything computed in place: operators, standard-library calls, branches.
    Operation,
    Output,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Input => "input",
            Kind::Module => "module",
            Kind::Operation => "operation",
            Kind::Output => "output",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    pub title: String,
    /// Lines shown on hover: the source, the type, the call's options.
    pub detail: Vec<String>,
    /// The node of the main graph it shows (none for an output).
    pub spec: Option<usize>,
    /// The output it shows, by index (none for the other kinds).
    pub output: Option<usize>,
    /// How much of the runs' time it took, when drawn with a profile.
    pub heat: Option<Heat>,
}

/// A node's share of a profile's time, drawn as its colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Heat {
    /// Its share of the time all nodes ran, 0 to 1.
    pub share: f64,
    /// Whether it lies on the critical path.
    pub critical: bool,
    /// Its timings, added to its details.
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<(usize, usize)>,
}

/// The graph of `spec`, compiled from `source`; `module(name)` says whether a function is a module.
pub fn graph(spec: &DagSpec, source: &str, module: &dyn Fn(&str) -> bool) -> Graph {
    let Some(main) = spec.graphs.first() else { return Graph::default() };
    let mut graph = Graph::default();
    // Node index in the main graph → index in the picture (none for constants).
    let mut at: Vec<Option<usize>> = vec![None; main.nodes.len()];
    for (i, node) in main.nodes.iter().enumerate() {
        if matches!(node.op, Op::Const(_)) {
            continue;
        }
        let function = |f: u32| spec.functions.get(f as usize).map_or("?", |f| f.name.as_str());
        let (kind, title, options) = match &node.op {
            Op::Input(k) => {
                (Kind::Input, format!("in {}", spec.inputs.get(*k as usize).map_or("?", |i| i.name.as_str())), None)
            }
            Op::Call(call) => {
                let name = function(call.function);
                let kind = if module(name) { Kind::Module } else { Kind::Operation };
                (kind, short(name).to_string(), Some(&call.options))
            }
            Op::HigherOrder { call, .. } => {
                (Kind::Operation, short(function(call.function)).to_string(), Some(&call.options))
            }
            // A field reads best as the source writes it: `lead.visits`.
            Op::Field { .. } | Op::Project { .. } => (Kind::Operation, clip(snippet(source, node.span), 24), None),
            // An Int promoted to Float (SPEC §5.7): named by what it becomes.
            Op::Convert { .. } => {
                let ty = spec.types.get(node.ty as usize).map_or("?".to_string(), |t| t.to_string());
                (Kind::Operation, clip(&format!("as {ty}"), 24), None)
            }
            op => (Kind::Operation, operation(op), None),
        };
        let mut detail = Vec::new();
        let snippet = snippet(source, node.span);
        if !snippet.is_empty() {
            detail.push(format!("line {}: {}", node.line, clip(snippet, 80)));
        }
        if let Some(ty) = spec.types.get(node.ty as usize) {
            detail.push(format!("type {ty}"));
        }
        detail.extend(options.map(options_text).unwrap_or_default());
        at[i] = Some(graph.nodes.len());
        for input in &node.inputs {
            if let Some(from) = at.get(*input as usize).copied().flatten() {
                graph.edges.push((from, graph.nodes.len()));
            }
        }
        graph.nodes.push(Node { kind, title, detail, spec: Some(i), output: None, heat: None });
    }
    for (k, output) in spec.outputs.iter().enumerate() {
        let ty = spec.types.get(output.ty as usize).map(|t| format!("type {t}")).into_iter().collect();
        let title = format!("out {}", output.name);
        let node = Node { kind: Kind::Output, title, detail: ty, spec: None, output: Some(k), heat: None };
        if let Some(from) = at.get(output.node as usize).copied().flatten() {
            graph.edges.push((from, graph.nodes.len()));
        }
        graph.nodes.push(node);
    }
    graph
}

/// The source text of a node's span.
fn snippet(source: &str, (start, end): (u32, u32)) -> &str {
    source.get(start as usize..end as usize).unwrap_or("").trim()
}

/// `text.shout` → `shout`.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.chars().count() > max {
        true => format!("{}…", one_line.chars().take(max - 1).collect::<String>()),
        false => one_line,
    }
}

/// The title of an inline operation.
fn operation(op: &Op) -> String {
    let text = match op {
        Op::Arith(a) => match a {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
        },
        Op::Compare(c) => match c {
            Compare::Eq => "==",
            Compare::Ne => "!=",
            Compare::Lt => "<",
            Compare::Gt => ">",
            Compare::Le => "<=",
            Compare::Ge => ">=",
        },
        Op::Neg => "-x",
        Op::Not => "not",
        Op::And(_) => "and",
        Op::Or(_) => "or",
        Op::If { .. } => "if",
        Op::Branch { .. } => "branch",
        Op::Guard(_) => "when",
        Op::Coalesce(_) => "??",
        Op::Match(_) => "match",
        Op::Interp(_) => "interpolate",
        Op::Concat => "++",
        Op::Merge { .. } => "merge",
        Op::Field { .. } => "field",
        Op::Project { .. } => "project",
        Op::List => "list",
        Op::Record { .. } => "record",
        Op::Lazy(_) => "lazy",
        _ => "op",
    };
    text.to_string()
}

/// The options of a call as the language writes them.
fn options_text(o: &CallOptions) -> Vec<String> {
    let ms = |n: u64| format!("{n}ms");
    let mut out = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push(format!("{name}: {v}"));
        }
    };
    add("retry", o.retry.map(|n| n.to_string()));
    add("timeout", o.timeout_ms.map(ms));
    add("delay", o.delay_ms.map(ms));
    add("backoff", o.backoff.as_ref().map(|b| format!("{b:?}").to_lowercase()));
    add("cache", o.cache_ms.map(ms));
    add("cache_backend", o.cache_backend.clone());
    add("throttle", o.throttle.map(|(n, per)| format!("{n}/{per}ms")));
    add("concurrency", o.concurrency.map(|n| n.to_string()));
    add("on_error", o.on_error.as_ref().map(|e| format!("{e:?}").to_lowercase()));
    add("priority", o.priority.map(|n| n.to_string()));
    add("batch", o.batch.map(|n| n.to_string()));
    add("batch_timeout", o.batch_timeout_ms.map(ms));
    out
}

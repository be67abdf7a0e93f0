//! Human-readable forms of a DagSpec: `render` (text, for `asterism compile --emit ir|dag`) and
//! `dot` (Graphviz, for `--emit dot`).

use super::{Const, DagSpec, InterpPart, Node, Op};
use std::fmt::Write;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn operation(spec: &DagSpec, op: &Op) -> String {
    let name = |f: u32| spec.functions.get(f as usize).map_or("?", |f| f.name.as_str());
    match op {
        Op::Input(i) => format!("input {}", spec.inputs.get(*i as usize).map_or("?", |i| i.name.as_str())),
        Op::Param(i) => format!("param {i}"),
        Op::Capture(i) => format!("capture {i}"),
        Op::Const(Const::Str(s)) => format!("const {s:?}"),
        Op::Const(Const::Int(n)) => format!("const {n}"),
        Op::Const(Const::Float(x)) => format!("const {x:?}"),
        Op::Const(Const::Bool(b)) => format!("const {b}"),
        Op::Call(c) => {
            let mut s = format!("call {}", name(c.function));
            if !c.options.is_default() {
                let _ = write!(s, " with {:?}", c.options);
            }
            if let Some(g) = c.fallback {
                let _ = write!(s, " fallback g{g}");
            }
            s
        }
        Op::HigherOrder { call, lambda, .. } => format!("call {} lambda g{lambda}", name(call.function)),
        Op::Field { index, lifted } => format!("field {index}{}", if *lifted { " each" } else { "" }),
        Op::Project { indices, lifted } => format!("project {indices:?}{}", if *lifted { " each" } else { "" }),
        Op::List => "list".into(),
        Op::Record { layout } => format!("record {layout:?}"),
        Op::Neg => "neg".into(),
        Op::Not => "not".into(),
        Op::Arith(a) => format!("{a:?}").to_lowercase(),
        Op::Concat => "concat".into(),
        Op::Merge { shape, fields } => format!("merge {shape:?} {fields:?}"),
        Op::Compare(c) => format!("{c:?}").to_lowercase(),
        Op::And(g) => format!("and g{g}"),
        Op::Or(g) => format!("or g{g}"),
        Op::If { then, otherwise } => format!("if then g{then} else g{otherwise}"),
        Op::Branch { conditions, arms, otherwise } => {
            format!("branch conditions {conditions:?} arms {arms:?} otherwise g{otherwise}")
        }
        Op::Guard(g) => format!("guard g{g}"),
        Op::Coalesce(g) => format!("coalesce g{g}"),
        Op::Lazy(g) => format!("lazy g{g}"),
        Op::Match(cases) => {
            let cases: Vec<String> =
                cases.iter().map(|c| format!("{:?} {:?} -> g{}", c.members, c.bindings, c.body)).collect();
            format!("match {}", cases.join(", "))
        }
        Op::Interp(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    InterpPart::Text(t) => format!("{t:?}"),
                    InterpPart::Value(i) => format!("${{{i}}}"),
                })
                .collect();
            format!("interp {}", parts.join(" "))
        }
        Op::Convert { from } => {
            format!("convert from {}", spec.types.get(*from as usize).map_or("?".into(), |t| t.to_string()))
        }
    }
}

/// `n5 = if(n4) then g1 else g2 : Int  @4`: the arguments follow the operation's name (for calls,
/// the function's name).
fn node_line(spec: &DagSpec, i: usize, node: &Node) -> String {
    let inputs: Vec<String> = node.inputs.iter().map(|n| format!("n{n}")).collect();
    let ty = spec.types.get(node.ty as usize).map_or("?".into(), |t| t.to_string());
    let args = if inputs.is_empty() { String::new() } else { format!("({})", inputs.join(", ")) };
    let op = operation(spec, &node.op);
    let words = if matches!(node.op, Op::Call(_) | Op::HigherOrder { .. }) { 2 } else { 1 };
    let split = op.match_indices(' ').nth(words - 1).map_or(op.len(), |(at, _)| at);
    let (head, tail) = op.split_at(split);
    format!("  n{i} = {head}{args}{tail} : {ty}  @{}", node.line)
}

/// The DagSpec as text: header, inputs, outputs, then each graph's nodes.
pub fn render(spec: &DagSpec) -> String {
    let mut out = format!("dag {} (format {})\n", hex(&spec.hash()), spec.version);
    for i in &spec.inputs {
        let _ = writeln!(out, "in {}: {}", i.name, spec.types.get(i.ty as usize).map_or("?".into(), |t| t.to_string()));
    }
    for o in &spec.outputs {
        let _ = writeln!(out, "out {} = n{}", o.name, o.node);
    }
    for (g, graph) in spec.graphs.iter().enumerate() {
        if g == 0 {
            let _ = writeln!(out, "graph 0 (main):");
        } else {
            let captures: Vec<String> = graph.captures.iter().map(|c| format!("n{c}")).collect();
            let _ = writeln!(
                out,
                "graph {g} (params {}, captures [{}], result n{}):",
                graph.params,
                captures.join(", "),
                graph.result
            );
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            out.push_str(&node_line(spec, i, node));
            out.push('\n');
        }
    }
    out
}

/// The DagSpec as a Graphviz digraph: one cluster per graph, captures as dashed edges.
pub fn dot(spec: &DagSpec) -> String {
    let mut out = String::from("digraph dag {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
    let mut parent = vec![0usize; spec.graphs.len()];
    for (g, graph) in spec.graphs.iter().enumerate() {
        for c in graph.nodes.iter().flat_map(|n| n.op.graphs()) {
            if let Some(p) = parent.get_mut(c as usize) {
                *p = g;
            }
        }
    }
    for (g, graph) in spec.graphs.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{g} {{\n    label=\"graph {g}\";");
        for (i, node) in graph.nodes.iter().enumerate() {
            let label = operation(spec, &node.op).replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "    g{g}n{i} [label=\"{label}\"];");
            for input in &node.inputs {
                let _ = writeln!(out, "    g{g}n{input} -> g{g}n{i};");
            }
            if let Op::Capture(k) = node.op
                && let Some(src) = graph.captures.get(k as usize)
            {
                let _ = writeln!(out, "    g{}n{src} -> g{g}n{i} [style=dashed];", parent[g]);
            }
        }
        out.push_str("  }\n");
    }
    for o in &spec.outputs {
        let _ = writeln!(out, "  \"out {}\" [shape=ellipse];\n  g0n{} -> \"out {}\";", o.name, o.node, o.name);
    }
    out.push_str("}\n");
    out
}

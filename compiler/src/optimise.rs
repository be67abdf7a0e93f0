//! The optimising stage: IR → IR with constants folded and pure duplicates merged.
//!
//! Only *pure* nodes are touched: nodes that can neither fail nor have effects (literals, field
//! access, projection, list and record construction, comparisons, Boolean `not`, Float
//! arithmetic, concatenation, interpolation, conversions). So a failure still happens, once, at the
//! expression that fails, and every call runs as often as the source says (SPEC §7.1).
//! - Constant folding replaces an operation on literals by its value, unless evaluating it would
//!   fail (`1 / 0` stays and fails at run time).
//! - Common-subexpression elimination merges identical pure nodes within a graph.
//!
//! `plan` then drops the nodes nothing needs and compacts the graphs.

use asterism_registry::dag::{Arith, Compare, Const, DagSpec, InterpPart, MergeShape, NodeId, Op};
use asterism_registry::{Type, text};
use std::collections::HashMap;

pub fn optimise(spec: &mut DagSpec) {
    for g in 0..spec.graphs.len() {
        fold(spec, g);
    }
    for g in 0..spec.graphs.len() {
        merge_duplicates(spec, g);
    }
}

/// Whether a node can fail or have an effect by itself (its sub-graphs are judged separately).
pub fn may_fail(op: &Op, ty: &Type) -> bool {
    match op {
        Op::Call(_) | Op::HigherOrder { .. } => true,
        Op::Arith(_) | Op::Neg => *ty == Type::Int,
        Op::Merge { shape, .. } => *shape == MergeShape::Lists,
        _ => false,
    }
}

/// Pure operations that CSE may merge: they cannot fail and run no graph.
fn mergeable(op: &Op, ty: &Type) -> bool {
    op.graphs().is_empty() && !may_fail(op, ty) && !matches!(op, Op::Input(_) | Op::Param(_) | Op::Capture(_))
}

/// The longest string constant folding makes.
const MAX_FOLDED_STRING: usize = 4096;

fn fold(spec: &mut DagSpec, g: usize) {
    for i in 0..spec.graphs[g].nodes.len() {
        let node = &spec.graphs[g].nodes[i];
        let consts: Option<Vec<&Const>> = node
            .inputs
            .iter()
            .map(|&n| match &spec.graphs[g].nodes[n as usize].op {
                Op::Const(c) => Some(c),
                _ => None,
            })
            .collect();
        let Some(consts) = consts else { continue };
        let ty = &spec.types[node.ty as usize];
        let folded = match (&node.op, &consts[..]) {
            (Op::Neg, [Const::Int(n)]) => n.checked_neg().map(Const::Int),
            (Op::Neg, [Const::Float(x)]) => Some(Const::Float(-x)),
            (Op::Not, [Const::Bool(b)]) => Some(Const::Bool(!b)),
            (Op::Arith(op), [Const::Int(a), Const::Int(b)]) => int_arith(*op, *a, *b).map(Const::Int),
            (Op::Arith(op), [Const::Float(a), Const::Float(b)]) => Some(Const::Float(float_arith(*op, *a, *b))),
            // Only short strings: doubling a constant n times is 2^n bytes, which a run then
            // builds under its budget instead of the compiler without one.
            (Op::Concat, [Const::Str(a), Const::Str(b)]) if a.len() + b.len() <= MAX_FOLDED_STRING => {
                Some(Const::Str(format!("{a}{b}")))
            }
            (Op::Compare(op), [a, b]) => compare(*op, a, b).map(Const::Bool),
            (Op::Convert { from }, [Const::Int(n)])
                if spec.types[*from as usize] == Type::Int && *ty == Type::Float =>
            {
                Some(Const::Float(*n as f64))
            }
            (Op::Interp(parts), _) => Some(Const::Str(interpolate(parts, &consts))),
            (Op::And(_), [Const::Bool(false)]) => Some(Const::Bool(false)),
            (Op::Or(_), [Const::Bool(true)]) => Some(Const::Bool(true)),
            _ => None,
        };
        if let Some(c) = folded {
            let node = &mut spec.graphs[g].nodes[i];
            node.op = Op::Const(c);
            node.inputs.clear();
        }
    }
}

fn int_arith(op: Arith, a: i64, b: i64) -> Option<i64> {
    match op {
        Arith::Add => a.checked_add(b),
        Arith::Sub => a.checked_sub(b),
        Arith::Mul => a.checked_mul(b),
        Arith::Div => a.checked_div(b),
        Arith::Rem => a.checked_rem(b),
    }
}

fn float_arith(op: Arith, a: f64, b: f64) -> f64 {
    match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
        Arith::Rem => a % b,
    }
}

fn compare(op: Compare, a: &Const, b: &Const) -> Option<bool> {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Const::Int(x), Const::Int(y)) => Some(x.cmp(y)),
        (Const::Float(x), Const::Float(y)) => x.partial_cmp(y),
        (Const::Str(x), Const::Str(y)) => Some(x.cmp(y)),
        (Const::Bool(x), Const::Bool(y)) => Some(x.cmp(y)),
        _ => return None,
    };
    Some(match (op, ord) {
        (Compare::Ne, ord) => ord != Some(Ordering::Equal),
        (_, None) => false,
        (Compare::Eq, Some(o)) => o == Ordering::Equal,
        (Compare::Lt, Some(o)) => o == Ordering::Less,
        (Compare::Gt, Some(o)) => o == Ordering::Greater,
        (Compare::Le, Some(o)) => o != Ordering::Greater,
        (Compare::Ge, Some(o)) => o != Ordering::Less,
    })
}

fn interpolate(parts: &[InterpPart], consts: &[&Const]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            InterpPart::Text(s) => out.push_str(s),
            InterpPart::Value(i) => match consts[*i as usize] {
                Const::Int(n) => out.push_str(&n.to_string()),
                Const::Float(x) => text::float(*x, &mut out),
                Const::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Const::Str(s) => out.push_str(s),
            },
        }
    }
    out
}

/// Merges identical mergeable nodes of graph `g`: later duplicates are replaced by the first.
fn merge_duplicates(spec: &mut DagSpec, g: usize) {
    let mut first: HashMap<(Vec<u8>, Vec<NodeId>, u32), NodeId> = HashMap::new();
    let mut remap: Vec<NodeId> = (0..spec.graphs[g].nodes.len() as NodeId).collect();
    for i in 0..spec.graphs[g].nodes.len() {
        let node = &mut spec.graphs[g].nodes[i];
        for input in &mut node.inputs {
            *input = remap[*input as usize];
        }
        if !mergeable(&node.op, &spec.types[node.ty as usize]) {
            continue;
        }
        let key = (postcard::to_stdvec(&node.op).unwrap_or_default(), node.inputs.clone(), node.ty);
        remap[i] = *first.entry(key).or_insert(i as NodeId);
    }
    if remap.iter().enumerate().all(|(i, &r)| i as NodeId == r) {
        return;
    }
    let graph = &mut spec.graphs[g];
    graph.result = remap[graph.result as usize];
    let children: Vec<u32> = graph.nodes.iter().flat_map(|n| n.op.graphs()).collect();
    for c in children {
        for capture in &mut spec.graphs[c as usize].captures {
            *capture = remap[*capture as usize];
        }
    }
    if g == 0 {
        for o in &mut spec.outputs {
            o.node = remap[o.node as usize];
        }
    }
}

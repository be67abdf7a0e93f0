//! Fixture tests of lowering, optimisation and planning.
//!
//! Every `plan/*.cst` compiles; its snapshot shows the source and the planned DagSpec as text.
//! Every planned DagSpec passes `validate` (nodes topologically ordered, references in range) and
//! hashes the same when compiled twice. The tests below pin what the optimiser may and may not do.

use asterism_compiler::{compile, ir};
use asterism_registry::Registry;
use asterism_registry::dag::{Const, DagSpec, Op, text};

fn planned(src: &str) -> DagSpec {
    compile(src, &Registry::standard()).unwrap_or_else(|d| panic!("{d:?}")).spec.clone()
}

fn main_ops(spec: &DagSpec) -> Vec<&Op> {
    spec.graphs[0].nodes.iter().map(|n| &n.op).collect()
}

#[test]
fn plan_fixtures() {
    insta::glob!("plan/*.cst", |path| {
        let src = std::fs::read_to_string(path).unwrap();
        let first = compile(&src, &Registry::standard()).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
        let second = compile(&src, &Registry::standard()).unwrap();
        assert_eq!(first.hash, second.hash, "{}: the hash is stable", path.display());
        first.spec.validate().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ir(&src, &Registry::standard()).unwrap().validate().unwrap();
        insta::assert_snapshot!(format!("{src}\n---- dag ----\n{}", text::render(&first.spec)));
    });
}

#[test]
fn constants_fold_unless_evaluating_them_fails() {
    let spec = planned("x = 1 + 2 * 3\ny = 7 / 0\nz = \"n=${x}\"\nout x\nout y\nout z\n");
    let consts: Vec<&Op> = main_ops(&spec).into_iter().filter(|op| matches!(op, Op::Const(_))).collect();
    assert!(consts.contains(&&Op::Const(Const::Int(7))));
    assert!(consts.contains(&&Op::Const(Const::Str("n=7".into()))));
    assert!(main_ops(&spec).iter().any(|op| matches!(op, Op::Arith(_))), "7 / 0 stays and fails at run time");
}

#[test]
fn only_pure_nodes_are_merged() {
    let spec =
        planned("in r: {a: Int}\nin s: String\nx = r.a + r.a\nu = upper(s)\nv = upper(s)\nout x\nout u\nout v\n");
    let fields = main_ops(&spec).iter().filter(|op| matches!(op, Op::Field { .. })).count();
    let calls = main_ops(&spec).iter().filter(|op| matches!(op, Op::Call(_))).count();
    assert_eq!(fields, 1, "identical field accesses are one node");
    assert_eq!(calls, 2, "two calls stay two calls");
}

#[test]
fn unused_assignments_are_dropped_only_when_they_cannot_fail() {
    let spec = planned("in r: {a: Int}\nin b: Int\nunused = r.a\nrisky = 10 / b\nok = 1\nout ok\n");
    let ops = main_ops(&spec);
    assert!(!ops.iter().any(|op| matches!(op, Op::Field { .. })), "an unused field access goes");
    assert!(ops.iter().any(|op| matches!(op, Op::Arith(_))), "an unused division stays: it may fail");
}

#[test]
fn deferred_parts_and_lambdas_are_graphs_with_captures() {
    let spec =
        planned("in xs: List<Int>\nin k: Int\nys = map(xs, x => x * k)\nz = if (k > 0) 1 else 10 / k\nout ys\nout z\n");
    assert_eq!(spec.graphs.len(), 4, "main, the lambda, and the two arms");
    let lambda = spec.graphs.iter().find(|g| g.params == 1).unwrap();
    assert_eq!(lambda.captures.len(), 1, "the lambda captures k");
}

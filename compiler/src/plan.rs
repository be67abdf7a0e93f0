//! The planning stage: optimised IR → the final DagSpec.
//!
//! Keeps exactly the nodes a run needs: every output, every node that can fail or have an effect
//! in the main graph (each assignment is evaluated once per run, SPEC §7.1) — reading a lazy
//! call's value is one, since it runs the call — and everything those depend on, including the
//! values deferred graphs capture. Unneeded pure nodes and the graphs
//! only they ran are dropped; nodes, captures and graphs are renumbered, keeping order, so every
//! graph stays topologically sorted.

use crate::optimise::may_fail;
use asterism_registry::dag::{DagSpec, Graph, GraphId, NodeId, Op};

pub fn plan(spec: DagSpec) -> DagSpec {
    let n = spec.graphs.len();
    // A graph is always built after the graph it is nested in: its id is larger.
    let mut parent = vec![0usize; n];
    for (g, graph) in spec.graphs.iter().enumerate() {
        for node in &graph.nodes {
            for c in node.op.graphs() {
                parent[c as usize] = g;
            }
        }
    }
    let mut fails = vec![false; n];
    for g in (0..n).rev() {
        fails[g] = spec.graphs[g].nodes.iter().any(|node| {
            may_fail(&node.op, &spec.types[node.ty as usize]) || node.op.graphs().iter().any(|&c| fails[c as usize])
        });
    }

    let mut live: Vec<Vec<bool>> = spec.graphs.iter().map(|g| vec![false; g.nodes.len()]).collect();
    let mut work: Vec<(usize, NodeId)> = spec.outputs.iter().map(|o| (0, o.node)).collect();
    // A lazy call runs when demanded: evaluating an assignment that reads it is an effect.
    let main = &spec.graphs[0];
    let lazy = |n: &NodeId| main.nodes.get(*n as usize).is_some_and(|m| m.op.is_lazy());
    for (i, node) in main.nodes.iter().enumerate() {
        let effect = may_fail(&node.op, &spec.types[node.ty as usize])
            || node.op.graphs().iter().any(|&c| fails[c as usize] || spec.graphs[c as usize].captures.iter().any(lazy))
            || node.inputs.iter().any(lazy);
        if effect {
            work.push((0, i as NodeId));
        }
    }
    while let Some((g, i)) = work.pop() {
        if std::mem::replace(&mut live[g][i as usize], true) {
            continue;
        }
        let node = &spec.graphs[g].nodes[i as usize];
        work.extend(node.inputs.iter().map(|&input| (g, input)));
        for c in node.op.graphs() {
            work.push((c as usize, spec.graphs[c as usize].result));
        }
        if let Op::Capture(k) = node.op {
            work.push((parent[g], spec.graphs[g].captures[k as usize]));
        }
    }

    // Renumber graphs (the main graph and every graph whose result is needed), then nodes.
    let keep_graph: Vec<bool> = (0..n).map(|g| g == 0 || live[g][spec.graphs[g].result as usize]).collect();
    let mut graph_id = vec![GraphId::MAX; n];
    let mut next = 0;
    for g in 0..n {
        if keep_graph[g] {
            graph_id[g] = next;
            next += 1;
        }
    }
    let node_id: Vec<Vec<NodeId>> = live
        .iter()
        .map(|graph| {
            let mut next = 0;
            graph
                .iter()
                .map(|&l| {
                    let id = if l { next } else { NodeId::MAX };
                    next += u32::from(l);
                    id
                })
                .collect()
        })
        .collect();

    let DagSpec { version, types, functions, graphs, inputs, outputs } = spec;
    let mut planned: Vec<Graph> = Vec::with_capacity(next as usize);
    for (g, graph) in graphs.into_iter().enumerate() {
        if !keep_graph[g] {
            continue;
        }
        // Captures whose node survives, in order, re-pointed at the parent's new numbering.
        let mut capture_id = vec![u32::MAX; graph.captures.len()];
        let mut captures = Vec::new();
        for node in graph.nodes.iter().enumerate().filter(|(i, _)| live[g][*i]).map(|(_, n)| n) {
            if let Op::Capture(k) = node.op {
                capture_id[k as usize] = captures.len() as u32;
                captures.push(node_id[parent[g]][graph.captures[k as usize] as usize]);
            }
        }
        let ids = &node_id[g];
        let nodes = graph
            .nodes
            .into_iter()
            .enumerate()
            .filter(|(i, _)| live[g][*i])
            .map(|(_, mut node)| {
                for input in &mut node.inputs {
                    *input = ids[*input as usize];
                }
                renumber_graphs(&mut node.op, &graph_id);
                if let Op::Capture(k) = &mut node.op {
                    *k = capture_id[*k as usize];
                }
                node
            })
            .collect();
        let result = if g == 0 { 0 } else { ids[graph.result as usize] };
        planned.push(Graph { captures, params: graph.params, nodes, result });
    }
    let outputs = outputs
        .into_iter()
        .map(|mut o| {
            o.node = node_id[0][o.node as usize];
            o
        })
        .collect();
    DagSpec { version, types, functions, graphs: planned, inputs, outputs }
}

fn renumber_graphs(op: &mut Op, graph_id: &[GraphId]) {
    let map = |g: &mut GraphId| *g = graph_id[*g as usize];
    match op {
        Op::Call(c) => c.fallback.iter_mut().for_each(map),
        Op::HigherOrder { call, lambda, .. } => {
            map(lambda);
            call.fallback.iter_mut().for_each(map);
        }
        Op::And(g) | Op::Or(g) | Op::Guard(g) | Op::Coalesce(g) | Op::Lazy(g) => map(g),
        Op::If { then, otherwise } => {
            map(then);
            map(otherwise);
        }
        Op::Branch { conditions, arms, otherwise } => {
            conditions.iter_mut().chain(arms.iter_mut()).for_each(map);
            map(otherwise);
        }
        Op::Match(cases) => cases.iter_mut().for_each(|c| map(&mut c.body)),
        _ => {}
    }
}

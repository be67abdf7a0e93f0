//! The critical path of a profile: the chain of nodes, input to output, whose mean times per run
//! add up to the most — the runs cannot end sooner than it takes, whatever runs beside it.
//!
//! Takes: nodes in an order where every edge points forward (a DagSpec's order), each node's
//! weight, and the edges. Gives: the path's nodes, first to last, and its total weight (none when
//! nothing took time). One pass over the nodes in order (longest path in a DAG); between inputs
//! of equal weight the earlier wins.

pub fn longest(weights: &[f64], edges: &[(usize, usize)]) -> (Vec<usize>, f64) {
    let n = weights.len();
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(from, to) in edges {
        if from < to && to < n {
            incoming[to].push(from);
        }
    }
    let mut best = vec![0.0f64; n];
    let mut before: Vec<Option<usize>> = vec![None; n];
    for v in 0..n {
        let mut from: Option<usize> = None;
        for &u in &incoming[v] {
            if from.is_none_or(|f| best[u] > best[f]) {
                from = Some(u);
            }
        }
        best[v] = weights[v] + from.map_or(0.0, |u| best[u]);
        before[v] = from;
    }
    // The last of the heaviest ends, so that a path runs on to the output it feeds.
    let end = (0..n).reduce(|a, b| if best[b] >= best[a] { b } else { a });
    let Some(end) = end.filter(|&e| best[e] > 0.0) else { return (Vec::new(), 0.0) };
    let mut path = vec![end];
    while let Some(u) = before[*path.last().unwrap_or(&end)] {
        path.push(u);
    }
    path.reverse();
    (path, best[end])
}

#[cfg(test)]
mod tests {
    use super::longest;

    #[test]
    fn the_heaviest_chain_wins_not_the_longest_in_nodes() {
        // 0 → 1 → 2 → 4 (1 + 1 + 1 + 1) against 0 → 3 → 4 (1 + 5 + 1).
        let weights = [1.0, 1.0, 1.0, 5.0, 1.0];
        let edges = [(0, 1), (1, 2), (2, 4), (0, 3), (3, 4)];
        assert_eq!(longest(&weights, &edges), (vec![0, 3, 4], 7.0));
    }

    #[test]
    fn no_nodes_no_path_and_backward_edges_are_ignored() {
        assert_eq!(longest(&[], &[]), (vec![], 0.0));
        assert_eq!(longest(&[0.0, 0.0], &[(0, 1)]), (vec![], 0.0));
        // A free output after the heaviest node is still on its path.
        assert_eq!(longest(&[3.0, 0.0], &[(0, 1)]), (vec![0, 1], 3.0));
        assert_eq!(longest(&[2.0, 1.0], &[(1, 0)]), (vec![0], 2.0));
    }
}

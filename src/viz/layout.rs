//! A layered layout of a graph, drawn top to bottom without graphviz.
//!
//! Takes: a `Graph`. Gives: each node's box (x, y, width) and each edge's route, and the
//! picture's size. Guarantees: a node sits on the layer after the lowest of its inputs' (the
//! longest path from the inputs), outputs on the last layer; an edge that spans several layers
//! passes through a narrow virtual node on each layer between, so it goes around the nodes there,
//! not through them; within a layer, nodes are ordered by the mean place of their inputs (two
//! sweeps of the barycenter heuristic), so edges cross little; deterministic.

use super::model::{Graph, Kind};

pub const HEIGHT: f64 = 36.0;
const LAYER_GAP: f64 = 56.0;
const GAP: f64 = 24.0;
const MARGIN: f64 = 16.0;
/// The width of a character of the monospace font at 12px, and of a virtual node.
const CHAR: f64 = 7.3;
const VIRTUAL: f64 = 8.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub x: f64,
    pub y: f64,
    pub width: f64,
}

#[derive(Clone, Debug)]
pub struct Layout {
    /// The boxes of the graph's nodes.
    pub places: Vec<Place>,
    /// Each edge's path: its start (under its source), the top and bottom of each virtual node it
    /// passes, its end (above its target).
    pub routes: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

pub fn layout(graph: &Graph) -> Layout {
    let n = graph.nodes.len();
    let mut layer = vec![0usize; n];
    // Edges always go from an earlier node to a later one, so one pass in order sets the layers.
    let mut inputs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, to) in &graph.edges {
        inputs[*to].push(*from);
    }
    for i in 0..n {
        layer[i] = inputs[i].iter().map(|f| layer[*f] + 1).max().unwrap_or(0);
    }
    let last = (0..n).filter(|i| graph.nodes[*i].kind != Kind::Output).map(|i| layer[i]).max().unwrap_or(0);
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.kind == Kind::Output {
            layer[i] = last + 1;
        }
    }
    // Virtual nodes: items n.. stand on the layers a long edge crosses; `above[i]` are the items
    // feeding item i from the layer above.
    let mut width: Vec<f64> =
        graph.nodes.iter().map(|node| (node.title.chars().count().max(6) as f64) * CHAR + 24.0).collect();
    let mut above: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(graph.edges.len());
    for (from, to) in &graph.edges {
        let mut chain = Vec::new();
        let mut previous = *from;
        for l in layer[*from] + 1..layer[*to] {
            let v = layer.len();
            layer.push(l);
            width.push(VIRTUAL);
            above.push(vec![previous]);
            chain.push(v);
            previous = v;
        }
        above[*to].push(previous);
        chains.push(chain);
    }
    let items = layer.len();
    let layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for i in 0..items {
        rows[layer[i]].push(i);
    }
    let mut position = vec![0f64; items];
    for _ in 0..2 {
        for row in rows.iter_mut() {
            let key = |i: &usize| match above[*i].is_empty() {
                true => position[*i],
                false => above[*i].iter().map(|f| position[*f]).sum::<f64>() / above[*i].len() as f64,
            };
            let mut keyed: Vec<(f64, usize)> = row.iter().map(|i| (key(i), *i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            *row = keyed.into_iter().map(|(_, i)| i).collect();
            for (k, i) in row.iter().enumerate() {
                position[*i] = k as f64;
            }
        }
    }
    let row_width =
        |row: &[usize]| row.iter().map(|i| width[*i]).sum::<f64>() + GAP * row.len().saturating_sub(1) as f64;
    let widest = rows.iter().map(|r| row_width(r)).fold(0.0, f64::max);
    let mut places = vec![Place { x: 0.0, y: 0.0, width: 0.0 }; items];
    for (l, row) in rows.iter().enumerate() {
        let mut x = MARGIN + (widest - row_width(row)) / 2.0;
        for i in row {
            places[*i] = Place { x, y: MARGIN + l as f64 * (HEIGHT + LAYER_GAP), width: width[*i] };
            x += width[*i] + GAP;
        }
    }
    let centre = |p: Place| p.x + p.width / 2.0;
    let routes = graph
        .edges
        .iter()
        .zip(&chains)
        .map(|((from, to), chain)| {
            let (a, b) = (places[*from], places[*to]);
            let mut route = vec![(centre(a), a.y + HEIGHT)];
            for v in chain {
                route.push((centre(places[*v]), places[*v].y));
                route.push((centre(places[*v]), places[*v].y + HEIGHT));
            }
            route.push((centre(b), b.y));
            route
        })
        .collect();
    places.truncate(n);
    let height = 2.0 * MARGIN + layers as f64 * HEIGHT + layers.saturating_sub(1) as f64 * LAYER_GAP;
    Layout { places, routes, width: widest + 2.0 * MARGIN, height }
}

//! Pictures of a pipeline (`asterism viz`): its DAG as SVG, a self-contained HTML page, Mermaid
//! or DOT, drawn without graphviz.
//!
//! Takes: a compiled pipeline, its source, its engine's registry (which calls are modules), and
//! optionally each node's share of a profile's time (`Heat`, from `profile::Report::heat`).
//! Gives: the picture's text (DOT is the DagSpec's own and carries no timings). Floors: `model` (what is shown) → `layout` (where) → `draw` → this
//! face.

mod draw;
mod layout;
pub(crate) mod model;

pub use model::Heat;

use crate::{Engine, Pipeline};

/// The formats of a picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Html,
    Mermaid,
    Dot,
}

impl Format {
    pub fn parse(name: &str) -> Result<Format, String> {
        match name.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "html" | "htm" => Ok(Format::Html),
            "mermaid" | "mmd" => Ok(Format::Mermaid),
            "dot" | "gv" => Ok(Format::Dot),
            _ => Err(format!("unknown format '{name}': expected svg, html, mermaid or dot")),
        }
    }
}

/// How hot each node was in a profile (`profile::Report`).
pub trait Heats {
    /// Node `node` of the main graph.
    fn node(&self, node: usize) -> Option<Heat>;
    /// Output `output`, by index (it takes no time, but may end the critical path).
    fn output(&self, output: usize) -> Option<Heat>;
}

/// The picture of `pipeline` (compiled by `engine` from `source`, named `name`) in `format`,
/// coloured by `heats` when given.
pub fn draw(
    engine: &Engine,
    pipeline: &Pipeline,
    name: &str,
    source: &str,
    format: Format,
    heats: Option<&dyn Heats>,
) -> String {
    let graph = || {
        let mut graph = graph(engine, pipeline, source);
        if let Some(heats) = heats {
            for node in &mut graph.nodes {
                node.heat = node.spec.and_then(|i| heats.node(i)).or_else(|| heats.output(node.output?));
            }
        }
        graph
    };
    match format {
        Format::Dot => asterism_registry::dag::text::dot(pipeline.spec()),
        Format::Mermaid => draw::mermaid(&graph()),
        Format::Svg => {
            let graph = graph();
            draw::svg(&graph, &layout::layout(&graph))
        }
        Format::Html => {
            let graph = graph();
            draw::html(name, &graph, &layout::layout(&graph))
        }
    }
}

/// What a picture of `pipeline` shows.
pub(crate) fn graph(engine: &Engine, pipeline: &Pipeline, source: &str) -> model::Graph {
    let registry = engine.registry();
    let module = |f: &str| registry.get(f).is_some_and(|f| !f.verified && f.module.is_some());
    model::graph(pipeline.spec(), source, &module)
}

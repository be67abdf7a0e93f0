//! Pictures of a pipeline (`asterism viz`): its DAG as SVG, a self-contained HTML page, Mermaid
//! or DOT, drawn without graphviz.
//!
//! Takes: a compiled pipeline, its source, and its engine's registry (which calls are modules).
//! Gives: the picture's text. Floors: `model` (what is shown) → `layout` (where) → `draw` → this
//! face.

mod draw;
mod layout;
mod model;

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

/// The picture of `pipeline` (compiled by `engine` from `source`, named `name`) in `format`.
pub fn draw(engine: &Engine, pipeline: &Pipeline, name: &str, source: &str, format: Format) -> String {
    let registry = engine.registry();
    let module = |f: &str| registry.get(f).is_some_and(|f| !f.verified && f.module.is_some());
    let graph = || model::graph(pipeline.spec(), source, &module);
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

//! The pictures: SVG (the layout drawn), a self-contained HTML page around it, Mermaid and DOT.
//!
//! Takes: a `Graph` and its `Layout`. Gives: text in each format. Guarantees: the SVG is
//! well-formed XML with every text escaped; nodes carry their kind as a class (`input`, `module`,
//! `operation`, `output`) and their details as a `<title>` (a tooltip) and `data-detail`; the
//! HTML page needs nothing from the network. Drawn with a profile, each node's fill goes from
//! white to red with its share of the time, and the critical path is outlined in red.

use super::layout::{HEIGHT, Layout};
use super::model::{Graph, Kind};
use std::fmt::Write;

const STYLE: &str = "\
.node rect{stroke-width:1.5}\
.input rect{fill:#e8f1ff;stroke:#3b6fd8}\
.module rect{fill:#fff3e0;stroke:#e08a00}\
.operation rect{fill:#f4f4f5;stroke:#8a8a93}\
.output rect{fill:#e7f8ef;stroke:#17915a}\
.edge{fill:none;stroke:#6b6b75;stroke-width:1.2}\
.critical rect{stroke:#c0162b;stroke-width:3}\
.edge.critical{stroke:#c0162b;stroke-width:2.4}\
text{fill:#1d1d22}";

/// Text safe inside XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn svg(graph: &Graph, layout: &Layout) -> String {
    let (w, h) = (layout.width.ceil(), layout.height.ceil());
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"monospace\" font-size=\"12\">\n<style>{STYLE}</style>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"8\" markerHeight=\"8\" \
         markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#6b6b75\"/></marker></defs>\n<g class=\"edges\">\n"
    );
    let critical = |i: usize| graph.nodes[i].heat.as_ref().is_some_and(|h| h.critical);
    for (route, &(from, to)) in layout.routes.iter().zip(&graph.edges) {
        let class = if critical(from) && critical(to) { "edge critical" } else { "edge" };
        let _ = writeln!(out, "<path class=\"{class}\" d=\"{}\" marker-end=\"url(#arrow)\"/>", path(route));
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, (node, p)) in graph.nodes.iter().zip(&layout.places).enumerate() {
        let lines = node.heat.iter().flat_map(|h| &h.lines);
        let detail = escape(&node.detail.iter().chain(lines).cloned().collect::<Vec<_>>().join("\n"));
        let title = escape(&node.title);
        let rx = if node.kind == Kind::Operation { 4 } else { 12 };
        let (critical, fill) = match &node.heat {
            // An output takes no time: it keeps its colour.
            Some(h) if node.kind == Kind::Output => (if h.critical { " critical" } else { "" }, String::new()),
            Some(h) => (if h.critical { " critical" } else { "" }, format!(" style=\"fill:{}\"", heat_colour(h.share))),
            None => ("", String::new()),
        };
        let _ = writeln!(
            out,
            "<g class=\"node {}{critical}\" id=\"n{i}\" data-detail=\"{detail}\"><title>{title}\n{detail}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{HEIGHT}\" rx=\"{rx}\"{fill}/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{title}</text></g>",
            node.kind.class(),
            p.x,
            p.y,
            p.width,
            p.x + p.width / 2.0,
            p.y + HEIGHT / 2.0 + 4.0
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// White for no time, through amber, to red for all of it (by the square root of the share, so
/// that small shares still show).
fn heat_colour(share: f64) -> String {
    let t = share.clamp(0.0, 1.0).sqrt();
    let (from, mid, to) = ((255.0, 255.0, 255.0), (255.0, 196.0, 110.0), (214.0, 48.0, 39.0));
    let mix = |a: f64, b: f64, k: f64| (a + (b - a) * k).round() as u8;
    let (a, b, k) = if t < 0.5 { (from, mid, t * 2.0) } else { (mid, to, t * 2.0 - 1.0) };
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0, k), mix(a.1, b.1, k), mix(a.2, b.2, k))
}

/// An edge's path: a curve from each layer's bottom to the next one's top, straight down through
/// the virtual nodes between.
fn path(route: &[(f64, f64)]) -> String {
    let mut d = String::new();
    for (k, pair) in route.windows(2).enumerate() {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        if k == 0 {
            let _ = write!(d, "M{x1:.1},{y1:.1}");
        }
        match k % 2 {
            0 => {
                let mid = (y1 + y2) / 2.0;
                let _ = write!(d, " C{x1:.1},{mid:.1} {x2:.1},{mid:.1} {x2:.1},{y2:.1}");
            }
            _ => {
                let _ = write!(d, " L{x2:.1},{y2:.1}");
            }
        }
    }
    d
}

/// One page: the SVG, pan (drag) and zoom (wheel), and the details of the node under the pointer.
pub fn html(name: &str, graph: &Graph, layout: &Layout) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{margin:0;font:14px system-ui,sans-serif;display:flex;height:100vh}}
#view{{flex:1;overflow:hidden;cursor:grab;background:#fafafa}}
#view svg{{width:100%;height:100%}}
aside{{width:22em;padding:1em;border-left:1px solid #ddd;white-space:pre-wrap;font-family:monospace}}
.legend span{{display:inline-block;padding:0 .4em;margin:.1em;border-radius:4px}}
</style></head><body>
<div id="view">{svg}</div>
<aside><h3>{title}</h3><div class="legend"><span style="background:#e8f1ff">input</span><span style="background:#fff3e0">module call</span><span style="background:#f4f4f5">operation</span><span style="background:#e7f8ef">output</span></div>{profiled}<p id="details">Point at a node for its source, type and options. Drag to pan, wheel to zoom.</p></aside>
<script>
const svg = document.querySelector('#view svg');
const box = svg.viewBox.baseVal;
let drag = null;
svg.addEventListener('wheel', e => {{
  e.preventDefault();
  const k = e.deltaY > 0 ? 1.15 : 1 / 1.15;
  const r = svg.getBoundingClientRect();
  const px = box.x + (e.clientX - r.left) / r.width * box.width;
  const py = box.y + (e.clientY - r.top) / r.height * box.height;
  box.x = px - (px - box.x) * k; box.y = py - (py - box.y) * k;
  box.width *= k; box.height *= k;
}});
svg.addEventListener('mousedown', e => {{ drag = {{x: e.clientX, y: e.clientY}}; }});
window.addEventListener('mouseup', () => {{ drag = null; }});
window.addEventListener('mousemove', e => {{
  if (!drag) return;
  const r = svg.getBoundingClientRect();
  box.x -= (e.clientX - drag.x) / r.width * box.width;
  box.y -= (e.clientY - drag.y) / r.height * box.height;
  drag = {{x: e.clientX, y: e.clientY}};
}});
for (const node of svg.querySelectorAll('.node')) {{
  node.addEventListener('mouseenter', () => {{
    document.getElementById('details').textContent =
      node.querySelector('text').textContent + '\n\n' + node.dataset.detail;
  }});
}}
</script></body></html>
"#,
        title = escape(name),
        svg = svg(graph, layout),
        profiled = match graph.nodes.iter().any(|n| n.heat.is_some()) {
            true =>
                "<p>Coloured by each node's share of the profile's time, white to red; the critical path outlined in red.</p>",
            false => "",
        }
    )
}

/// A Mermaid flowchart: inputs as stadiums, module calls as boxes, operations rounded, outputs as
/// parallelograms, classes coloured as in the SVG.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let label = node.title.replace('"', "#quot;");
        let shape = match node.kind {
            Kind::Input => format!("([\"{label}\"])"),
            Kind::Module => format!("[\"{label}\"]"),
            Kind::Operation => format!("(\"{label}\")"),
            Kind::Output => format!("[/\"{label}\"/]"),
        };
        let _ = writeln!(out, "  n{i}{shape}:::{}", node.kind.class());
        match &node.heat {
            Some(h) if node.kind == Kind::Output && h.critical => {
                let _ = writeln!(out, "  style n{i} stroke:#c0162b,stroke-width:3px");
            }
            Some(h) if node.kind != Kind::Output => {
                let stroke = if h.critical { ",stroke:#c0162b,stroke-width:3px" } else { "" };
                let _ = writeln!(out, "  style n{i} fill:{}{stroke}", heat_colour(h.share));
            }
            _ => {}
        }
    }
    for (from, to) in &graph.edges {
        let _ = writeln!(out, "  n{from} --> n{to}");
    }
    out.push_str(
        "  classDef input fill:#e8f1ff,stroke:#3b6fd8\n  classDef module fill:#fff3e0,stroke:#e08a00\n  \
         classDef operation fill:#f4f4f5,stroke:#8a8a93\n  classDef output fill:#e7f8ef,stroke:#17915a\n",
    );
    out
}

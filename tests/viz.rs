//! `asterism viz`: Mermaid and SVG pictures of a pipeline (snapshots), an SVG that parses as XML
//! with a node per input, call, operation and output and an edge per dependency, module calls
//! styled apart from the standard library's, the HTML page around it, and the command's formats.

use asterism::Engine;
use asterism::viz::{self, Format};

const SOURCE: &str = "in name: String\nin n: Int\nloud = shout(name) with retry: 2, timeout: 500ms\ntwice = n * 2\nbig = twice > 10\nout loud\nout big\n";

fn engine() -> Engine {
    let mut engine = Engine::new();
    engine.register_fn("text.shout", &["text"], |text: String| text.to_uppercase()).unwrap();
    engine
}

fn picture(format: Format) -> String {
    let engine = engine();
    let pipeline = engine.compile("p.cst", SOURCE).unwrap();
    viz::draw(&engine, &pipeline, "p.cst", SOURCE, format, None)
}

#[test]
fn mermaid_and_svg_are_stable() {
    insta::assert_snapshot!("mermaid", picture(Format::Mermaid));
    insta::assert_snapshot!("svg", picture(Format::Svg));
}

#[test]
fn the_svg_is_xml_with_a_node_per_step_and_an_edge_per_dependency() {
    let svg = picture(Format::Svg);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let class = |n: &roxmltree::Node| n.attribute("class").unwrap_or("").to_string();
    let nodes: Vec<String> = doc.descendants().filter(|n| class(n).starts_with("node ")).map(|n| class(&n)).collect();
    assert_eq!(
        nodes,
        ["node input", "node input", "node module", "node operation", "node operation", "node output", "node output"]
    );
    let edges = doc.descendants().filter(|n| class(n) == "edge").count();
    assert_eq!(edges, 5, "name→shout, n→*, *→>, shout→out loud, >→out big (constants are left out): {svg}");
    let module = doc.descendants().find(|n| class(n) == "node module").unwrap();
    let detail = module.attribute("data-detail").unwrap();
    assert!(detail.contains("retry: 2") && detail.contains("timeout: 500ms") && detail.contains("line 3"), "{detail}");
}

#[test]
fn the_html_page_holds_the_svg_and_needs_nothing_else() {
    let html = picture(Format::Html);
    assert!(html.starts_with("<!doctype html>") && html.contains("<svg ") && html.contains("addEventListener('wheel'"));
    assert!(!html.contains("<script src") && !html.contains("<link "), "self-contained");
}

#[test]
fn the_command_writes_each_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cst"), "in x: Int\ny = x + 1\nout y\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_asterism")).args(args).current_dir(dir.path()).output().unwrap()
    };
    let out = run(&["viz", "p.cst", "-o", "p.html"]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(dir.path().join("p.html")).unwrap().contains("<svg "));
    let out = run(&["viz", "p.cst", "--format", "mermaid"]);
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("flowchart TD\n  n0([\"in x\"]):::input\n"));
    let out = run(&["viz", "p.cst", "--format", "dot"]);
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("digraph dag {"));
    let out = run(&["viz", "p.cst"]);
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("<svg "));
    assert_eq!(run(&["viz", "p.cst", "--format", "png"]).status.code(), Some(10));
}

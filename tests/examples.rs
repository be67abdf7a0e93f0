//! Every example pipeline in `examples/` compiles and runs with its inputs file.

use asterism::{Engine, Layout, Status};

#[test]
fn example_pipelines_run_with_their_inputs() {
    let engine = Engine::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "cst") {
            continue;
        }
        seen += 1;
        let source = std::fs::read_to_string(&path).unwrap();
        let pipeline = engine.compile(&path.to_string_lossy(), &source).unwrap_or_else(|d| panic!("{d}"));
        assert!(pipeline.warnings().is_empty(), "{}", pipeline.warnings());
        let inputs = std::fs::read(path.with_extension("json")).unwrap();
        let inputs = pipeline.parse_inputs(&inputs).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let outcome = pipeline.run_blocking(&inputs);
        let expected = if path.ends_with("resilient.cst") { Status::Failed } else { Status::Completed };
        assert_eq!(outcome.status(), expected, "{}: {:?}", path.display(), outcome.errors());
        assert_ne!(outcome.outputs_json(Layout::Compact), "{}");
    }
    assert!(seen >= 6, "at least six example pipelines");
}

//! Kind `onnx` with the committed fixture `bindings/tests/fixtures/onnx/scorer.onnx` (a linear
//! layer and a softmax, `features [N, 4]` → `probs [N, 3]`, made by `make_model.py` beside it),
//! compared with the outputs numpy computed there (`expected.json`), within 1e-5. Without the
//! feature `onnx`, an entry of this kind is a clear manifest error.

use asterism::Engine;
use tempfile::TempDir;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bindings/tests/fixtures/onnx");

fn bind(signature: &str, extra: &str) -> Result<(Engine, TempDir), Vec<String>> {
    let dir = TempDir::new().unwrap();
    let manifest = format!(
        "[modules.\"m.probs\"]\nkind = \"onnx\"\npath = \"{FIXTURE}/scorer.onnx\"\nsignature = \"{signature}\"\n{extra}\n"
    );
    std::fs::write(dir.path().join("asterism.toml"), manifest).unwrap();
    let mut engine = Engine::new();
    match engine.load_manifest(dir.path().join("asterism.toml")) {
        Ok(()) => Ok((engine, dir)),
        Err(errors) => Err(errors.iter().map(|e| e.message.clone()).collect()),
    }
}

#[cfg(not(feature = "onnx"))]
#[test]
fn without_the_feature_the_kind_says_how_to_get_it() {
    let errors = bind("(features: List<Float>) -> List<Float>", "").err().unwrap();
    assert!(errors[0].contains("build with the feature `onnx`"), "{errors:?}");
}

#[cfg(feature = "onnx")]
mod with_tract {
    use super::*;
    use asterism::{Outcome, Value};

    fn expected() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let text = std::fs::read_to_string(format!("{FIXTURE}/expected.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        (
            serde_json::from_value(doc["features"].clone()).unwrap(),
            serde_json::from_value(doc["probs"].clone()).unwrap(),
        )
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_list().map(|l| l.to_f64s()).unwrap_or_default()
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5), "{got:?} vs {want:?}");
    }

    async fn run(engine: &Engine, source: &str, inputs: &str) -> Outcome {
        let pipeline = engine.compile("t.cst", source).unwrap_or_else(|d| panic!("{d}"));
        pipeline.run(&pipeline.parse_inputs(inputs.as_bytes()).unwrap()).await
    }

    #[tokio::test]
    async fn one_row_per_call_gives_the_models_probabilities() {
        let (features, probs) = expected();
        let (engine, _dir) = bind("(features: List<Float>) -> List<Float>", "").unwrap();
        for (row, want) in features.iter().zip(&probs) {
            let outcome =
                run(&engine, "in f: List<Float>\np = probs(f)\nout p\n", &serde_json::json!({ "f": row }).to_string())
                    .await;
            close(&floats(outcome.get("p").expect("an output")), want);
        }
        let outcome = run(&engine, "in f: List<Float>\np = probs(f)\nout p\n", r#"{"f": [1, 2, 3]}"#).await;
        assert_eq!(
            outcome.errors()[0].message,
            "m.probs: argument 'features': the model takes 4 values per row, given 3"
        );
    }

    #[tokio::test]
    async fn rows_in_one_call_or_gathered_from_many_give_the_same() {
        let (features, probs) = expected();
        let inputs = serde_json::json!({ "rows": features }).to_string();
        let (engine, _dir) = bind("(rows: List<List<Float>>) -> List<List<Float>>", "").unwrap();
        let outcome = run(&engine, "in rows: List<List<Float>>\np = probs(rows)\nout p\n", &inputs).await;
        let got: Vec<Vec<f64>> = outcome.get("p").unwrap().as_list().unwrap().iter().map(|r| floats(&r)).collect();
        got.iter().zip(&probs).for_each(|(g, w)| close(g, w));
        let (engine, _dir) = bind("(features: List<Float>) -> List<Float>", "max_batch = 8").unwrap();
        let source =
            "in rows: List<List<Float>>\nps = map(rows, (r) => probs(r) with batch: 8, batch_timeout: 5ms)\nout ps\n";
        let outcome = run(&engine, source, &inputs).await;
        let got: Vec<Vec<f64>> = outcome.get("ps").unwrap().as_list().unwrap().iter().map(|r| floats(&r)).collect();
        got.iter().zip(&probs).for_each(|(g, w)| close(g, w));
        assert_eq!(engine.batch_stats()[0].1.batches, 1, "four calls, one run of the model");
    }

    /// examples/onnx: features → model → scores → the top results, from its own manifest.
    #[tokio::test]
    async fn the_ranking_example_ranks_with_the_model() {
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/onnx");
        let mut engine = Engine::new();
        engine.load_manifest(format!("{examples}/asterism.toml")).unwrap();
        let source = std::fs::read_to_string(format!("{examples}/ranking.cst")).unwrap();
        let inputs = std::fs::read_to_string(format!("{examples}/ranking.json")).unwrap();
        let outcome = run(&engine, &source, &inputs).await;
        assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
        let names = outcome.get("names").unwrap().as_list().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
        assert_eq!(names.collect::<Vec<_>>(), ["desk", "kettle"]);
    }

    #[test]
    fn a_signature_the_model_cannot_match_is_refused_when_the_manifest_loads() {
        let errors = bind("(text: String) -> List<Float>", "").err().unwrap();
        assert!(errors[0].contains("cannot be String values"), "{errors:?}");
        let errors = bind("(a: List<Float>, b: List<Float>) -> List<Float>", "").err().unwrap();
        assert!(errors[0].contains("takes 1 inputs; the signature has 2 parameters"), "{errors:?}");
        let errors = bind("(features: List<Float>) -> List<Float>", "output = \"logits\"").err().unwrap();
        assert!(errors[0].contains("has no output 'logits' (it has: probs)"), "{errors:?}");
        let errors = bind("(rows: List<List<Float>>) -> List<List<Float>>", "max_batch = 4").err().unwrap();
        assert!(errors[0].contains("one row per call"), "{errors:?}");
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("asterism.toml");
        std::fs::write(
            &path,
            "[modules.m]\nkind = \"onnx\"\npath = \"missing.onnx\"\nsignature = \"(x: Float) -> Float\"\n",
        )
        .unwrap();
        let errors = Engine::new().load_manifest(&path).unwrap_err();
        assert!(errors[0].message.starts_with("cannot load the model "), "{errors:?}");
    }
}

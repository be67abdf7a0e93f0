//! Embedding Asterism in a Rust service: register host functions (one synchronous, one async
//! "model call"), compile a pipeline, run it, and show what a compile error looks like.
//!
//!     cargo run --example embedded

use asterism::{Engine, Layout, StreamEvent};
use futures_util::StreamExt;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut engine = Engine::new();
    // A Rust function becomes a module in one line: its signature comes from its types.
    engine.register_fn("text.clean", &["text"], |text: String| text.trim().to_lowercase())?;
    // An async function (a model or service call) runs concurrently with the rest of the DAG.
    engine.register_async_fn("model.sentiment", &["text"], |text: String| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let score = text.matches("love").count() as f64 - text.matches("hate").count() as f64;
        Ok::<f64, String>(score.clamp(-1.0, 1.0))
    })?;

    let source = r#"
in reviews: List<String>
cleaned = map(reviews, r => clean(r))
scores = map(cleaned, r => sentiment(r))
positive = count(scores, s => s > 0.0)
verdict = if (positive * 2 >= list-length(reviews)) "mostly positive" else "mostly negative"
out scores
out verdict
"#;
    let pipeline = engine.compile("reviews.cst", source).map_err(|d| d.render(false))?;
    println!("compiled reviews.cst (hash {})", &pipeline.hash_hex()[..16]);

    let inputs = pipeline
        .parse_inputs(br#"{"reviews": ["  I LOVE it ", "hate the wait", "love love love"]}"#)
        .map_err(|e| e.join("; "))?;
    let outcome = pipeline.run(&inputs).await;
    println!("outputs: {}", outcome.outputs_json(Layout::Pretty));

    // Outputs can also be consumed as they become ready.
    let mut events = pipeline.run_stream(inputs);
    while let Some(event) = events.next().await {
        if let StreamEvent::Output { name, .. } = event {
            println!("ready: {name}");
        }
    }

    // Compile errors render like the CLI's.
    if let Err(diagnostics) = engine.compile("typo.cst", "in review: String\nout reveiw\n") {
        eprintln!("{}", diagnostics.render(false));
    }
    Ok(())
}

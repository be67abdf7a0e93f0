//! Embedding Asterism in a Rust service: register host functions (one synchronous, one async
//! "model call"), compile a pipeline, run it, call a flaky service with options (retry, timeout,
//! cache), and show what a compile error looks like.
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

    // Call options: a service that fails on its first call is retried; results are cached, so
    // the second run does not call it at all.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    engine.register_async_fn("service.lookup", &["key"], move |key: String| {
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if n == 0 { Err(format!("{key}: connection reset")) } else { Ok(key.len() as i64) }
        }
    })?;
    let lookup = engine
        .compile(
            "lookup.cst",
            "in key: String
n = lookup(key) with retry: 2, timeout: 1s, cache: 5min
out n
",
        )
        .map_err(|d| d.render(false))?;
    let inputs = lookup.parse_inputs(br#"{"key": "asterism"}"#).map_err(|e| e.join("; "))?;
    for _ in 0..2 {
        println!("lookup: {}", lookup.run(&inputs).await.outputs_json(Layout::Compact));
    }
    let stats = engine.call_cache_stats();
    println!("service calls: {}, cache: {stats:?}", calls.load(std::sync::atomic::Ordering::Relaxed));

    // Compile errors render like the CLI's.
    if let Err(diagnostics) = engine.compile("typo.cst", "in review: String\nout reveiw\n") {
        eprintln!("{}", diagnostics.render(false));
    }
    Ok(())
}

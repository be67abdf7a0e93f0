//! Profiles (`run --profile`, `batch --profile`, `viz --profile`): what a user reads to find where
//! a run's time went must name the slow node, its waiting successors, the retries and cache hits
//! it saw, and a critical path through the slow branch.

use asterism::Engine;
use asterism::profile::{NodeRow, Profiler, Report};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const SOURCE: &str = "\
in n: Int
slow = wait(60, n)
fast = wait(5, n)
flaky = once-failing(n) with retry: 2
kept = wait(5, n + 100) with cache: 1min
total = slow + fast + flaky + kept
out total
";

fn engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .register_async_fn("t.wait", &["ms", "v"], |ms: i64, v: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            v
        })
        .unwrap();
    // Fails every other call: with `retry: 2` each run needs two attempts.
    let calls = Arc::new(AtomicU32::new(0));
    engine
        .register_fn("t.once-failing", &["v"], move |v: i64| match calls.fetch_add(1, Ordering::SeqCst) % 2 {
            0 => Err(format!("attempt failed for {v}")),
            _ => Ok(v),
        })
        .unwrap();
    engine
}

fn row<'a>(report: &'a Report, title: &str) -> &'a NodeRow {
    report.nodes.iter().find(|n| n.title == title).unwrap_or_else(|| panic!("no node {title}: {report:#?}"))
}

#[test]
fn a_profile_names_the_slow_node_its_waiting_successor_retries_and_cache_hits() {
    let mut engine = engine();
    let mut profiler = Profiler::attach(&mut engine);
    let pipeline = engine.compile("p.cst", SOURCE).unwrap();
    let pipeline = profiler.watch(&pipeline);
    for _ in 0..3 {
        let inputs = pipeline.parse_inputs(br#"{"n": 1}"#).unwrap();
        let outcome = pipeline.run_blocking(&inputs);
        assert_eq!(outcome.outputs_json(asterism::Layout::Compact), r#"{"total":104}"#);
    }
    let report = profiler.report(&engine, &pipeline, "p.cst", SOURCE);
    assert_eq!(report.runs, 3);
    let waits: Vec<&NodeRow> = report.nodes.iter().filter(|n| n.title == "wait").collect();
    assert_eq!(waits.len(), 3);
    let (slow, fast) = (waits[0], waits[1]);
    assert_eq!((slow.line, slow.calls, slow.failed), (2, 3, 0));
    assert!(slow.mean_us >= 60_000.0, "slow runs 60 ms: {slow:?}");
    assert!(fast.mean_us < slow.mean_us);
    assert!(slow.share > 0.5, "the slow call takes most of the time: {slow:?}");
    let sum = report.nodes.iter().rev().find(|n| n.title == "+").unwrap();
    assert!(sum.waiting_mean_us >= 60_000.0, "the sum waits for the slow call: {sum:?}");
    let flaky = row(&report, "once-failing");
    assert_eq!((flaky.calls, flaky.retries, flaky.failed), (3, 3, 0), "one retry per run");
    let kept = waits[2];
    assert_eq!(kept.cache_hits, 2, "the first run fills the cache, the next two hit it");
    assert!(slow.critical && !fast.critical && !kept.critical, "the critical path runs through slow: {report:#?}");
    assert!(report.critical_path_ms >= 60.0);
    let wait = report.modules.iter().find(|m| m.name == "t.wait").unwrap();
    assert_eq!(wait.calls, 3 + 3 + 1, "cached calls do not reach the module");
    assert!(report.peak_memory_bytes.is_none_or(|b| b > 0));
    let cache = report.caches.iter().find(|c| c.name == "default").unwrap();
    assert_eq!((cache.hits, cache.misses), (2, 1));
    // The document reads back; the table names the slow call first.
    assert_eq!(Report::from_json(&report.to_json()).unwrap(), report);
    let table = report.table();
    let first = table.lines().skip_while(|l| !l.contains("retries/hits")).nth(1).unwrap();
    assert!(first.starts_with('*') && first.contains(" 2 "), "the slowest row first, on the critical path:\n{table}");
    assert!(table.contains("critical path") && table.contains("cache 'default': 2 hits"), "{table}");
}

#[test]
fn a_synchronous_pipeline_counts_every_node_it_runs_and_none_it_skips() {
    let mut engine = Engine::new();
    let mut profiler = Profiler::attach(&mut engine);
    let source =
        "in n: Int\nbig = n > 10\nlabel = if (big) \"big\" else \"small\"\ntwice = n * 2\nout label\nout twice\n";
    let pipeline = engine.compile("s.cst", source).unwrap();
    let pipeline = profiler.watch(&pipeline);
    for n in 0..50 {
        let inputs = pipeline.parse_inputs(format!("{{\"n\": {n}}}").as_bytes()).unwrap();
        pipeline.run_blocking(&inputs);
    }
    let report = profiler.report(&engine, &pipeline, "s.cst", source);
    assert_eq!(report.runs, 50);
    for title in [">", "if", "*"] {
        assert_eq!(row(&report, title).calls, 50, "{title}");
    }
    assert!(report.modules.is_empty(), "the standard library is not a module");
}

fn asterism(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asterism")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn run_and_batch_write_a_profile_that_viz_colours_and_checks_against_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let source = "in n: Int\nsquare = n * n\nlabel = \"n=${square}\"\nout label\n";
    std::fs::write(dir.path().join("p.cst"), source).unwrap();
    std::fs::write(dir.path().join("other.cst"), "in n: Int\nout n\n").unwrap();
    std::fs::write(dir.path().join("rows.ndjson"), (0..200).map(|n| format!("{{\"n\":{n}}}\n")).collect::<String>())
        .unwrap();
    let out = asterism(&["run", "p.cst", "-i", "n=3", "--profile", "--profile-json", "run.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profile of p.cst") && stderr.contains("critical path"), "{stderr}");
    let run = Report::from_json(&std::fs::read_to_string(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run.runs, 1);

    let out =
        asterism(&["batch", "p.cst", "rows.ndjson", "-o", "out.ndjson", "--profile-json", "batch.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let batch = Report::from_json(&std::fs::read_to_string(dir.path().join("batch.json")).unwrap()).unwrap();
    assert_eq!(batch.runs, 200);
    assert_eq!(row(&batch, "*").calls, 200);

    let out = asterism(&["viz", "p.cst", "--profile", "batch.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    roxmltree::Document::parse(&svg).expect("the coloured SVG is XML");
    assert!(svg.contains("style=\"fill:#") && svg.contains("profile: 200 calls"), "{svg}");
    assert!(svg.contains("class=\"node output critical\""), "the critical path ends at the output: {svg}");
    assert_eq!(batch.critical_output.as_deref(), Some("label"));

    let out = asterism(&["viz", "other.cst", "--profile", "batch.json"], dir.path());
    assert_eq!(out.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a profile of another pipeline"));
    std::fs::write(dir.path().join("bad.json"), "{\"runs\": \"many\"}").unwrap();
    let out = asterism(&["viz", "p.cst", "--profile", "bad.json"], dir.path());
    assert_eq!(out.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a profile written by --profile-json"));
}

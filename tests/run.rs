//! Runtime behaviour as files: every `tests/run/**/*.cst` is a pipeline whose header says how to
//! run it and what must come out, so a rule of SPEC §6–§7 is tested by writing a program, not Rust.
//!
//! The header is the comment lines at the top. Lines `# key: value` are expectations; the others
//! describe the case. `# run: {…}` starts a run with those inputs (a file without one has one run
//! with `{}`); the lines after it, up to the next `# run:`, say what that run must give:
//!
//! - `# outputs: {…}` — exactly these outputs (JSON);
//! - `# errors: ["message @line", …]` — exactly these root failures, in order; without this line
//!   the run must complete;
//! - `# calls: NAME = N, …` — how often each fake module was called since the file started;
//! - `# elapsed: 300ms` — how long the run took on the paused clock;
//! - `# starts: [[id, ms], …]` — the calls of `tracked` the run made, in order, with when each
//!   started since the run began;
//! - `# notices: ["[asterism] …", …]` — the `log` and `on_error: log` lines the run reported.
//!
//! Line numbers in errors count the header's lines too. Every file runs on its own engine under
//! tokio's paused clock, its runs one after another. The
//! engine has the fake modules of `tests/options.rs`: `flaky(key, fails)` fails its first `fails`
//! calls per key (`attempt N failed`) then returns the call number; `sleepy(ms, v)` sleeps and
//! gives `v`; `counted(x)` sleeps 100 ms and gives `x * 10` (its calls count as `counted X`);
//! `tracked(ms, id)` records its start, sleeps and gives `id`.

#[path = "support/fakes.rs"]
mod fakes;
#[path = "support/files.rs"]
mod files;

use serde_json::Value as Json;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// One run of a case: its inputs and expectations (`key` → value text).
#[derive(Debug)]
struct Run {
    inputs: String,
    expect: Vec<(String, String)>,
}

const KEYS: [&str; 6] = ["outputs", "errors", "calls", "elapsed", "starts", "notices"];

fn header(source: &str) -> Result<Vec<Run>, String> {
    let mut runs: Vec<Run> = Vec::new();
    for line in source.lines().take_while(|l| l.starts_with('#')) {
        let Some((key, value)) = line.trim_start_matches('#').trim().split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim().to_string());
        if key == "run" {
            runs.push(Run { inputs: value, expect: Vec::new() });
        } else if KEYS.contains(&key) {
            if runs.is_empty() {
                runs.push(Run { inputs: "{}".into(), expect: Vec::new() });
            }
            runs.last_mut().unwrap().expect.push((key.to_string(), value));
        }
    }
    match runs.is_empty() {
        true => Err("the header expects nothing: add `# outputs: {…}`".into()),
        false => Ok(runs),
    }
}

fn parse(text: &str, what: &str) -> Result<Json, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not JSON ({e}): {text}"))
}

/// Runs the case in `path`; `Err` says what differed.
async fn case(path: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let runs = header(&source)?;
    let log = Arc::new(Mutex::new(fakes::Log::default()));
    let engine = fakes::engine(&log);
    let pipeline = engine.compile(&path.display().to_string(), &source).map_err(|d| d.to_string())?;
    for (k, run) in runs.iter().enumerate() {
        let at = |m: String| format!("run {} ({}): {m}", k + 1, run.inputs);
        let inputs = pipeline.parse_inputs(run.inputs.as_bytes()).map_err(|e| at(format!("{e:?}")))?;
        let (notices_before, starts_before) = {
            let l = log.lock().unwrap();
            (l.notices.len(), l.starts.len())
        };
        let started = Instant::now();
        let outcome = pipeline.run(&inputs).await;
        let elapsed = started.elapsed();
        let errors: Vec<String> = outcome.errors().iter().map(|e| format!("{} @{}", e.message, e.line)).collect();
        if !run.expect.iter().any(|(key, _)| key == "errors") && !errors.is_empty() {
            return Err(at(format!("expected no failure, got {errors:?}")));
        }
        let log = log.lock().unwrap();
        for (key, want) in &run.expect {
            let got = match key.as_str() {
                "outputs" => parse(&outcome.outputs_json(asterism::Layout::Compact), "the outputs")?,
                "errors" => Json::from(errors.clone()),
                "elapsed" => Json::from(format!("{}ms", elapsed.as_millis())),
                "starts" => {
                    let since = |t: Instant| t.saturating_duration_since(started).as_millis() as u64;
                    let starts = log.starts[starts_before..].iter();
                    Json::from(
                        starts
                            .map(|&(id, t)| Json::from(vec![Json::from(id), Json::from(since(t))]))
                            .collect::<Vec<_>>(),
                    )
                }
                "notices" => {
                    Json::from(log.notices[notices_before..].iter().map(|n| n.to_string()).collect::<Vec<_>>())
                }
                "calls" => {
                    let counts = want.split(',').map(|pair| {
                        let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
                        format!("{} = {}", name.trim(), log.calls.get(name.trim()).copied().unwrap_or(0))
                    });
                    Json::from(counts.collect::<Vec<_>>().join(", "))
                }
                _ => unreachable!("only the keys of KEYS are kept"),
            };
            let want = match key.as_str() {
                "elapsed" | "calls" => Json::from(want.split(',').map(str::trim).collect::<Vec<_>>().join(", ")),
                _ => parse(want, key)?,
            };
            if got != want {
                return Err(at(format!("{key}: expected {want}, got {got}")));
            }
        }
    }
    Ok(())
}

#[test]
fn every_case_gives_what_its_header_says() {
    let files = files::below(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run"), "cst");
    assert!(files.len() >= 20, "the cases are where they should be: found {}", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        // On the paused clock an hour passes at once when every task waits for something else.
        let hour = std::time::Duration::from_secs(3600);
        let finished = rt.block_on(async { tokio::time::timeout(hour, case(file)).await });
        if let Err(e) = finished.unwrap_or_else(|_| Err("no end within an hour: a hang".into())) {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn a_case_that_gives_something_else_fails() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let wrong = [
        "# outputs: {\"x\": 3}\nx = 1 + 1\nout x\n",
        "# outputs: {}\nx = 1 / 0\nout x\n",
        "# errors: [\"division by zero @1\"]\nx = 1 + 1\nout x\n",
        "# calls: sleepy = 2\nx = sleepy(10, 1)\nout x\n",
        "# elapsed: 5ms\nx = sleepy(10, 1)\nout x\n",
        "# notices: []\nx = log(\"hi\")\nout x\n",
        "x = 1\nout x\n",
    ];
    for (k, text) in wrong.iter().enumerate() {
        let path = dir.join(format!("wrong{k}.cst"));
        std::fs::write(&path, text).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        assert!(rt.block_on(case(&path)).is_err(), "{text}");
    }
}

//! The `asterism serve` binary: it compiles its pipelines, listens, answers, and on SIGTERM stops
//! accepting, lets the run in flight (a Python worker taking 1 s) finish, and exits 0.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WORKER: &str = r#"
import json, sys, time
for line in sys.stdin:
    req = json.loads(line)
    time.sleep(float(req["args"]["seconds"]))
    sys.stdout.write(json.dumps({"id": req["id"], "ok": "slept"}) + "\n")
    sys.stdout.flush()
"#;

const MANIFEST: &str = r#"
[modules."slow.nap"]
kind = "process"
signature = "(seconds: Float) -> String"
command = ["python3", "worker.py"]
"#;

#[test]
fn sigterm_stops_accepting_and_lets_the_run_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("worker.py"), WORKER).unwrap();
    std::fs::write(dir.path().join("asterism.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("nap.cst"), "in seconds: Float\nr = nap(seconds)\nout r\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(["serve", "nap.cst", "--addr", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        let log: serde_json::Value = serde_json::from_str(&line).expect("log lines are JSON");
        if let Some(addr) = log["fields"]["message"].as_str().and_then(|m| m.strip_prefix("listening on ")) {
            break addr.to_string();
        }
    };
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<String>>());

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let quick = http.post(format!("{base}/execute")).body(r#"{"ref":"nap","inputs":{"seconds":0.0}}"#);
        assert_eq!(quick.send().await.unwrap().status(), 200, "the worker started");
        let slow = http.post(format!("{base}/execute")).body(r#"{"ref":"nap","inputs":{"seconds":1.0}}"#).send();
        let in_flight = tokio::spawn(slow);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = Instant::now();
        assert_eq!(terminate(child.id()), 0);
        let response = in_flight.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains(r#""outputs":{"r":"slept"}"#));
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        assert!(sent.elapsed() < Duration::from_secs(10));
    });
    let logs = rest.join().unwrap().join("\n");
    assert!(logs.contains("stopping: no new requests"), "{logs}");
}

/// SIGTERM to `pid` through `kill(1)`: the tests keep to safe code.
fn terminate(pid: u32) -> i32 {
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().code().unwrap_or(-1)
}

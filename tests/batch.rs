//! `asterism batch`: NDJSON and CSV round trips through the binary, failed rows explained and
//! counted in the exit code, `--fail-fast`, standard input and output, Ctrl-C while rows trickle
//! in through a pipe, and (through the library) outputs in input order or as runs finish with
//! runs that take different times.

use asterism::Engine;
use asterism::batch::{self, Hooks, Options};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// `asterism ARGS` in `dir`, its standard streams piped.
fn command<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>, dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asterism"));
    command.args(args).current_dir(dir).env("ASTERISM_NO_CACHE", "1");
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn asterism(args: &[&str], dir: &std::path::Path, stdin: Option<&str>) -> Output {
    let mut child = command(args, dir).spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const HELLO: &str = "in name: String\ngreeting = \"Hello, ${name}!\"\nout greeting\n";

#[test]
fn ndjson_rows_run_in_order_and_failed_rows_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.cst"), HELLO).unwrap();
    let rows = "{\"name\":\"Ada\"}\n{\"name\":\"Bob\"}\n\n{\"name\":3}\nnot json\n{\"name\":\"Cy\"}\n";
    std::fs::write(dir.path().join("in.ndjson"), rows).unwrap();
    let out = asterism(&["batch", "hello.cst", "in.ndjson", "--errors", "bad.ndjson"], dir.path(), None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"greeting\":\"Hello, Ada!\"}\n{\"greeting\":\"Hello, Bob!\"}\n{\"greeting\":\"Hello, Cy!\"}\n"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("5 rows: 3 completed, 2 failed"), "{stderr}");
    let bad: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("bad.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(bad.len(), 2);
    assert_eq!((bad[0]["row"].clone(), bad[0]["input"].clone()), (3.into(), serde_json::json!({"name": 3})));
    assert_eq!(bad[0]["errors"][0]["message"], "input 'name': expected String, got Number");
    assert_eq!((bad[1]["row"].clone(), bad[1]["input"].clone()), (4.into(), "not json".into()));

    // Every row completed: exit 0, and the summary as a document.
    std::fs::write(dir.path().join("good.ndjson"), "{\"name\":\"A\"}\n").unwrap();
    let out = asterism(&["batch", "hello.cst", "good.ndjson", "--json"], dir.path(), None);
    assert_eq!(out.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!((summary["rows"].clone(), summary["failed"].clone()), (1.into(), 0.into()));
    assert!(summary["latencyMicros"]["p99"].as_f64().unwrap() > 0.0);
}

#[test]
fn csv_cells_take_their_inputs_types_and_a_bad_cell_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let source = "in name: String\nin age: Optional<Int>\nin tags: List<String>\nolder = (age ?? 0) + 1\nn = list-length(tags)\nout name\nout older\nout n\n";
    std::fs::write(dir.path().join("p.cst"), source).unwrap();
    let rows = "name,age,tags\nAda,36,\"[\"\"a\"\",\"\"b\"\"]\"\nBob,x,[]\n\"Cy, Jr\",,[]\n";
    std::fs::write(dir.path().join("in.csv"), rows).unwrap();
    let out = asterism(&["batch", "p.cst", "in.csv", "-o", "out.csv", "--errors", "bad.ndjson"], dir.path(), None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
        "name,older,n\nAda,37,2\n\"Cy, Jr\",1,0\n"
    );
    let bad: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(dir.path().join("bad.ndjson")).unwrap().trim()).unwrap();
    assert_eq!(bad["row"], 2);
    assert_eq!(bad["errors"][0]["message"], "row 2, column 'age': expected Optional<Int>, got \"x\"");
    assert_eq!(bad["input"], serde_json::json!({"name": "Bob", "age": "x", "tags": "[]"}));

    // CSV in, NDJSON out, by the output's extension.
    let out = asterism(&["batch", "p.cst", "in.csv", "-o", "out.jsonl"], dir.path(), None);
    assert_eq!(out.status.code(), Some(2));
    let first = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(first.lines().next(), Some("{\"name\":\"Ada\",\"older\":37,\"n\":2}"));

    // A header without a column for an input: nothing runs, exit 3.
    std::fs::write(dir.path().join("short.csv"), "name,age\nAda,3\n").unwrap();
    let out = asterism(&["batch", "p.cst", "short.csv"], dir.path(), None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("no column for the input(s) 'tags'"), "{}", text(&out.stderr));
}

#[test]
fn fail_fast_stops_at_the_first_failed_row_and_dash_is_standard_io() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.cst"), HELLO).unwrap();
    let rows = "{\"name\":\"Ada\"}\n{\"name\":1}\n{\"name\":\"Bob\"}\n";
    let out = asterism(&["batch", "hello.cst", "-", "--fail-fast"], dir.path(), Some(rows));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "{\"greeting\":\"Hello, Ada!\"}\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: row 2: input 'name'") && stderr.contains("2 rows: 1 completed, 1 failed"),
        "{stderr}"
    );
    let out = asterism(&["batch", "hello.cst", "-", "-o", "-", "--format", "csv"], dir.path(), Some("name\nAda\n"));
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "greeting\n\"Hello, Ada!\"\n".to_string()));
    let out = asterism(&["batch", "hello.cst", "rows.txt"], dir.path(), None);
    assert_eq!(out.status.code(), Some(10), "an unknown extension needs --format");
}

/// The outputs of a batch of `waits` through `slow.wait` (each row waits its milliseconds).
async fn waits(ordered: bool) -> Vec<i64> {
    let mut engine = Engine::new();
    engine
        .register_async_fn("slow.wait", &["ms"], |ms: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            Ok::<i64, String>(ms)
        })
        .unwrap();
    let pipeline = engine.compile("w.cst", "in ms: Int\nr = wait(ms)\nout r\n").unwrap();
    let rows = "{\"ms\":240}\n{\"ms\":0}\n{\"ms\":160}\n{\"ms\":80}\n";
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let options = Options { concurrency: 4, ordered, ..Options::default() };
    let input = Box::new(std::io::Cursor::new(rows.as_bytes().to_vec()));
    let (_stopper, stop) = tokio::sync::watch::channel(false);
    let hooks = Hooks { failed: &mut |_, _| panic!("no row fails"), progress: &mut |_| {}, stop };
    let (summary, stopped) = batch::run(&pipeline, input, Box::new(Shared(out.clone())), hooks, &options).await;
    assert!(stopped.is_none());
    assert_eq!((summary.rows, summary.completed), (4, 4));
    assert!(summary.wall < Duration::from_millis(1000), "the four ran at once: {:?}", summary.wall);
    let written = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    written.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["r"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_keep_input_order_unless_asked_not_to() {
    assert_eq!(waits(true).await, vec![240, 0, 160, 80]);
    assert_eq!(waits(false).await, vec![0, 80, 160, 240]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_finishes_the_rows_read_and_exits_130() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.cst"), HELLO).unwrap();
    let mut child = command(["batch", "hello.cst", "-"], dir.path()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Three rows come through the pipe, then nothing: the batch runs them while it waits.
    for name in ["Ada", "Bob", "Cy"] {
        writeln!(stdin, "{{\"name\":\"{name}\"}}").unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut lines = Vec::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        lines.push(std::mem::take(&mut line));
    }
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        lines.concat(),
        "{\"greeting\":\"Hello, Ada!\"}\n{\"greeting\":\"Hello, Bob!\"}\n{\"greeting\":\"Hello, Cy!\"}\n"
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("3 rows: 3 completed") && stderr.contains("interrupted"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn resume_after_ctrl_c_gives_what_one_uninterrupted_batch_gives() {
    const WORKER: &str = "import json, sys, time\nfor line in sys.stdin:\n    req = json.loads(line)\n    time.sleep(0.1)\n    sys.stdout.write(json.dumps({\"id\": req[\"id\"], \"ok\": req[\"args\"][\"name\"].upper()}) + \"\\n\")\n    sys.stdout.flush()\n";
    const MANIFEST: &str = "[modules.\"slow.shout\"]\nkind = \"process\"\nsignature = \"(name: String) -> String\"\ncommand = [\"python3\", \"worker.py\"]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("worker.py"), WORKER).unwrap();
    std::fs::write(dir.path().join("asterism.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("p.cst"), "in name: String\nloud = shout(name)\nout loud\n").unwrap();
    let rows: String = (0..12)
        .map(|i| match i % 5 {
            3 => format!("{{\"name\":{i}}}\n"),
            _ => format!("{{\"name\":\"n{i}\"}}\n"),
        })
        .collect();
    std::fs::write(dir.path().join("in.ndjson"), rows).unwrap();
    let args = |out: &str, errors: &str| {
        ["batch", "p.cst", "in.ndjson", "-o", out, "--errors", errors, "--concurrency", "1"].map(str::to_string)
    };

    let whole = asterism(&args("whole.ndjson", "whole-bad.ndjson").each_ref().map(String::as_str), dir.path(), None);
    assert_eq!(whole.status.code(), Some(2), "{}", text(&whole.stderr));

    let child = command(args("part.ndjson", "part-bad.ndjson"), dir.path()).stdout(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let first = child.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(130), "{}", text(&first.stderr));
    let done = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default().lines().count();
    assert!(done("part.ndjson") + done("part-bad.ndjson") < 12, "interrupted before the end");

    let mut resume: Vec<String> = args("part.ndjson", "part-bad.ndjson").to_vec();
    resume.push("--resume".into());
    let rest = asterism(&resume.iter().map(String::as_str).collect::<Vec<_>>(), dir.path(), None);
    assert_eq!(rest.status.code(), Some(2), "{}", text(&rest.stderr));
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("part.ndjson"), read("whole.ndjson"));
    assert_eq!(read("part-bad.ndjson"), read("whole-bad.ndjson"));
    assert_eq!((read("whole.ndjson").lines().count(), read("whole-bad.ndjson").lines().count()), (10, 2));

    let out = asterism(&["batch", "p.cst", "in.ndjson", "--resume"], dir.path(), None);
    assert_eq!(out.status.code(), Some(10), "--resume needs -o and --errors");
}

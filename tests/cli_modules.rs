//! Module manifests from the command line: `--modules`, the `asterism.toml` found beside the
//! pipeline, `asterism modules`, manifest problems as diagnostics, and the reference's demo
//! modules running the kind of pipeline its examples are.

#[path = "support/cli.rs"]
mod support;

use support::{Scratch, asterism, json};

const ECHO: &str = "import json, sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print(json.dumps({\"id\": r[\"id\"], \"ok\": r[\"args\"][\"text\"][::-1]}), flush=True)\n";

fn manifest(s: &Scratch) -> String {
    s.file("reverse.py", ECHO.as_bytes());
    let text = "[modules.\"demo.reverse\"]\nkind = \"process\"\nsignature = \"(text: String) -> String\"\ncommand = [\"python3\", \"reverse.py\"]\n";
    s.file("asterism.toml", text.as_bytes())
}

#[test]
fn the_manifest_beside_the_pipeline_binds_its_modules() {
    let s = Scratch::new();
    manifest(&s);
    let pipeline = s.file("p.cst", b"in text: String\nr = reverse(text)\nout r\n");
    let out = asterism(&["check", &pipeline], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = asterism(&["run", &pipeline, "-i", "text=abc", "--json"], None);
    assert_eq!(json(&out), serde_json::json!({"status": "completed", "outputs": {"r": "cba"}}));
    // Without a manifest the call is undefined.
    let other = Scratch::new();
    let pipeline = other.file("p.cst", b"in text: String\nr = reverse(text)\nout r\n");
    let out = asterism(&["check", &pipeline, "--json"], None);
    assert_eq!(json(&out)["diagnostics"][0]["code"], "E002");
}

#[test]
fn modules_lists_what_is_bound_and_where() {
    let s = Scratch::new();
    let path = manifest(&s);
    let out = asterism(&["modules", "--modules", &path, "--json"], None);
    let doc = json(&out);
    let m = &doc["modules"][0];
    assert_eq!((m["name"].as_str(), m["kind"].as_str()), (Some("demo.reverse"), Some("process")));
    assert_eq!(m["signature"], "(text: String) -> String");
    assert_eq!(m["declared"], format!("{path}:1:1"));
    let out = asterism(&["modules", "--modules", &path], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("demo.reverse  process  (text: String) -> String  "), "{text}");
}

#[test]
fn a_bad_manifest_is_a_diagnostic_with_exit_code_1() {
    let s = Scratch::new();
    let bad = s.file("bad.toml", b"[modules.x]\nkind = \"grpc\"\nsignature = \"() -> Int\"\n");
    let pipeline = s.file("p.cst", b"in a: Int\nout a\n");
    let out = asterism(&["check", &pipeline, "--modules", &bad, "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let d = &json(&out)["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()), (Some("manifest"), Some(2), Some(8)));
    assert_eq!(d["file"], bad.as_str());
    let out = asterism(&["run", &pipeline, "-i", "a=1", "--modules", &bad], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error[manifest]: unknown kind 'grpc'"), "{stderr}");
    assert!(stderr.contains(&format!("--> {bad}:2:8")), "{stderr}");
}

/// The reference's demo modules (examples/demo), through a pipeline of our own in the style of
/// its examples: a flaky service retried, a failing one with a fallback, a slow one cached.
#[test]
fn the_demo_modules_run_a_resilient_pipeline() {
    let s = Scratch::new();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo/asterism.toml");
    let source = b"in req: String
ok = FlakyService(req) with retry: 2
safe = AlwaysFailsService(req) with fallback: \"default\"
quick = QuickCheck(\"a complex case\")
first = SlowQuery(req) with cache: 1min
second = SlowQuery(req) with cache: 1min
out ok
out safe
out quick
out first
out second
";
    let pipeline = s.file("p.cst", source);
    let out = asterism(&["check", &pipeline, "--modules", demo], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = asterism(&["run", &pipeline, "--modules", demo, "-i", "req=r1", "--json"], None);
    let expected = serde_json::json!({"status": "completed", "outputs": {
        "ok": "Success for: r1", "safe": "default", "quick": "needs-deep-analysis",
        "first": "Result for: r1", "second": "Result for: r1"}});
    assert_eq!(json(&out), expected, "{}", String::from_utf8_lossy(&out.stderr));
}

/// Kills the service when the test ends, however it ends.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a new user does: an HTTP service and a Python worker in one manifest, one pipeline
/// calling both from the CLI (examples/services); then the service goes away and the pipeline's
/// fallback answers while the worker's output still arrives.
#[test]
fn a_pipeline_calls_an_http_service_and_a_worker_from_the_cli() {
    use std::io::BufRead;
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/services");
    let mut server = std::process::Command::new("python3")
        .args([&format!("{examples}/score_server.py"), "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut url).unwrap();
    let service = Service(server);
    let s = Scratch::new();
    let manifest = std::fs::read_to_string(format!("{examples}/asterism.toml"))
        .unwrap()
        .replace("http://127.0.0.1:8765", url.trim())
        .replace("\"clean.py\"", &format!("{:?}", format!("{examples}/clean.py")));
    s.file("asterism.toml", manifest.as_bytes());
    let pipeline = s.file("review.cst", &std::fs::read(format!("{examples}/review.cst")).unwrap());
    let out = asterism(&["run", &pipeline, "-i", "review=  Great food,   and fast service! ", "--json"], None);
    let expected = serde_json::json!({"status": "completed", "outputs": {
        "cleaned": "Great food, and fast service!", "scored": {"label": "positive", "score": 0.4}}});
    assert_eq!(json(&out), expected, "{}", String::from_utf8_lossy(&out.stderr));
    drop(service);
    let out = asterism(&["run", &pipeline, "-i", "review=late again", "--json"], None);
    let expected = serde_json::json!({"status": "completed", "outputs": {
        "cleaned": "late again", "scored": {"label": "unknown", "score": 0.0}}});
    assert_eq!(json(&out), expected, "{}", String::from_utf8_lossy(&out.stderr));
}

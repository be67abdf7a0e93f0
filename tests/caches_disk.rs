//! Call caches on disk, through the CLI as users run it: a second `asterism run` calls no module,
//! two processes racing share the folder, a changed module version, a damaged entry or an expired
//! one is a miss, a folder that cannot be written degrades to uncached runs with one warning,
//! `--explain` says why each call ran, and `asterism cache stats|clear` manage the folder.

#[path = "support/cli.rs"]
mod support;

use std::path::Path;
use std::process::Output;
use support::{Scratch, spawn};

/// A worker module `demo.shout` (upper-cases its text) that appends each text it is called
/// with to `calls.log` in its folder.
const WORKER: &str = r#"
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    with open("calls.log", "a") as f:
        f.write(r["args"]["text"] + "\n")
    print(json.dumps({"id": r["id"], "ok": r["args"]["text"].upper()}), flush=True)
"#;

fn manifest(s: &Scratch, version: &str, caches: &str) {
    let text = format!(
        "[modules.\"demo.shout\"]\nkind = \"process\"\nsignature = \"(text: String) -> String\"\n\
         command = [\"python3\", \"shout.py\"]\nversion = \"{version}\"\n{caches}"
    );
    s.file("asterism.toml", text.as_bytes());
    s.file("shout.py", WORKER.as_bytes());
}

const PIPELINE: &[u8] = b"in text: String\nin flag: Boolean\n\
a = shout(text) with cache: 1h\n\
b = shout(\"guarded\") when flag\n\
c = shout(\"lazy\") with lazy\n\
d = shout(text + \"!\") with cache: 1h\n\
e = shout(text + \"?\") with cache: 1h\n\
f = shout(text + \"?\") with cache: 1h\n\
out a\nout b\nout d\nout e\nout f\n";

fn run(s: &Scratch, args: &[&str]) -> Output {
    let pipeline = s.path().join("p.cst");
    let mut all = vec!["run", pipeline.to_str().unwrap(), "-i", "text=hi", "-i", "flag=false"];
    all.extend_from_slice(args);
    spawn(&all, None, None)
}

fn calls(s: &Scratch) -> Vec<String> {
    std::fs::read_to_string(s.path().join("calls.log")).unwrap_or_default().lines().map(String::from).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const OUTPUTS: &str =
    "{\n  \"a\": \"HI\",\n  \"b\": null,\n  \"d\": \"HI!\",\n  \"e\": \"HI?\",\n  \"f\": \"HI?\"\n}\n";

#[test]
fn a_second_run_calls_no_module_and_explain_says_why() {
    let s = Scratch::new();
    manifest(&s, "1", "");
    s.file("p.cst", PIPELINE);
    let dir = s.path().join("calls");
    let first = run(&s, &["--cache-dir", dir.to_str().unwrap(), "--explain"]);
    assert_eq!(String::from_utf8_lossy(&first.stdout), OUTPUTS, "{}", stderr(&first));
    let mut made = calls(&s);
    made.sort();
    assert_eq!(made, ["hi", "hi!", "hi?"], "e and f share one call");
    let explained = stderr(&first);
    for line in [
        "explain: line 3: demo.shout — ran (not in cache 'default')\n",
        "explain: line 4: demo.shout — did not run: its guard ('when') was false\n",
        "explain: line 5: demo.shout — did not run: it is lazy and its value was never needed\n",
    ] {
        assert!(explained.contains(line), "{line:?} in:\n{explained}");
    }
    // e and f: whichever started first ran, the other joined it.
    let twins: Vec<&str> =
        explained.lines().filter(|l| l.starts_with("explain: line 7") || l.starts_with("explain: line 8")).collect();
    let verdicts: Vec<&str> = twins.iter().map(|l| l.split(" — ").nth(1).unwrap()).collect();
    assert!(
        verdicts == ["ran (not in cache 'default')", "joined an identical call in flight"]
            || verdicts == ["joined an identical call in flight", "ran (not in cache 'default')"],
        "{explained}"
    );

    let second = run(&s, &["--cache-dir", dir.to_str().unwrap(), "--explain", "--stats"]);
    assert_eq!(String::from_utf8_lossy(&second.stdout), OUTPUTS);
    assert_eq!(calls(&s).len(), 3, "no module call the second time");
    let explained = stderr(&second);
    assert!(
        explained.contains("explain: line 3: demo.shout — served by cache 'default' from tier 2 'disk' (disk)\n"),
        "{explained}"
    );
    assert!(explained.contains("stats:   tier 2 'disk' (disk): 3 hits, 0 misses"), "{explained}");

    // Without the folder, nothing outlives the process.
    run(&s, &[]);
    assert_eq!(calls(&s).len(), 6);
}

#[test]
fn a_declared_disk_cache_a_new_version_and_an_expired_entry() {
    let s = Scratch::new();
    manifest(&s, "1", "[caches.local]\nkind = \"disk\"\npath = \"store\"\nttl = \"300ms\"\n");
    s.file("p.cst", b"in text: String\ny = shout(text) with cache: 1h, cache_backend: \"local\"\nout y\n");
    let go =
        |s: &Scratch| spawn(&["run", s.path().join("p.cst").to_str().unwrap(), "-i", "text=x", "--json"], None, None);
    let out = go(&s);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"status\":\"completed\",\"outputs\":{\"y\":\"X\"}}\n",
        "{}",
        stderr(&out)
    );
    go(&s);
    assert_eq!(calls(&s).len(), 1, "the second run read the entry in store/");
    assert!(s.path().join("store").is_dir());
    manifest(&s, "2", "[caches.local]\nkind = \"disk\"\npath = \"store\"\nttl = \"300ms\"\n");
    go(&s);
    assert_eq!(calls(&s).len(), 2, "version 2 is another function");
    std::thread::sleep(std::time::Duration::from_millis(400));
    go(&s);
    assert_eq!(calls(&s).len(), 3, "the cache's ttl (300ms) caps the call's 1h");
}

#[test]
fn damaged_entries_are_misses_and_are_replaced() {
    let s = Scratch::new();
    manifest(&s, "1", "");
    s.file("p.cst", PIPELINE);
    let dir = s.path().join("calls");
    run(&s, &["--cache-dir", dir.to_str().unwrap()]);
    let mut damaged = 0;
    for folder in std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for entry in std::fs::read_dir(folder.path()).unwrap().flatten() {
            let mut bytes = std::fs::read(entry.path()).unwrap();
            match damaged % 3 {
                0 => *bytes.last_mut().unwrap() ^= 0x40,
                1 => bytes.truncate(bytes.len() / 2),
                _ => bytes = b"not an entry".to_vec(),
            }
            std::fs::write(entry.path(), bytes).unwrap();
            damaged += 1;
        }
    }
    assert_eq!(damaged, 3);
    let out = run(&s, &["--cache-dir", dir.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), OUTPUTS, "{}", stderr(&out));
    assert_eq!(calls(&s).len(), 6, "every damaged entry was a miss");
    run(&s, &["--cache-dir", dir.to_str().unwrap()]);
    assert_eq!(calls(&s).len(), 6, "and was replaced by a sound one");
}

#[test]
fn a_folder_that_cannot_be_written_warns_once_and_changes_no_output() {
    let s = Scratch::new();
    manifest(&s, "1", "");
    s.file("p.cst", PIPELINE);
    // A file where the folder should be: every write fails (whoever runs the test, root too).
    let blocked = s.file("not-a-folder", b"");
    let out = run(&s, &["--cache-dir", &blocked]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), OUTPUTS);
    let err = stderr(&out);
    assert_eq!(err.matches("[asterism] warning: cache 'disk' (disk at").count(), 1, "{err}");
    assert!(err.contains("Not a directory") && err.contains("calls run uncached"), "{err}");
}

#[test]
fn processes_racing_on_one_folder_agree_and_fill_it_once() {
    let s = Scratch::new();
    manifest(&s, "1", "");
    s.file("p.cst", b"in text: String\ny = shout(text) with cache: 1h\nout y\n");
    let rows: String = (0..200).map(|k| format!("{{\"text\": \"row{}\"}}\n", k % 50)).collect();
    s.file("rows.ndjson", rows.as_bytes());
    let dir = s.path().join("calls");
    let racers: Vec<_> = (0..4)
        .map(|k| {
            let out = s.path().join(format!("out{k}.ndjson"));
            std::process::Command::new(env!("CARGO_BIN_EXE_asterism"))
                .args(["batch", "p.cst", "rows.ndjson", "-o", out.to_str().unwrap(), "--cache-dir"])
                .arg(&dir)
                .current_dir(s.path())
                .env("ASTERISM_NO_CACHE", "1")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for racer in racers {
        let out = racer.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let expected: String = (0..200).map(|k| format!("{{\"y\":\"ROW{}\"}}\n", k % 50)).collect();
    for k in 0..4 {
        assert_eq!(std::fs::read_to_string(s.path().join(format!("out{k}.ndjson"))).unwrap(), expected);
    }
    let executed = calls(&s).len();
    assert!((50..=200).contains(&executed), "each of 50 texts at least once, at most once per process: {executed}");
    let entries = count_entries(&dir);
    assert_eq!(entries, 50);
    let after = std::process::Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(["batch", "p.cst", "rows.ndjson", "-o", "again.ndjson", "--cache-dir"])
        .arg(&dir)
        .current_dir(s.path())
        .output()
        .unwrap();
    assert!(after.status.success(), "{}", stderr(&after));
    assert_eq!(calls(&s).len(), executed, "a later process finds all 50");
}

fn count_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|d| {
            std::fs::read_dir(d.path())
                .unwrap()
                .flatten()
                .filter(|f| !f.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .sum()
}

#[test]
fn cache_stats_and_clear_manage_the_folder() {
    let s = Scratch::new();
    manifest(&s, "1", "");
    s.file("p.cst", PIPELINE);
    let dir = s.path().join("calls");
    let dir = dir.to_str().unwrap();
    run(&s, &["--cache-dir", dir]);
    let stats = spawn(&["cache", "stats", "--cache-dir", dir], None, None);
    let text = String::from_utf8_lossy(&stats.stdout);
    assert!(text.starts_with(&format!("cache 'default/disk' (disk, {dir}): 3 entries, ")), "{text}");
    let cleared = spawn(&["cache", "clear", "--cache-dir", dir], None, None);
    assert_eq!(String::from_utf8_lossy(&cleared.stdout), "cache 'default/disk' (disk): removed 3 entries\n");
    assert_eq!(count_entries(Path::new(dir)), 0);
    let unknown = spawn(&["cache", "clear", "--cache-dir", dir, "--backend", "nope"], None, None);
    assert_eq!(unknown.status.code(), Some(10));
    assert!(stderr(&unknown).contains("no cache 'nope' (the caches are: default)"), "{}", stderr(&unknown));
}

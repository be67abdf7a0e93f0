//! Call caches in a real Redis server (started by the test on a loopback port): replicas share
//! results, a changed module version or a damaged entry is a miss, a server that dies or freezes
//! mid-run makes calls run uncached with one warning and never changes a run's outputs, and
//! `asterism cache stats|clear` see and remove the cache's keys only.

#[path = "support/redis.rs"]
mod redis_server;

use asterism::{Engine, Layout, Notice, NoticeKind, Status};
use redis::Commands;
use redis_server::RedisServer;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOURCE: &str = "in x: Int\ny = work(x) with cache: 1min, cache_backend: \"shared\"\nout y\n";

/// A manifest declaring the cache `shared` in `server`, with `extra` lines in its table.
fn manifest(dir: &Path, server: &RedisServer, extra: &str) -> std::path::PathBuf {
    let path = dir.join("asterism.toml");
    let text = format!("[caches.shared]\nkind = \"redis\"\nurl = \"{}\"\n{extra}\n", server.url());
    std::fs::write(&path, text).unwrap();
    path
}

/// An engine with the manifest and a module `work` of `version` (x * 10) counting its calls;
/// notices go to `notices`.
fn engine(manifest: &Path, version: &str, calls: &Arc<AtomicUsize>, notices: &Arc<Mutex<Vec<Notice>>>) -> Engine {
    let mut engine = Engine::new();
    engine.load_manifest(manifest).unwrap();
    let counter = calls.clone();
    let module = asterism::Module::sync(move |args| {
        counter.fetch_add(1, Ordering::SeqCst);
        let asterism::Value::Int(x) = args[0] else { return Err(asterism::ModuleError::new("not an Int")) };
        Ok(asterism::Value::Int(x * 10))
    });
    engine.register_module("work", "(x: Int) -> Int", module, version).unwrap();
    let notices = notices.clone();
    engine.set_reporter(move |n: Notice| notices.lock().unwrap().push(n));
    engine
}

fn run(engine: &Engine, x: i64) -> String {
    let pipeline = engine.compile("t.cst", SOURCE).unwrap();
    let inputs = pipeline.parse_inputs(format!("{{\"x\": {x}}}").as_bytes()).unwrap();
    let outcome = pipeline.run_blocking(&inputs);
    assert_eq!(outcome.status(), Status::Completed, "{:?}", outcome.errors());
    outcome.outputs_json(Layout::Compact)
}

/// Waits until `n` writes of the cache `shared` reached the server (they are sent in the
/// background).
fn written(engine: &Engine, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = engine.call_cache_stats();
        let writes = stats.iter().find(|(name, _)| name == "shared").map_or(0, |(_, s)| s.tiers[0].writes);
        if writes >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{n} writes never landed: {stats:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn notices() -> Arc<Mutex<Vec<Notice>>> {
    Arc::default()
}

#[test]
fn replicas_share_results_through_redis_and_a_new_version_misses() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), &server, "prefix = \"test:share:\"");
    let (first_calls, second_calls, third_calls) = (Arc::default(), Arc::default(), Arc::default());
    let first = engine(&manifest, "1", &first_calls, &notices());
    for x in 1..=3 {
        assert_eq!(run(&first, x), format!("{{\"y\":{}}}", x * 10));
    }
    written(&first, 3);
    let second = engine(&manifest, "1", &second_calls, &notices());
    for x in 1..=3 {
        assert_eq!(run(&second, x), format!("{{\"y\":{}}}", x * 10));
    }
    assert_eq!((first_calls.load(Ordering::SeqCst), second_calls.load(Ordering::SeqCst)), (3, 0));
    let stats = second.call_cache_stats();
    let (_, shared) = stats.iter().find(|(n, _)| n == "shared").unwrap();
    assert_eq!((shared.hits, shared.misses, shared.tiers[0].hits, shared.tiers[0].kind.as_str()), (3, 0, 3, "redis"));

    // Another version of the module is another function: nothing stored for it.
    let third = engine(&manifest, "2", &third_calls, &notices());
    assert_eq!(run(&third, 1), "{\"y\":10}");
    assert_eq!(third_calls.load(Ordering::SeqCst), 1);
    written(&third, 1);
    let keys: Vec<Vec<u8>> = server.connection().keys("test:share:*").unwrap();
    assert_eq!(keys.len(), 3 + 1, "three of version 1, one of version 2, under the prefix");
}

#[test]
fn a_damaged_entry_is_a_miss_and_never_a_wrong_value() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), &server, "");
    let calls = Arc::default();
    let writer = engine(&manifest, "1", &calls, &notices());
    run(&writer, 7);
    written(&writer, 1);
    let mut redis = server.connection();
    let keys: Vec<Vec<u8>> = redis.keys("asterism:c1:*").unwrap();
    assert_eq!(keys.len(), 1);
    let mut bytes: Vec<u8> = redis.get(&keys[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let () = redis.set(&keys[0], &bytes).unwrap();
    let reader_calls = Arc::new(AtomicUsize::new(0));
    let reader = engine(&manifest, "1", &reader_calls, &notices());
    assert_eq!(run(&reader, 7), "{\"y\":70}");
    assert_eq!(reader_calls.load(Ordering::SeqCst), 1, "the damaged entry was not used");
    written(&reader, 1); // its sound value replaced the damaged one
    // A foreign value under the key (another program's) is a miss too.
    let () = redis.set(&keys[0], b"{\"y\": 1}").unwrap();
    let other = Arc::new(AtomicUsize::new(0));
    assert_eq!(run(&engine(&manifest, "1", &other, &notices()), 7), "{\"y\":70}");
    assert_eq!(other.load(Ordering::SeqCst), 1);
}

#[test]
fn a_server_killed_mid_run_leaves_calls_uncached_with_one_warning() {
    let mut server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), &server, "timeout = \"100ms\"");
    let (calls, seen) = (Arc::new(AtomicUsize::new(0)), notices());
    let engine = engine(&manifest, "1", &calls, &seen);
    assert_eq!(run(&engine, 1), "{\"y\":10}");
    written(&engine, 1);
    server.kill();
    let source = "in x: Int\na = work(x) with cache: 1min, cache_backend: \"shared\"\n\
                  b = work(x + 1) with cache: 1min, cache_backend: \"shared\"\nout a\nout b\n";
    let pipeline = engine.compile("t.cst", source).unwrap();
    for x in 1..=5 {
        let outcome = pipeline.run_blocking(&pipeline.parse_inputs(format!("{{\"x\": {x}}}").as_bytes()).unwrap());
        assert_eq!(outcome.status(), Status::Completed);
        assert_eq!(outcome.outputs_json(Layout::Compact), format!("{{\"a\":{},\"b\":{}}}", x * 10, x * 10 + 10));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1 + 10, "every call ran once the server was gone");
    let warnings: Vec<String> =
        seen.lock().unwrap().iter().filter(|n| n.kind == NoticeKind::Cache).map(|n| n.message.clone()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with(&format!("cache 'shared' (redis at 127.0.0.1:{})", server.port)), "{warnings:?}");
    let stats = engine.call_cache_stats();
    let (_, shared) = stats.iter().find(|(n, _)| n == "shared").unwrap();
    assert!(shared.tiers[0].errors >= 1);
}

#[test]
fn a_frozen_server_costs_a_call_its_timeout_and_then_nothing() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest(dir.path(), &server, "timeout = \"50ms\"");
    let (calls, seen) = (Arc::new(AtomicUsize::new(0)), notices());
    let engine = engine(&manifest, "1", &calls, &seen);
    assert_eq!(run(&engine, 1), "{\"y\":10}", "connected before the freeze");
    server.freeze(true);
    let outcome =
        std::thread::scope(|s| s.spawn(|| (2..=4).map(|x| run(&engine, x)).collect::<Vec<_>>()).join().unwrap());
    server.freeze(false);
    assert_eq!(outcome, ["{\"y\":20}", "{\"y\":30}", "{\"y\":40}"]);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(seen.lock().unwrap().iter().filter(|n| n.kind == NoticeKind::Cache).count(), 1);
}

#[test]
fn an_unset_url_variable_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asterism.toml");
    std::fs::write(&path, "[caches.shared]\nkind = \"redis\"\nurl_env = \"ASTERISM_TEST_NO_SUCH_VARIABLE\"\n").unwrap();
    let (calls, seen) = (Arc::new(AtomicUsize::new(0)), notices());
    let engine = engine(&path, "1", &calls, &seen);
    assert_eq!(run(&engine, 2), "{\"y\":20}");
    assert_eq!(run(&engine, 2), "{\"y\":20}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let seen = seen.lock().unwrap();
    let warnings: Vec<&Notice> = seen.iter().filter(|n| n.kind == NoticeKind::Cache).collect();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("ASTERISM_TEST_NO_SUCH_VARIABLE is not set"), "{}", warnings[0].message);
}

#[test]
fn cache_stats_and_clear_see_and_remove_the_caches_keys_only() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    // A prefix with a glob character: `clear` must not read it as a pattern.
    let manifest = manifest(dir.path(), &server, "prefix = \"app*:\"");
    let calls = Arc::default();
    let engine = engine(&manifest, "1", &calls, &notices());
    for x in 1..=4 {
        run(&engine, x);
    }
    written(&engine, 4);
    let mut redis = server.connection();
    let () = redis.set("someone:else", "kept").unwrap();
    let () = redis.set("apples:too", "kept").unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asterism"))
            .args(args)
            .arg("--modules")
            .arg(&manifest)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, stats) = cli(&["cache", "stats", "--json"]);
    assert_eq!(code, Some(0), "{stats}");
    let doc: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(doc["caches"][0]["name"], "shared");
    assert_eq!(doc["caches"][0]["entries"], 4);
    let (code, cleared) = cli(&["cache", "clear", "--backend", "shared"]);
    assert_eq!((code, cleared.as_str()), (Some(0), "cache 'shared' (redis): removed 4 entries\n"));
    let mut left: Vec<String> = redis.keys("*").unwrap();
    left.sort();
    assert_eq!(left, ["apples:too", "someone:else"]);
}

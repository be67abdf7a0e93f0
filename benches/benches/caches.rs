//! What a call served by its cache costs (issue: caches that outlive a run), in one process:
//!
//! - `memory`, `disk`: a chain of 100 cached calls, every value stored beforehand, run after run;
//!   the time of a run over 100 is the cost of one cached call: the key (blake3 over the call
//!   site and the argument), the lookup, the value back, the node in the run. Memory: `y(k+1) =
//!   step(y(k)) with cache: 1h` (Int to Int); disk: `y(k+1) = work(y(k).n)`, 200-byte records. Beside it, plain Rust doing the
//!   lookup a host would write by hand: the same blake3 key, then a `Mutex<HashMap>` get and
//!   clone (memory), a `std::fs::read` of the entry's file (disk: 200-byte values).
//! - `redis`: a one-node pipeline served from a Redis server on loopback (started here, Debian's
//!   `redis-server`), beside a bare `GET` of the same bytes with the same client in the same
//!   arrangement: `redis::aio::ConnectionManager` driven by a one-worker runtime of its own,
//!   awaited from the caller's current-thread runtime.
//!
//! Goals: memory ≤ 200 ns, disk ≤ 20 µs per cached call, Redis ≤ 1.5 × the bare GET. Variants
//! alternate in rounds so drift falls on all; p50 and mean per call are reported.
//!
//! Run with `cargo bench -p asterism-benches --bench caches` (needs redis-server on PATH).

#[path = "../../tests/support/redis.rs"]
mod redis_server;

use asterism::{Engine, Inputs, Pipeline, Value};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    per_round: usize,
}

const FULL: Plan = Plan { rounds: 5, per_round: 2_000 };
const SMOKE: Plan = Plan { rounds: 1, per_round: 5 };
const CHAIN: usize = 100;

type Samples = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// A 200-byte value: what `work` returns (a record of a number and padding text).
fn value(n: i64) -> Value {
    Value::Record(Arc::from([Value::Int(n), Value::str("x".repeat(180))]))
}

fn engine(manifest: &std::path::Path) -> Engine {
    let mut engine = Engine::new();
    engine.load_manifest(manifest).unwrap();
    engine
        .register_module(
            "work",
            "(n: Int) -> { n: Int, pad: String }",
            asterism::Module::sync(|args| match args[0] {
                Value::Int(n) => Ok(value(n + 1)),
                _ => Err(asterism::ModuleError::new("not an Int")),
            }),
            "1",
        )
        .unwrap();
    engine
        .register_module(
            "step",
            "(n: Int) -> Int",
            asterism::Module::sync(|args| match args[0] {
                Value::Int(n) => Ok(Value::Int(n + 1)),
                _ => Err(asterism::ModuleError::new("not an Int")),
            }),
            "1",
        )
        .unwrap();
    engine
}

/// The chain of `CHAIN` cached calls of `step` (Int to Int) in the cache `backend`.
fn steps(engine: &Engine, backend: &str) -> Pipeline {
    let mut src = format!(
        "in x: Int
y0 = step(x) with cache: 1h, cache_backend: \"{backend}\"\n"
    );
    for k in 1..CHAIN {
        src.push_str(&format!("y{k} = step(y{}) with cache: 1h, cache_backend: \"{backend}\"\n", k - 1));
    }
    src.push_str(&format!("out y{}\n", CHAIN - 1));
    engine.compile("steps.cst", &src).unwrap()
}

/// The chain of `CHAIN` cached calls in the cache `backend`.
fn chain(engine: &Engine, backend: &str) -> Pipeline {
    let mut src = format!("in x: Int\ny0 = work(x) with cache: 1h, cache_backend: \"{backend}\"\n");
    for k in 1..CHAIN {
        src.push_str(&format!("y{k} = work(y{}.n) with cache: 1h, cache_backend: \"{backend}\"\n", k - 1));
    }
    src.push_str(&format!("out y{}\n", CHAIN - 1));
    engine.compile("chain.cst", &src).unwrap()
}

/// Nanoseconds per item of each call of `f` (which does `per` items).
fn time(samples: &mut Vec<f64>, per: usize, mut f: impl FnMut()) {
    let t = Instant::now();
    f();
    samples.push(t.elapsed().as_nanos() as f64 / per as f64);
}

fn stats(samples: &[f64]) -> (f64, f64) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    (s[s.len() / 2], s.iter().sum::<f64>() / s.len() as f64)
}

fn row(name: &str, ours: &[f64], peer_name: &str, peer: &[f64], unit: f64, unit_name: &str) {
    let ((p50, mean), (q50, qmean)) = (stats(ours), stats(peer));
    println!(
        "{name:<8} {:>9.2} {:>9.2} {unit_name}  │ {peer_name:<28} {:>9.2} {:>9.2} {unit_name}  │ ×{:.2} (p50)",
        p50 / unit,
        mean / unit,
        q50 / unit,
        qmean / unit,
        p50 / q50
    );
}

fn main() {
    let plan = if std::env::args().any(|a| a == "--bench") { FULL } else { SMOKE };
    let server = redis_server::RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("asterism.toml");
    let text = format!(
        "[caches.mem]\nkind = \"memory\"\nmax_entries = 100000\n\n[caches.disk]\nkind = \"disk\"\npath = \"calls\"\n\n\
         [caches.redis]\nkind = \"redis\"\nurl = \"{}\"\n",
        server.url()
    );
    std::fs::write(&manifest, text).unwrap();
    let engine = engine(&manifest);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let inputs: Inputs = chain(&engine, "mem").parse_inputs(br#"{"x": 1}"#).unwrap();
    let (mem, disk) = (steps(&engine, "mem"), chain(&engine, "disk"));
    let one =
        engine.compile("one.cst", "in x: Int\ny = work(x) with cache: 1h, cache_backend: \"redis\"\nout y\n").unwrap();

    // Fill every cache, and let Redis's writes land.
    rt.block_on(async {
        for p in [&mem, &disk, &one] {
            assert!(p.run(&inputs).await.errors().is_empty());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    });

    // Plain Rust's memory lookup: blake3 of a site and an argument, a locked map, a clone.
    let map: Mutex<HashMap<[u8; 32], Value>> =
        Mutex::new((0..CHAIN as i64).map(|n| (key(n), Value::Int(n + 1))).collect());
    // Plain Rust's disk read: the entry files themselves.
    let files: Vec<std::path::PathBuf> = walk(&dir.path().join("calls"));
    assert_eq!(files.len(), CHAIN, "every chained call stored on disk");
    // The bare GET: the same client arrangement the backend uses.
    let bg = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let connection = {
        let _inside = bg.enter();
        let config = redis::aio::ConnectionManagerConfig::new().set_number_of_retries(0);
        redis::aio::ConnectionManager::new_lazy_with_config(redis::Client::open(server.url()).unwrap(), config).unwrap()
    };
    let stored: Vec<Vec<u8>> = {
        let mut c = server.connection();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("asterism:c1:*").query(&mut c).unwrap();
        assert_eq!(keys.len(), 1);
        keys
    };
    let bare_get = || {
        let mut c = connection.clone();
        let key = stored[0].clone();
        let handle = bg.handle().clone();
        async move {
            handle
                .spawn(async move { redis::cmd("GET").arg(key).query_async::<Option<Vec<u8>>>(&mut c).await })
                .await
                .unwrap()
                .unwrap()
        }
    };

    let (mut s_mem, mut s_map, mut s_disk, mut s_read, mut s_redis, mut s_get): Samples = Default::default();
    let started = Instant::now();
    for _ in 0..plan.rounds {
        // A run of the chain waits (its calls are on the scheduler): run it to the end.
        for _ in 0..plan.per_round / 20 {
            let t = Instant::now();
            black_box(rt.block_on(mem.run(&inputs)));
            s_mem.push(t.elapsed().as_nanos() as f64 / CHAIN as f64);
            time(&mut s_map, CHAIN, || {
                for n in 0..CHAIN as i64 {
                    black_box(map.lock().unwrap().get(&key(black_box(n))).cloned());
                }
            });
            let t = Instant::now();
            black_box(rt.block_on(disk.run(&inputs)));
            s_disk.push(t.elapsed().as_nanos() as f64 / CHAIN as f64);
            time(&mut s_read, CHAIN, || {
                for f in &files {
                    black_box(std::fs::read(f).unwrap());
                }
            });
        }
        for _ in 0..plan.per_round {
            let t = Instant::now();
            black_box(rt.block_on(one.run(&inputs)));
            s_redis.push(t.elapsed().as_nanos() as f64);
            let t = Instant::now();
            black_box(rt.block_on(bare_get()));
            s_get.push(t.elapsed().as_nanos() as f64);
        }
    }
    let stats = engine.call_cache_stats();
    for (name, s) in &stats {
        let filled = if name == "redis" { 1 } else { CHAIN as u64 };
        assert_eq!(s.misses, filled, "cache {name}: every measured call was a hit: {s:?}");
    }
    println!(
        "\ncached calls, served from each backend ({} rounds; {:.1} s)",
        plan.rounds,
        started.elapsed().as_secs_f64()
    );
    println!("backend      p50      mean       │ plain Rust / bare client          p50      mean       │ ratio");
    row("memory", &s_mem, "blake3 key + Mutex<HashMap>", &s_map, 1.0, "ns");
    row("disk", &s_disk, "std::fs::read of the entry", &s_read, 1000.0, "µs");
    row("redis", &s_redis, "bare GET, same client", &s_get, 1000.0, "µs");
    println!("(memory and disk: per call of a {CHAIN}-call chain; redis: per one-node run, the run itself included)");
}

fn key(n: i64) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"site").update(&n.to_le_bytes());
    *h.finalize().as_bytes()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else if !entry.file_name().to_string_lossy().starts_with('.') {
            out.push(entry.path());
        }
    }
    out
}

//! Asterism beside plain Rust and its peer, in one binary and one run, so that every change sees
//! its ratios (issue 11). Every node body is a trivial string operation (upper- or lower-casing
//! "Hello, Asterism"), so only orchestration counts.
//!
//! Workloads: a chain of 100 and of 500 calls (time per node), the fan-out of one input into 50
//! chains of 10 (time per run), and a one-node run (p50 and p99 of 10,000 single runs).
//!
//! Variants:
//! - plain Rust: the same bodies called directly;
//! - stdlib nodes: `Uppercase`/`Lowercase`, run with `run_blocking`;
//! - `register_fn`: the bodies as synchronous host functions, `run_blocking`;
//! - `register_async_fn`: as async host functions returning ready futures, `Pipeline::run` under
//!   `block_on` of a current-thread and of a multi-thread tokio runtime;
//! - dagx 0.3, the fastest Rust DAG executor found: the same graph of `#[task]`s built and run
//!   each time (a dagx graph runs once), spawning on the same two runtimes.
//!
//! Times are the median of five rounds of ~100 ms each. Run with
//! `cargo bench -p asterism-benches --bench peer`.
// dagx's tasks take their inputs as references to the producers' output types (`&String`).
#![allow(clippy::ptr_arg)]

use asterism::{Engine, Layout};
use dagx::{DagRunner, Task, TaskHandle, task};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[path = "../shapes/chain.rs"]
mod chain;
#[path = "../shapes/fan_out.rs"]
mod fan_out;
use chain::chain;
use fan_out::fan_out_of;

const TEXT: &str = "Hello, Asterism";

fn up(text: &str) -> String {
    text.to_uppercase()
}

fn down(text: &str) -> String {
    text.to_lowercase()
}

/// The body of the `i`-th call of a chain: upper-casing first, then alternating.
fn body(i: usize, text: &str) -> String {
    if i.is_multiple_of(2) { up(text) } else { down(text) }
}

// ---- plain Rust ----

fn plain_chain(n: usize) -> String {
    let mut text = body(0, black_box(TEXT));
    for i in 1..n {
        text = body(i, &text);
    }
    text
}

fn plain_fan_out(branches: usize, depth: usize) -> Vec<String> {
    (0..branches)
        .map(|_| {
            let mut text = body(0, black_box(TEXT));
            for d in 1..depth {
                text = body(d, &text);
            }
            text
        })
        .collect()
}

// ---- dagx ----

struct Source;

#[task]
impl Source {
    async fn run(&self) -> String {
        TEXT.to_string()
    }
}

struct Up;

#[task]
impl Up {
    async fn run(text: &String) -> String {
        up(text)
    }
}

struct Down;

#[task]
impl Down {
    async fn run(text: &String) -> String {
        down(text)
    }
}

/// A chain of `n` calls after `from`, in `dag`.
fn dagx_chain(dag: &DagRunner, from: &TaskHandle<String>, n: usize) -> TaskHandle<String> {
    let mut last = dag.add_task(Up).depends_on(from);
    for i in 1..n {
        last = if i % 2 == 0 { dag.add_task(Up).depends_on(last) } else { dag.add_task(Down).depends_on(last) };
    }
    last
}

fn dagx_run(rt: &Runtime, branches: usize, depth: usize) -> Vec<String> {
    rt.block_on(async {
        let dag = DagRunner::new();
        let source: TaskHandle<String> = dag.add_task(Source).into();
        let ends: Vec<_> = (0..branches).map(|_| dagx_chain(&dag, &source, depth)).collect();
        dag.run(|fut| {
            tokio::spawn(fut);
        })
        .await
        .unwrap();
        ends.into_iter().map(|end| dag.get(end).unwrap()).collect()
    })
}

// ---- Asterism ----

fn engines() -> [(&'static str, Engine, &'static str, &'static str); 3] {
    let stdlib = Engine::new();
    let mut sync = Engine::new();
    sync.register_fn("up", &["text"], |t: String| up(&t)).unwrap();
    sync.register_fn("down", &["text"], |t: String| down(&t)).unwrap();
    let mut asynchronous = Engine::new();
    asynchronous.register_async_fn("up", &["text"], |t: String| async move { up(&t) }).unwrap();
    asynchronous.register_async_fn("down", &["text"], |t: String| async move { down(&t) }).unwrap();
    [("stdlib", stdlib, "Uppercase", "Lowercase"), ("sync", sync, "up", "down"), ("async", asynchronous, "up", "down")]
}

// ---- measuring ----

/// The median time of one call of `f` over five rounds of about 100 ms.
fn per_call(f: &mut dyn FnMut()) -> Duration {
    let mut n: u32 = 1;
    let calibration = loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        let took = t.elapsed();
        if took >= Duration::from_millis(20) {
            break took / n;
        }
        n *= 2;
    };
    let per_round = (Duration::from_millis(100).as_nanos() / calibration.as_nanos().max(1)).max(1) as u32;
    let mut rounds: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                f();
            }
            t.elapsed() / per_round
        })
        .collect();
    rounds.sort();
    rounds[2]
}

/// p50 and p99 of 10,000 single calls of `f`, after 1,000 to warm up.
fn percentiles(f: &mut dyn FnMut()) -> (Duration, Duration) {
    for _ in 0..1_000 {
        f();
    }
    let mut samples: Vec<Duration> = (0..10_000)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    (samples[5_000], samples[9_900])
}

/// One row's figure: a time in nanoseconds, and a p99 where single runs were timed.
type Figure = (f64, Option<f64>);

struct Table {
    title: String,
    unit: &'static str,
    rows: Vec<(&'static str, Figure)>,
}

impl Table {
    fn print(&self) {
        let of = |name: &str| self.rows.iter().find(|r| r.0 == name).map(|r| r.1.0);
        let (plain, peer) = (of("plain Rust"), of("dagx, multi-thread"));
        println!("\n{} ({}):", self.title, self.unit);
        for (variant, (ns, p99)) in &self.rows {
            let shown =
                |ns: f64| if ns >= 10_000.0 { format!("{:.1} µs", ns / 1_000.0) } else { format!("{ns:.0} ns") };
            let p99 = p99.map(|p| format!("  p99 {}", shown(p))).unwrap_or_default();
            let ratio = |to: Option<f64>| to.map(|t| format!("{:>7.2}×", ns / t)).unwrap_or_default();
            println!("  {variant:<34}{:>10}{p99:<16}{} plain {} dagx", shown(*ns), ratio(plain), ratio(peer));
        }
    }
}

/// Measures every variant on one workload: `plain` and `dagx` run it directly (`dagx` on the
/// given runtime); the Asterism variants run `src(up, down)`, whose output must be `expected`.
fn workload(
    title: String,
    unit: &'static str,
    measure: &dyn Fn(&mut dyn FnMut()) -> Figure,
    plain: &dyn Fn(),
    dagx: &dyn Fn(&Runtime),
    src: &dyn Fn(&str, &str) -> String,
    expected: &str,
) {
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut rows = vec![("plain Rust", measure(&mut || plain()))];
    for (kind, engine, up, down) in engines() {
        let p = engine.compile("peer.cst", &src(up, down)).unwrap_or_else(|d| panic!("{d}"));
        let inputs = p.parse_inputs(format!(r#"{{"text": "{TEXT}"}}"#).as_bytes()).unwrap();
        assert_eq!(p.run_blocking(&inputs).outputs_json(Layout::Compact), expected);
        let mut blocking = || drop(black_box(p.run_blocking(black_box(&inputs))));
        match kind {
            "stdlib" => rows.push(("stdlib nodes", measure(&mut blocking))),
            "sync" => rows.push(("register_fn", measure(&mut blocking))),
            _ => {
                for (name, rt) in
                    [("register_async_fn, current-thread", &current), ("register_async_fn, multi-thread", &multi)]
                {
                    rows.push((name, measure(&mut || drop(black_box(rt.block_on(p.run(black_box(&inputs))))))));
                }
            }
        }
    }
    rows.push(("dagx, current-thread", measure(&mut || dagx(&current))));
    rows.push(("dagx, multi-thread", measure(&mut || dagx(&multi))));
    Table { title, unit, rows }.print();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then one quick pass
    // shows only that the peer computes what the others do.
    if !std::env::args().any(|a| a == "--bench") {
        let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        assert_eq!(dagx_run(&current, 2, 3), plain_fan_out(2, 3));
        return;
    }
    for n in [100, 500] {
        let per_node: &dyn Fn(&mut dyn FnMut()) -> Figure = &|f| (per_call(f).as_nanos() as f64 / n as f64, None);
        workload(
            format!("chain of {n}"),
            "per node",
            per_node,
            &|| drop(black_box(plain_chain(n))),
            &|rt| drop(black_box(dagx_run(rt, 1, n))),
            &|up, down| chain(n, up, down),
            &format!(r#"{{"c{}":"{}"}}"#, n - 1, plain_chain(n)),
        );
    }
    let outputs: Vec<String> =
        plain_fan_out(50, 10).iter().enumerate().map(|(b, text)| format!(r#""b{b}_9":"{text}""#)).collect();
    workload(
        "fan-out 1 → 50 × 10 → 50".into(),
        "per run",
        &|f| (per_call(f).as_nanos() as f64, None),
        &|| drop(black_box(plain_fan_out(50, 10))),
        &|rt| drop(black_box(dagx_run(rt, 50, 10))),
        &|up, down| fan_out_of(50, 10, up, down),
        &format!("{{{}}}", outputs.join(",")),
    );
    workload(
        "one node".into(),
        "p50 of 10,000 single runs",
        &|f| {
            let (p50, p99) = percentiles(f);
            (p50.as_nanos() as f64, Some(p99.as_nanos() as f64))
        },
        &|| drop(black_box(plain_chain(1))),
        &|rt| drop(black_box(dagx_run(rt, 1, 1))),
        &|up, down| chain(1, up, down),
        &format!(r#"{{"c0":"{}"}}"#, plain_chain(1)),
    );
}

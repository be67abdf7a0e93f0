//! Growth with the size of the input, at 1×, 10× and 100×: nothing a user sends may cost time
//! quadratic in its size. Each group reports time per element (criterion's throughput), which
//! stays flat when the growth is linear.
//!
//! - checking a program with N variables and N undefined names (the "did you mean" search);
//! - checking N `out` declarations, and a record literal of N fields;
//! - running `list-unique` over N distinct strings;
//! - reading an inputs document of N wrong-typed list elements (the error list is capped).

use asterism::Engine;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn group<'a>(c: &'a mut Criterion, name: &str) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    g
}

fn check(c: &mut Criterion, name: &str, base: usize, program: impl Fn(usize) -> String) {
    let engine = Engine::new();
    let mut g = group(c, name);
    for n in [base, base * 10, base * 100] {
        let src = program(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| engine.check("s.cst", black_box(src)))
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    check(c, "check: undefined names among variables", 500, |n| {
        let vars: String = (0..n).map(|i| format!("v{i} = {i}\n")).collect();
        let uses: String = (0..n).map(|i| format!("u{i} = w{i} + 1\n")).collect();
        format!("{vars}{uses}out v0\n")
    });
    check(c, "check: out declarations", 1_000, |n| {
        let vars: String = (0..n).map(|i| format!("v{i} = {i}\n")).collect();
        let outs: String = (0..n).map(|i| format!("out v{i}\n")).collect();
        format!("{vars}{outs}")
    });
    check(c, "check: record literal fields", 500, |n| {
        let fields: Vec<String> = (0..n).map(|i| format!("f{i}: {i}")).collect();
        format!("r = {{{}}}\nout r\n", fields.join(", "))
    });
}

fn run(c: &mut Criterion) {
    let engine = Engine::new();
    let unique = engine.compile("u.cst", "in xs: List<String>\nu = list-unique(xs)\nout u\n").unwrap();
    let mut g = group(c, "run: list-unique of distinct strings");
    for n in [1_000, 10_000, 100_000] {
        let words: Vec<String> = (0..n).map(|i| format!("\"w{i}\"")).collect();
        let inputs = unique.parse_inputs(format!("{{\"xs\": [{}]}}", words.join(",")).as_bytes()).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &inputs, |b, inputs| {
            b.iter(|| unique.run_blocking(black_box(inputs)))
        });
    }
    g.finish();
    let ints = engine.compile("i.cst", "in xs: List<Int>\nn = list-length(xs)\nout n\n").unwrap();
    let mut g = group(c, "inputs: wrong-typed elements");
    for n in [10_000, 100_000, 1_000_000] {
        let doc = format!("{{\"xs\": [{}]}}", vec!["\"a\""; n].join(","));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &doc, |b, doc| {
            b.iter(|| ints.parse_inputs(black_box(doc.as_bytes())).unwrap_err())
        });
    }
    g.finish();
}

criterion_group!(benches, compile, run);
criterion_main!(benches);

//! Compile-time benchmarks: `parse` alone and `parse` + `check` of programs shaped like the
//! reference's small (~15 lines), medium (~80) and large (~200) fixtures, and of a generated
//! 1,000-statement stress program. Also the whole `check` as the embedded API runs it, including
//! building the standard registry.

use asterism_compiler::check_source as compile;
use asterism_registry::Registry;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SMALL: &str = include_str!("../programs/small.cst");
const MEDIUM: &str = include_str!("../programs/medium.cst");
const LARGE: &str = include_str!("../programs/large.cst");

/// A chain of 1,000 statements mixing Boolean logic, arithmetic, guards and coalesce.
fn stress(statements: usize) -> String {
    let mut src = String::from("type Input = { flag: Boolean, value: Int }\nin input: Input\nin fallback: Int\n");
    src.push_str("b0 = input.flag\nv0 = input.value\n");
    for i in 1..statements / 2 {
        let p = i - 1;
        let b = match i % 4 {
            0 => format!("b{p} and input.flag"),
            1 => format!("b{p} or not input.flag"),
            2 => format!("not b{p}"),
            _ => format!("(b{p} and input.flag) or v{p} > 10"),
        };
        let v = match i % 3 {
            0 => format!("v{p} + 1"),
            1 => format!("(v{p} when b{i}) ?? fallback"),
            _ => format!("if (b{i}) v{p} * 2 else v{p} - 1"),
        };
        src.push_str(&format!("b{i} = {b}\nv{i} = {v}\n"));
    }
    let last = statements / 2 - 1;
    src.push_str(&format!("out b{last}\nout v{last}\n"));
    src
}

fn programs() -> Vec<(&'static str, String)> {
    vec![("small", SMALL.into()), ("medium", MEDIUM.into()), ("large", LARGE.into()), ("stress-1000", stress(1000))]
}

fn bench(c: &mut Criterion) {
    let registry = Registry::standard();
    for (name, src) in programs() {
        assert!(compile(&src, &registry).diagnostics.iter().all(|d| !d.is_error()), "{name} must compile");
    }
    let mut parse = c.benchmark_group("parse");
    for (name, src) in programs() {
        parse.throughput(Throughput::Bytes(src.len() as u64));
        parse.bench_with_input(BenchmarkId::from_parameter(name), &src, |b, src| {
            b.iter(|| asterism_lang::parse(black_box(src)))
        });
    }
    parse.finish();
    let mut check = c.benchmark_group("parse+check");
    for (name, src) in programs() {
        check.throughput(Throughput::Bytes(src.len() as u64));
        check.bench_with_input(BenchmarkId::from_parameter(name), &src, |b, src| {
            b.iter(|| compile(black_box(src), &registry))
        });
    }
    check.finish();
    c.bench_function("registry/standard", |b| b.iter(Registry::standard));
}

criterion_group!(benches, bench);
criterion_main!(benches);

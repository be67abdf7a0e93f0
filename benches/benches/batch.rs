//! The batch benchmark (issue 15): 1,000,000 rows through a small standard-library pipeline,
//! NDJSON in and out through files, with `asterism::batch::run` as `asterism batch` runs it (a
//! reader thread ahead, the runs in place), beside a plain Rust loop that only parses each line
//! with simd-json and writes it back — the I/O limit — in the same run. Reported: rows per
//! second of each, the ratio, and the peak resident set (VmHWM) after the batch. Goal: ≥ 500,000
//! rows/s, ≥ 0.5× the plain loop, peak RSS ≤ 64 MB.
//!
//! Then a stream of `ASTERISM_BENCH_STREAM_MB` (2048) MiB of rows, made as they are read, to a
//! sink: memory must stay bounded whatever the input's size (the peak RSS after it).
//!
//! Run with `cargo bench -p asterism-benches --bench batch`; `ASTERISM_BENCH_ROWS` changes the
//! number of rows.

use asterism::Engine;

/// The allocator of the `asterism` binary, for this whole benchmark (both sides).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asterism::batch::{self, Hooks, Options};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

const PIPELINE: &str = "in name: String\nin n: Int\ngreeting = \"Hello, ${name}!\"\ndouble = n * 2\nbig = n > 500\nout greeting\nout double\nout big\n";

fn main() {
    let rows: u64 = std::env::var("ASTERISM_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.ndjson");
    {
        let mut out = BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..rows {
            writeln!(out, "{{\"name\":\"user{i}\",\"n\":{}}}", i % 1000).unwrap();
        }
    }
    let engine = Engine::new();
    let pipeline = engine.compile("bench.cst", PIPELINE).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    for round in 0..3 {
        let t = Instant::now();
        let file = std::fs::File::open(&input).unwrap();
        let out = BufWriter::with_capacity(1 << 16, std::fs::File::create(dir.path().join("out.ndjson")).unwrap());
        let (_stopper, stop) = tokio::sync::watch::channel(false);
        let hooks = Hooks { failed: &mut |_, _| {}, progress: &mut |_| {}, stop };
        let (summary, stopped) =
            runtime.block_on(batch::run(&pipeline, Box::new(file), Box::new(out), hooks, &Options::default()));
        assert!(stopped.is_none() && summary.completed == rows);
        let ours = rows as f64 / t.elapsed().as_secs_f64();

        let t = Instant::now();
        let reader = BufReader::with_capacity(1 << 16, std::fs::File::open(&input).unwrap());
        let mut out =
            BufWriter::with_capacity(1 << 16, std::fs::File::create(dir.path().join("plain.ndjson")).unwrap());
        let mut n = 0u64;
        for line in reader.lines() {
            let mut bytes = line.unwrap().into_bytes();
            let value = simd_json::to_owned_value(&mut bytes).unwrap();
            simd_json::to_writer(&mut out, &value).unwrap();
            out.write_all(b"\n").unwrap();
            n += 1;
        }
        out.flush().unwrap();
        assert_eq!(n, rows);
        let plain = rows as f64 / t.elapsed().as_secs_f64();
        println!(
            "round {round}: asterism batch {ours:>9.0} rows/s, plain simd-json loop {plain:>9.0} rows/s, ratio {:.2}; run p50 {:?} p99 {:?}",
            ours / plain,
            summary.latency(0.5),
            summary.latency(0.99)
        );
    }
    println!("peak RSS {} KiB", peak_rss_kib());

    // Bounded memory: a stream of rows made as it is read (never held whole), to a sink.
    let megabytes: u64 = std::env::var("ASTERISM_BENCH_STREAM_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(2048);
    let stream = Rows { next: 0, line: Vec::new(), at: 0, left: megabytes << 20 };
    let t = Instant::now();
    let (_stopper, stop) = tokio::sync::watch::channel(false);
    let hooks = Hooks { failed: &mut |_, _| {}, progress: &mut |_| {}, stop };
    let (summary, stopped) = runtime.block_on(batch::run(
        &pipeline,
        Box::new(stream),
        Box::new(std::io::sink()),
        hooks,
        &Options::default(),
    ));
    assert!(stopped.is_none() && summary.failed == 0);
    println!(
        "streamed {megabytes} MiB ({} rows) in {:.1?}: {:.0} rows/s; peak RSS {} KiB",
        summary.rows,
        t.elapsed(),
        summary.rows as f64 / t.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
}

/// NDJSON rows made as they are read, `left` bytes in all (whole rows).
struct Rows {
    next: u64,
    line: Vec<u8>,
    at: usize,
    left: u64,
}

impl std::io::Read for Rows {
    /// As much as fits, as a fast producer's pipe would give.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.at == self.line.len() {
                if self.left == 0 {
                    break;
                }
                self.line.clear();
                let _ = writeln!(self.line, "{{\"name\":\"user{}\",\"n\":{}}}", self.next, self.next % 1000);
                self.next += 1;
                self.left = self.left.saturating_sub(self.line.len() as u64);
                self.at = 0;
            }
            let n = (buf.len() - filled).min(self.line.len() - self.at);
            buf[filled..filled + n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at += n;
            filled += n;
        }
        Ok(filled)
    }
}

/// This process's peak resident set (VmHWM), in KiB (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

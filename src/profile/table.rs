//! A profile as text for a terminal: the nodes that took the most time first (at most `ROWS`),
//! the critical path, then modules and caches.

use super::Report;
use std::fmt::Write;

/// Rows of nodes shown; the JSON document has them all.
const ROWS: usize = 25;

/// `850 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn micros(us: f64) -> String {
    match us {
        u if u < 1.0 => format!("{:.0} ns", u * 1e3),
        u if u < 1e3 => format!("{u:.1} µs"),
        u if u < 1e6 => format!("{:.2} ms", u / 1e3),
        u => format!("{:.2} s", u / 1e6),
    }
}

pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let memory = r.peak_memory_bytes.map(|b| format!(", peak memory {:.1} MiB", b as f64 / 1048576.0));
    let _ = writeln!(
        out,
        "profile of {} ({}): {} run{} in {}{}",
        r.pipeline,
        r.hash.get(..12).unwrap_or(&r.hash),
        r.runs,
        if r.runs == 1 { "" } else { "s" },
        micros(r.wall_ms * 1e3),
        memory.unwrap_or_default()
    );
    let mut rows: Vec<_> = r.nodes.iter().filter(|n| n.calls > 0).collect();
    rows.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms).then(a.node.cmp(&b.node)));
    let _ = writeln!(
        out,
        "\n  {:<24} {:>5} {:>8} {:>6} {:>10} {:>10} {:>10} {:>10} {:>6}  retries/hits",
        "node", "line", "calls", "failed", "total", "mean", "longest", "waiting", "share"
    );
    for n in rows.iter().take(ROWS) {
        let mark = if n.critical { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {:<24} {:>5} {:>8} {:>6} {:>10} {:>10} {:>10} {:>10} {:>5.1}%  {}/{}",
            clip(&n.title, 24),
            n.line,
            n.calls,
            n.failed,
            micros(n.total_ms * 1e3),
            micros(n.mean_us),
            micros(n.longest_us),
            micros(n.waiting_mean_us),
            n.share * 100.0,
            n.retries,
            n.cache_hits
        );
    }
    if rows.len() > ROWS {
        let _ = writeln!(out, "  … {} more nodes in --profile-json", rows.len() - ROWS);
    }
    let path: Vec<&str> = r.nodes.iter().filter(|n| n.critical).map(|n| n.title.as_str()).collect();
    if !path.is_empty() {
        let _ = writeln!(out, "\n* critical path, {} per run: {}", micros(r.critical_path_ms * 1e3), path.join(" → "));
    }
    if !r.modules.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<24} {:>8} {:>6} {:>10} {:>10} {:>10} {:>8} {:>10}",
            "module", "calls", "failed", "total", "mean", "longest", "batches", "mean size"
        );
        for m in &r.modules {
            let _ = writeln!(
                out,
                "  {:<24} {:>8} {:>6} {:>10} {:>10} {:>10} {:>8} {:>10.1}",
                clip(&m.name, 24),
                m.calls,
                m.failed,
                micros(m.total_ms * 1e3),
                micros(m.mean_us),
                micros(m.longest_us),
                m.batches,
                m.mean_batch
            );
        }
    }
    for c in &r.caches {
        let rate = c.hits as f64 * 100.0 / (c.hits + c.misses).max(1) as f64;
        let _ = writeln!(out);
        for (k, line) in c.lines().into_iter().enumerate() {
            let rate = if k == 0 { format!(" ({rate:.1}% hits)") } else { String::new() };
            let _ = writeln!(out, "  {line}{rate}");
        }
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    match text.chars().count() > max {
        true => format!("{}…", text.chars().take(max - 1).collect::<String>()),
        false => text.to_string(),
    }
}

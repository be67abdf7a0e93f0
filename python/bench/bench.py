"""The Python benchmark of issue 16 (not a test): Asterism from Python beside plain Python and
Hamilton on the same work, in one process, as in benches/peer.rs — every node upper- or
lower-cases "Hello, Asterism", so only orchestration counts.

Reported (p50 of many single runs, or the median of 5 rounds):
- a one-node run from Python: the standard library's Uppercase, and a Python function module
  (inline, `blocking=False`, and on the blocking threads, the default), beside the function
  called directly — the module call's cost is the difference;
- a chain of 100 nodes per node: Asterism's standard library, Asterism with Python functions,
  Hamilton with the same Python functions, and plain Python calls.

Goals: one-node run ≤ 3 µs p50; a Python module call ≤ 1 µs above the function; ≥ 10× faster
than Hamilton per node. Run (release build):
    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt -r bench/requirements.txt
    VIRTUAL_ENV=$PWD/.venv PATH=$PWD/.venv/bin:$PATH maturin develop --release
    .venv/bin/python bench/bench.py
"""

import statistics
import sys
import time
import types

import asterism

TEXT = "Hello, Asterism"


def upper(text: str) -> str:
    return text.upper()


def lower(text: str) -> str:
    return text.lower()


def p50_p99(f, n=20_000):
    for _ in range(1000):
        f()
    times = []
    for _ in range(n):
        t = time.perf_counter_ns()
        f()
        times.append(time.perf_counter_ns() - t)
    times.sort()
    return times[n // 2], times[n * 99 // 100]


def per_round(f, rounds=5, seconds=0.1):
    """The median over rounds of the time of one call of `f`, in ns."""
    results = []
    for _ in range(rounds):
        n, start = 0, time.perf_counter_ns()
        while time.perf_counter_ns() - start < seconds * 1e9:
            f()
            n += 1
        results.append((time.perf_counter_ns() - start) / n)
    return statistics.median(results)


def chain_source(length, stdlib):
    lines = ["in text: String"]
    prev = "text"
    for i in range(length):
        fn = ("Uppercase" if i % 2 == 0 else "Lowercase") if stdlib else ("up" if i % 2 == 0 else "down")
        lines.append(f"n{i} = {fn}({prev})")
        prev = f"n{i}"
    lines.append(f"out {prev}")
    return "\n".join(lines) + "\n"


def hamilton_driver(length):
    from hamilton import driver

    module = types.ModuleType("chain")
    for i in range(length):
        prev = "text" if i == 0 else f"n{i - 1}"
        body = "upper" if i % 2 == 0 else "lower"
        exec(f"def n{i}({prev}: str) -> str:\n    return {prev}.{body}()\n", module.__dict__)
    sys.modules["chain"] = module
    return driver.Builder().with_modules(module).build()


def main():
    engine = asterism.Engine()
    engine.register("t.up", upper, signature="(text: String) -> String", blocking=False)
    engine.register("t.down", lower, signature="(text: String) -> String", blocking=False)
    engine.register("t.up_blocking", upper, signature="(text: String) -> String")
    inputs = {"text": TEXT}

    print("one node (p50, p99 of 20,000 single runs):")
    direct = p50_p99(lambda: upper(TEXT))
    rows = {
        "the function called directly": direct,
        "asterism, stdlib Uppercase": p50_p99(lambda p=engine.compile("in text: String\nu = Uppercase(text)\nout u\n"): p.run(inputs)),
        "asterism, Python module inline": p50_p99(lambda p=engine.compile("in text: String\nu = up(text)\nout u\n"): p.run(inputs)),
        "asterism, Python module blocking": p50_p99(lambda p=engine.compile("in text: String\nu = up_blocking(text)\nout u\n"): p.run(inputs), n=5000),
    }
    for name, (p50, p99) in rows.items():
        print(f"  {name:<36} {p50 / 1000:7.2f} µs   p99 {p99 / 1000:7.2f} µs")
    module_cost = rows["asterism, Python module inline"][0] - rows["asterism, stdlib Uppercase"][0]
    print(f"  a Python module call costs {module_cost / 1000:.2f} µs more than a stdlib node (the function itself: {direct[0] / 1000:.2f} µs)")

    print("chain of 100 (per node, median of 5 rounds):")
    plain = per_round(lambda: [f(TEXT) for f in [upper, lower] * 50]) / 100
    stdlib_chain = engine.compile(chain_source(100, True))
    python_chain = engine.compile(chain_source(100, False))
    ours_stdlib = per_round(lambda: stdlib_chain.run(inputs)) / 100
    ours_python = per_round(lambda: python_chain.run(inputs)) / 100
    try:
        dr = hamilton_driver(100)
        hamilton = per_round(lambda: dr.execute(["n99"], inputs={"text": TEXT})) / 100
    except ImportError:
        hamilton = None
    for name, ns in [
        ("plain Python calls", plain),
        ("asterism, stdlib nodes", ours_stdlib),
        ("asterism, Python modules inline", ours_python),
        ("Hamilton, Python functions", hamilton),
    ]:
        if ns is None:
            print(f"  {name:<36} (not installed: pip install -r bench/requirements.txt)")
            continue
        ratio = f"   {hamilton / ns:6.1f}× faster than Hamilton" if hamilton else ""
        print(f"  {name:<36} {ns:8.0f} ns{ratio}")


if __name__ == "__main__":
    main()

"""The Python API: compile, run, errors, Python functions as modules, batches, async."""

import asyncio
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

import asterism

HELLO = 'in name: String\ngreeting = "Hello, ${name}!"\nout greeting\n'


def test_compile_and_run_give_outputs_hash_inputs_and_outputs():
    p = asterism.Engine().compile(HELLO)
    assert p.run({"name": "Ada"}) == {"greeting": "Hello, Ada!"}
    assert p.inputs == {"name": "String"} and p.outputs == {"greeting": "String"}
    assert len(p.hash) == 64 and p.hash == asterism.Engine().compile(HELLO).hash


def test_a_compile_error_renders_like_the_cli_and_carries_its_diagnostics():
    with pytest.raises(asterism.CompileError) as caught:
        asterism.Engine().compile("in x: Int\nout y\n", name="bad.cst")
    message = str(caught.value)
    assert "error[E001]: Undefined variable: y" in message and "--> bad.cst:2:5" in message
    (d,) = caught.value.diagnostics
    assert (d["code"], d["line"], d["column"], d["severity"]) == ("E001", 2, 5, "error")
    assert isinstance(caught.value, asterism.AsterismError)


def test_inputs_that_do_not_fit_raise_input_error_naming_each():
    p = asterism.Engine().compile("in n: Int\nin tags: List<String>\nout n\n")
    with pytest.raises(asterism.InputError) as caught:
        p.run({"n": "three", "tags": ["a", 4]})
    assert len(caught.value.errors) == 2
    assert caught.value.errors[0].startswith("input 'n': expected Int")
    assert caught.value.errors[1] == "input 'tags': field '[1]': expected String, got Number"
    with pytest.raises(asterism.InputError, match="missing"):
        p.run({"tags": []})


def test_types_map_both_ways():
    source = """
type Lead = { name: String, score: Float }
in lead: Lead
in counts: List<Int>
in weights: List<Float>
in note: Optional<String>
in on: Boolean
total = list-length(counts)
out lead
out total
out weights
out note
out on
"""
    p = asterism.Engine().compile(source)
    got = p.run({"lead": {"name": "a", "score": 1}, "counts": [1, 2], "weights": np.array([0.5, 1.5]), "on": True})
    assert got == {"lead": {"name": "a", "score": 1.0}, "total": 2, "weights": [0.5, 1.5], "note": None, "on": True}


def test_numpy_values_read_at_any_depth_and_bad_objects_are_input_errors():
    p = asterism.Engine().compile("type R = { v: List<Float>, k: Int }\nin r: R\nin xs: List<R>\nout r\nout xs\n")
    got = p.run({"r": {"v": np.array([1.0, 2.0]), "k": np.int64(3)}, "xs": [{"v": np.zeros(1), "k": 1}]})
    assert got == {"r": {"v": [1.0, 2.0], "k": 3}, "xs": [{"v": [0.0], "k": 1}]}
    with pytest.raises(asterism.InputError, match="unsupported type object"):
        p.run({"r": object(), "xs": []})


def test_python_functions_are_modules_and_their_exceptions_fail_their_node_only():
    engine = asterism.Engine()
    engine.register("text.shout", lambda t: t.upper() + "!", signature="(text: String) -> String")

    def picky(n):
        if n < 0:
            raise ValueError(f"negative: {n}")
        return n * 2

    engine.register("math.picky", picky, signature="(n: Int) -> Int", blocking=False)
    p = engine.compile("in n: Int\nin name: String\nloud = shout(name)\ndoubled = picky(n)\nout loud\nout doubled\n")
    assert p.run({"n": 2, "name": "ada"}) == {"loud": "ADA!", "doubled": 4}
    with pytest.raises(asterism.RunError) as caught:
        p.run({"n": -1, "name": "ada"})
    assert caught.value.outputs == {"loud": "ADA!"}, "the other branch still finished"
    (e,) = caught.value.errors
    assert e["message"] == "math.picky: ValueError: negative: -1" and e["line"] == 4


def test_a_result_of_the_wrong_type_fails_its_node():
    engine = asterism.Engine()
    engine.register("f.wrong", lambda n: "not a number", signature="(n: Int) -> Int")
    p = engine.compile("in n: Int\nm = wrong(n)\nout m\n")
    with pytest.raises(asterism.RunError, match="returned a value that is not Int"):
        p.run({"n": 1})


def test_records_and_numpy_results_convert():
    engine = asterism.Engine()
    engine.register("ml.embed", lambda t: np.array([len(t), 1.0]), signature="(text: String) -> List<Float>")
    engine.register("ml.info", lambda t: {"text": t, "size": len(t)}, signature="(text: String) -> { text: String, size: Int }")
    p = engine.compile("in t: String\ne = embed(t)\ni = info(t)\nout e\nout i\n")
    assert p.run({"t": "abc"}) == {"e": [3.0, 1.0], "i": {"text": "abc", "size": 3}}


def test_the_gil_is_released_so_python_modules_in_parallel_branches_overlap():
    engine = asterism.Engine()
    engine.register("t.nap", lambda n: (time.sleep(0.3), n)[1], signature="(n: Int) -> Int")
    p = engine.compile("in n: Int\na = nap(n)\nb = nap(n + 1)\nout a\nout b\n")
    ticks = []
    ticker = threading.Thread(target=lambda: [ticks.append(time.sleep(0.01)) for _ in range(20)])
    start = time.perf_counter()
    ticker.start()
    assert p.run({"n": 1}) == {"a": 1, "b": 2}
    took, ticked = time.perf_counter() - start, len(ticks)
    ticker.join()
    assert took < 0.55, f"the two 0.3 s calls overlapped: {took:.2f} s"
    assert ticked >= 10, f"a Python thread ran meanwhile: {ticked} ticks of 10 ms in {took:.2f} s"


def test_async_def_functions_are_modules():
    async def later(n):
        await asyncio.sleep(0.01)
        return n + 1

    engine = asterism.Engine()
    engine.register("t.later", later, signature="(n: Int) -> Int")
    p = engine.compile("in n: Int\nm = later(n)\nout m\n")
    assert p.run({"n": 1}) == {"m": 2}


def test_run_async_awaits_the_run():
    p = asterism.Engine().compile(HELLO)

    async def main():
        return await asyncio.gather(p.run_async({"name": "a"}), p.run_async({"name": "b"}))

    assert asyncio.run(main()) == [{"greeting": "Hello, a!"}, {"greeting": "Hello, b!"}]


def test_run_batch_over_dicts_keeps_order_and_can_return_errors():
    engine = asterism.Engine()
    engine.register("t.nap", lambda ms: (time.sleep(ms / 1000), ms)[1], signature="(ms: Int) -> Int")
    p = engine.compile("in ms: Int\nr = nap(ms)\nout r\n")
    rows = [{"ms": 40}, {"ms": 0}, {"ms": 20}]
    assert p.run_batch(rows, concurrency=3) == [{"r": 40}, {"r": 0}, {"r": 20}]
    mixed = p.run_batch([{"ms": 1}, {"ms": "x"}], return_errors=True)
    assert mixed[0] == {"r": 1} and isinstance(mixed[1], asterism.InputError)
    with pytest.raises(asterism.InputError):
        p.run_batch([{"ms": 1}, {"ms": "x"}])


def test_run_batch_over_a_pyarrow_table_gives_a_table_with_an_error_column():
    p = asterism.Engine().compile("in n: Int\nin name: String\nlabel = \"${name}:${n}\"\nout label\n")
    table = pa.Table.from_pylist([{"n": 1, "name": "a"}, {"n": None, "name": "b"}, {"n": 3, "name": "c"}])
    out = p.run_batch(table, return_errors=True)
    assert isinstance(out, pa.Table)
    assert out.column("label").to_pylist() == ["a:1", None, "c:3"]
    errors = out.column("error").to_pylist()
    assert errors[0] is None and errors[2] is None and "input 'n'" in errors[1]
    assert p.run_batch(pa.Table.from_pylist([{"n": 1, "name": "a"}])).to_pylist() == [{"label": "a:1"}]


def test_manifest_modules_load_and_bad_ones_explain(tmp_path):
    worker = tmp_path / "rev.py"
    worker.write_text(
        "import sys, json\n"
        "for line in sys.stdin:\n"
        "    req = json.loads(line)\n"
        "    print(json.dumps({'id': req['id'], 'ok': req['args']['text'][::-1]}), flush=True)\n"
    )
    manifest = tmp_path / "asterism.toml"
    manifest.write_text(
        '[modules."demo.reverse"]\nkind = "process"\nsignature = "(text: String) -> String"\n'
        f'command = ["python3", "{worker}"]\n'
    )
    engine = asterism.Engine()
    engine.load_manifest(str(manifest))
    p = engine.compile("in t: String\nr = reverse(t)\nout r\n")
    assert p.run({"t": "abc"}) == {"r": "cba"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[modules."x.y"]\nkind = "carrier-pigeon"\nsignature = "(a: Int) -> Int"\n')
    with pytest.raises(asterism.AsterismError, match="carrier-pigeon"):
        asterism.Engine().load_manifest(str(bad))


def test_ctrl_c_stops_a_run_that_waits():
    import _thread

    engine = asterism.Engine()
    engine.register("t.nap", lambda s: (time.sleep(s), s)[1], signature="(s: Float) -> Float")
    p = engine.compile("in s: Float\nr = nap(s)\nout r\n")
    threading.Timer(0.2, _thread.interrupt_main).start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        p.run({"s": 2.0})
    assert time.perf_counter() - start < 1.0, "stopped within a slice, not after the 2 s call"
    del p, engine  # dropped while the call still sleeps on its thread: no deadlock

"""asterism.ray on a local Ray: the rows of a mapped dataset are the rows run_batch gives."""

import pytest
import ray

import asterism
import asterism.ray

SOURCE = 'in n: Int\nin name: String\nlabel = "${name}:${n}"\ndouble = n * 2\nout label\nout double\n'


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_pipeline_maps_over_10000_rows_with_two_actors_like_run_batch(local_ray):
    rows = [{"n": i, "name": f"user{i}"} for i in range(10_000)]
    rows[17] = {"n": None, "name": "broken"}
    mapped = asterism.ray.map_pipeline(ray.data.from_items(rows), SOURCE, actors=2).take_all()
    assert len(mapped) == 10_000
    mapped.sort(key=lambda r: (r["n"] is None, r["n"] if r["n"] is not None else 0))
    local = asterism.Engine().compile(SOURCE).run_batch(rows, return_errors=True)
    expected = []
    for row, out in zip(rows, local):
        if isinstance(out, asterism.AsterismError):
            expected.append({**row, "label": None, "double": None, "error": str(out)})
        else:
            expected.append({**row, **out, "error": None})
    expected.sort(key=lambda r: (r["n"] is None, r["n"] if r["n"] is not None else 0))
    assert mapped == expected
    (broken,) = [r for r in mapped if r["error"] is not None]
    assert broken["name"] == "broken" and "input 'n'" in broken["error"]

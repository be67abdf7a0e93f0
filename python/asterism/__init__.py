"""Asterism: compile and run constellation-lang pipelines from Python (docs/python.md).

    import asterism
    engine = asterism.Engine()
    engine.register("text.embed", embed, signature="(text: String) -> List<Float>")
    pipeline = engine.compile(source)
    outputs = pipeline.run({"text": "hello"})

Python functions and manifest modules (`engine.load_manifest("asterism.toml")`) are the
pipeline's modules; `run_batch` runs a list of dicts or a pyarrow Table; `asterism.ray` maps a
pipeline over a Ray dataset.
"""

from ._native import (
    AsterismError,
    CompileError,
    Engine,
    InputError,
    Pipeline,
    RunError,
)

__all__ = ["AsterismError", "CompileError", "Engine", "InputError", "Pipeline", "RunError"]

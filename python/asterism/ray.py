"""Asterism on Ray Data: a pipeline mapped over the batches of a dataset (docs/python.md).

    import ray, asterism.ray
    ds = ray.data.read_parquet("s3://bucket/leads/")
    scored = asterism.ray.map_pipeline(ds, open("score.cst").read(), modules="asterism.toml", actors=8)

Each actor compiles the pipeline once (`PipelineMapper`), then runs each batch with
`Pipeline.run_batch`; the outputs are added to the batch's columns. A row that fails keeps its
place: its outputs are null and the column `error` says why, so one bad row never fails the job.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import asterism


class PipelineMapper:
    """The callable class behind `map_pipeline`, for `ds.map_batches(PipelineMapper, ...)`.

    `functions` maps module names to `(function, signature)`; `modules` is a manifest path.
    """

    def __init__(
        self,
        source: str,
        modules: Optional[str] = None,
        functions: Optional[Mapping[str, tuple[Callable[..., Any], str]]] = None,
        concurrency: int = 64,
        name: str = "pipeline.cst",
    ) -> None:
        self.engine = asterism.Engine()
        for module, (function, signature) in (functions or {}).items():
            self.engine.register(module, function, signature=signature)
        if modules is not None:
            self.engine.load_manifest(modules)
        self.pipeline = self.engine.compile(source, name=name)
        self.concurrency = concurrency

    def __call__(self, batch: Any) -> Any:
        if batch.num_rows == 0:
            return batch
        out = self.pipeline.run_batch(batch, self.concurrency, return_errors=True)
        for column in out.column_names:
            if column in batch.column_names:
                batch = batch.drop_columns([column])
            batch = batch.append_column(column, out.column(column))
        return batch


def map_pipeline(
    ds: Any,
    source: str,
    modules: Optional[str] = None,
    functions: Optional[Mapping[str, tuple[Callable[..., Any], str]]] = None,
    concurrency: int = 64,
    actors: int = 2,
    batch_size: int = 1024,
    name: str = "pipeline.cst",
) -> Any:
    """`ds` with the outputs of `source` run on each row added as columns (and `error`).

    `actors` Ray actors each compile the pipeline once; each runs up to `concurrency` rows of a
    batch at once (for pipelines calling models and services).
    """
    import ray.data

    kwargs = dict(source=source, modules=modules, functions=functions, concurrency=concurrency, name=name)
    return ds.map_batches(
        PipelineMapper,
        fn_constructor_kwargs=kwargs,
        batch_format="pyarrow",
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=actors),
    )

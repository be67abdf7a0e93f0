"""Type stubs of the extension module `asterism._native` (the engine, in Rust)."""

from typing import Any, Awaitable, Callable, Mapping, Sequence, Union, overload

class AsterismError(Exception):
    """An error of the Asterism engine (a bad signature or manifest, and the errors below)."""

class CompileError(AsterismError):
    """A pipeline that does not compile; `str()` renders like the CLI."""

    diagnostics: list[dict[str, Any]]
    """Each diagnostic: code, severity, message, line, column, end_line, end_column, help."""

class RunError(AsterismError):
    """A run that did not complete."""

    errors: list[dict[str, Any]]
    """Each failure: message, line."""
    outputs: dict[str, Any]
    """The outputs the run did finish."""

class InputError(AsterismError):
    """Inputs that do not fit the pipeline's declared types."""

    errors: list[str]
    """Each problem, as `input 'n': expected Int, got String`."""

class Pipeline:
    """A compiled pipeline; runs release the GIL."""

    @property
    def hash(self) -> str:
        """The pipeline's hash (hex), the same for the same source, options and module versions."""
    @property
    def inputs(self) -> dict[str, str]:
        """The declared inputs: name → type, in declaration order."""
    @property
    def outputs(self) -> dict[str, str]:
        """The outputs: name → type, in output order."""
    def run(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs of one run; raises `InputError` or `RunError`."""
    def run_async(self, inputs: Mapping[str, Any]) -> Awaitable[dict[str, Any]]:
        """`run` in the running asyncio loop's default executor."""
    @overload
    def run_batch(
        self, rows: Sequence[Mapping[str, Any]], concurrency: int = 64, *, return_errors: bool = False
    ) -> list[Union[dict[str, Any], AsterismError]]: ...
    @overload
    def run_batch(self, rows: Any, concurrency: int = 64, *, return_errors: bool = False) -> Any: ...

class Engine:
    """Modules (Python functions, manifests) and the compiler."""

    def __init__(self) -> None: ...
    def register(
        self, name: str, function: Callable[..., Any], signature: str, *, blocking: bool = True
    ) -> None:
        """Binds `function` (a `def` or `async def`) as module `name`, e.g. signature
        `(text: String) -> List<Float>`; `blocking=False` calls it on the run's own thread."""
    def load_manifest(self, path: str) -> None:
        """Binds the modules of a manifest (`asterism.toml`)."""
    def compile(self, source: str, name: str = "pipeline.cst") -> Pipeline:
        """The compiled pipeline; raises `CompileError`."""

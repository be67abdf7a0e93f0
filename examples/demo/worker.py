"""The loop shared by the demo workers: one JSON request per line in, one JSON answer per line out.

A request is `{"id": 7, "args": {"query": "abc"}}`. Each request is handled on a thread of its own,
so a slow call never holds up a quick one and answers may come back out of order. Each answer is
one line, `{"id": 7, "ok": <value>}` or `{"id": 7, "error": "<message>"}`, written under a lock
and flushed at once. Logging goes to standard error only.

At end of input the worker answers the requests still in flight, then exits.
"""

import json
import os
import sys
import threading


class ModuleError(Exception):
    """A failure to report to the caller as the call's error message."""


def log(message):
    """Write one line to standard error."""
    print(f"[{os.path.basename(sys.argv[0])} {' '.join(sys.argv[1:2])}] {message}", file=sys.stderr, flush=True)


def string_arg(args, name):
    """The argument `name` of a call, which must be a string."""
    value = args.get(name)
    if not isinstance(value, str):
        raise ModuleError(f"argument '{name}' must be a String, got {json.dumps(value)}")
    return value


class _Output:
    """Standard output shared by the request threads: whole lines only, flushed, under a lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._out = sys.stdout.buffer
        self._closed = False

    def write(self, answer):
        line = (json.dumps(answer) + "\n").encode("utf-8")
        with self._lock:
            if self._closed:
                return
            try:
                self._out.write(line)
                self._out.flush()
            except (BrokenPipeError, ValueError):
                # The host has gone away: drop the remaining answers quietly.
                self._closed = True


def serve(handler):
    """Answer requests from standard input with `handler(args) -> value` until end of input.

    `handler` raises to fail a call; the exception's text becomes the error message.
    """
    out = _Output()

    def answer(request_id, args):
        try:
            out.write({"id": request_id, "ok": handler(args)})
        except Exception as exc:  # every failure is the call's, never the worker's
            out.write({"id": request_id, "error": str(exc) or type(exc).__name__})

    in_flight = []
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        try:
            request = json.loads(raw)
            request_id = request["id"]
        except (ValueError, TypeError, KeyError) as exc:
            log(f"ignoring a line that is not a request ({exc}): {raw[:200]!r}")
            continue
        args = request.get("args", {})
        if not isinstance(args, dict):
            out.write({"id": request_id, "error": "'args' must be an object"})
            continue
        thread = threading.Thread(target=answer, args=(request_id, args), daemon=True)
        thread.start()
        in_flight = [t for t in in_flight if t.is_alive()]
        in_flight.append(thread)

    for thread in in_flight:
        thread.join()
    # Keep the interpreter from complaining about a closed pipe while it shuts down.
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

"""The demo modules of the reference's example app, as worker processes: `python3 demo.py NAME`.

Each module takes one String and returns a String. They stand in for slow, expensive, unreliable
or rate-limited services so that call options (cache, timeout, retry, fallback, on_error,
throttle, concurrency, priority, lazy) have something to show on. Delays and failure patterns are
the reference's. State (call counters, the optional rate window) lives in this process, so the
manifest runs one instance of each stateful module.

`python3 demo.py RateLimitedApi --limit 5/1s` makes RateLimitedApi refuse calls beyond 5 in any
1-second window (the reference's module never refuses; without --limit neither does this one).
"""

import collections
import re
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave no __pycache__ beside the manifest
from worker import ModuleError, serve, string_arg


class Counter:
    """A call counter shared by the request threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0

    def next(self):
        with self._lock:
            self._count += 1
            return self._count


def slow_query(args):
    query = string_arg(args, "query")
    time.sleep(0.5)
    return f"Result for: {query}"


def slow_api_call(args):
    endpoint = string_arg(args, "endpoint")
    time.sleep(1.0)
    return f"API response from: {endpoint}"


def expensive_compute(args):
    data = string_arg(args, "data")
    time.sleep(2.0)
    return f"Computed: {data.upper()}"


_flaky_calls = Counter()


def flaky_service(args):
    request = string_arg(args, "request")
    attempt = _flaky_calls.next()
    if attempt % 3 != 0:  # only every third call of the process succeeds
        raise ModuleError(f"Service temporarily unavailable (attempt {attempt})")
    return f"Success for: {request}"


_timeout_prone_calls = Counter()


def timeout_prone_service(args):
    request = string_arg(args, "request")
    first = _timeout_prone_calls.next() == 1
    time.sleep(3.0 if first else 0.1)  # the process's first call is slow, the rest are quick
    return f"Response for: {request}"


class RateWindow:
    """At most `limit` calls in any sliding window of `seconds`."""

    def __init__(self, limit, seconds):
        self.limit, self.seconds = limit, seconds
        self._lock = threading.Lock()
        self._times = collections.deque()

    def admit(self):
        now = time.monotonic()
        with self._lock:
            while self._times and now - self._times[0] >= self.seconds:
                self._times.popleft()
            if len(self._times) >= self.limit:
                raise ModuleError(f"Rate limit exceeded: at most {self.limit} calls per {self.seconds:g}s")
            self._times.append(now)


_rate_window = None  # set by --limit


def rate_limited_api(args):
    request = string_arg(args, "request")
    if _rate_window is not None:
        _rate_window.admit()
    time.sleep(0.05)
    return f"Rate-limited response for: {request}"


def resource_intensive_task(args):
    task = string_arg(args, "task")
    time.sleep(0.2)
    return f"Completed: {task}"


def quick_check(args):
    data = string_arg(args, "data")
    time.sleep(0.01)
    return "needs-deep-analysis" if "complex" in data.lower() else "valid"


def deep_analysis(args):
    data = string_arg(args, "data")
    time.sleep(1.5)
    return f"Deep analysis of: {data}"


def always_fails_service(args):
    request = string_arg(args, "request")
    raise ModuleError(f"Service failed for: {request}")


MODULES = {
    "SlowQuery": slow_query,
    "SlowApiCall": slow_api_call,
    "ExpensiveCompute": expensive_compute,
    "FlakyService": flaky_service,
    "TimeoutProneService": timeout_prone_service,
    "RateLimitedApi": rate_limited_api,
    "ResourceIntensiveTask": resource_intensive_task,
    "QuickCheck": quick_check,
    "DeepAnalysis": deep_analysis,
    "AlwaysFailsService": always_fails_service,
}


def parse_limit(text):
    """`5/1s`, `10/500ms`, `100/1min` -> RateWindow."""
    match = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)(ms|s|min)", text)
    if not match:
        sys.exit(f"--limit wants COUNT/DURATION such as 5/1s, got {text!r}")
    count, amount, unit = int(match[1]), float(match[2]), match[3]
    return RateWindow(count, amount * {"ms": 0.001, "s": 1.0, "min": 60.0}[unit])


def main(argv):
    global _rate_window
    if len(argv) not in (2, 4) or argv[1] not in MODULES or (len(argv) == 4 and argv[2] != "--limit"):
        sys.exit(f"usage: demo.py MODULE [--limit COUNT/DURATION]\nmodules: {', '.join(MODULES)}")
    if len(argv) == 4:
        if argv[1] != "RateLimitedApi":
            sys.exit("--limit applies to RateLimitedApi only")
        _rate_window = parse_limit(argv[3])
    serve(MODULES[argv[1]])


if __name__ == "__main__":
    main(sys.argv)

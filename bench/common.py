"""Shared pieces of the benchmarks: a real server on loopback, a bounded load, percentiles.

Every figure is reported beside a baseline measured in the same run, on the same machine, with
the same client: absolute numbers move with the machine, ratios much less.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKEY_REQUIRE")}
    env.update(
        REKEY_VAR_DIR=str(var_dir),
        RATELIMIT_ENABLE="0",
        REKEY_LOCAL_INBOX_ECHO="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'bench.sqlite3'}")
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


@contextlib.contextmanager
def temp_var_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rekey-bench-") as path:
        yield Path(path)


@contextlib.contextmanager
def server(env: dict[str, str], *, threads: int = 8, workers: int = 1) -> Iterator[str]:
    """A gunicorn on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    env = {**env, "PUBLIC_URL": env.get("PUBLIC_URL", f"http://127.0.0.1:{port}")}
    proc = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError("the server did not start:\n" + stderr[-2000:])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # idle keep-alive connections hold a graceful stop
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> dict[str, object]:
        return {
            "name": self.name,
            "requests": self.requests,
            "req_per_s": round(self.rps, 1),
            "p50_ms": round(self.pct(50), 2),
            "p95_ms": round(self.pct(95), 2),
            "p99_ms": round(self.pct(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2),
            "statuses": self.statuses,
        }


def merge_results(name: str, parts: list[LoadResult]) -> LoadResult:
    """One result from several rounds of the same kind of request."""
    statuses: dict[int, int] = {}
    for part in parts:
        for status, count in part.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return LoadResult(
        name,
        sum(p.requests for p in parts),
        sum(p.seconds for p in parts),
        [ms for p in parts for ms in p.latencies_ms],
        statuses,
    )


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def load(
    name: str,
    base_url: str,
    make_request: Callable[[int], Request],
    *,
    total: int,
    concurrency: int = 4,
    max_seconds: float = 120,
) -> LoadResult:
    """Send ``total`` requests from ``concurrency`` keep-alive connections, bounded in time."""
    host, port = base_url.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            method, path, body, headers = make_request(n)
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(name, len(latencies), time.perf_counter() - start, latencies, statuses)


def json_request(path: str, payload: dict[str, object], headers: dict[str, str] | None = None):
    body = json.dumps(payload).encode()
    return ("POST", path, body, {"Content-Type": "application/json", **(headers or {})})


def print_table(rows: list[dict[str, object]]) -> None:
    cols = ["name", "requests", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "statuses"]
    print(" | ".join(cols))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in cols))

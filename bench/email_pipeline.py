"""The reset email in the production shape: PostgreSQL, Redis, RQ, 2 web servers, 2 workers,
SMTP to a local aiosmtpd sink. Every figure beside its baseline from the same run.

1. drain: 2 workers empty a queue of N deliveries, on RQ (production) and on the database
   queue (django-tasks-db, the embedded default) as the baseline;
2. load: 100 forgot-password requests/s for D seconds through deploy/Procfile (honcho): request
   latency, request-to-inbox latency, duplicates, and whether the queue grows;
3. change_password beside Django's PasswordResetView (known emails, its email by SMTP to the
   same sink) and a no-op JSON POST on the same stack; known vs unknown emails.

Needs DATABASE_URL=postgres://... (a scratch database is created and dropped on that server)
and REDIS_URL=redis://.../N (its rq:* keys are cleared).

    .venv/bin/python -m bench.email_pipeline [--drain N] [--seconds D] [--rate R]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from aiosmtpd.controller import Controller

from bench.common import (
    PYTHON,
    ROOT,
    LoadResult,
    bench_env,
    free_port,
    json_request,
    load,
    manage,
    merge_results,
    print_table,
    server,
    temp_var_dir,
)

USERS = 7000
REKEY_KNOWN = "rekey change_password, known"
TASK_TABLE = "django_tasks_database_dbtaskresult"


class Sink:
    """Records when each message arrived, by recipient, and its Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        at = time.monotonic()
        message_id = str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        with self.lock:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.arrivals[rcpt].append((at, message_id))
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.count = 0


def csrf_cookie(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                return header.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie from the baseline view")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    parts = urlsplit(url)
    name = f"rekey_bench_{os.getpid()}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_rq(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter("rq:*"))
    if keys:
        client.delete(*keys)


def sql(env: dict[str, str], query: str) -> int:
    out = manage(
        env,
        "shell",
        "-v0",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute({query!r}); print(c.fetchone()[0])",
    )
    return int(out.strip().splitlines()[-1])


@contextmanager
def processes(env: dict[str, str], commands: list[list[str]]) -> Iterator[list[subprocess.Popen]]:
    procs = [
        subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for cmd in commands
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            with_suppress(lambda p=proc: os.killpg(p.pid, signal.SIGTERM))
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with_suppress(lambda p=proc: os.killpg(p.pid, signal.SIGKILL))
                proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_suppress(action) -> None:
    with suppress(ProcessLookupError, PermissionError):
        action()


def drain(env: dict[str, str], engine: str, count: int, sink: Sink) -> dict[str, object]:
    """Time 2 workers emptying a queue of ``count`` deliveries (enqueued with no worker up)."""
    env = {**env, "REKEY_TASKS": engine}
    flush_rq(env["REDIS_URL"])
    manage(
        env,
        "shell",
        "-v0",
        "-c",
        "from django.db import transaction\n"
        "from emails.services import email_enqueue\n"
        f"for n in range({count}):\n"
        "    with transaction.atomic():\n"
        "        email_enqueue(to=f'drain{n}@example.com', subject='Reset', text_body='x' * 800)",
    )
    sink.reset()
    start = time.monotonic()
    workers = [[str(ROOT / "bin" / "worker")] for _ in range(2)]
    with processes(env, workers) as procs:
        deadline = start + 300
        while sink.count == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        cpu_at_first = sum(cpu_seconds(p.pid) for p in procs)
        while sink.count < count and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_at_first
    times = sorted(at for arrivals in sink.arrivals.values() for at, _ in arrivals)
    # From the first message to the last: the workers' start-up (Django's imports) is not
    # draining.
    window = (times[-1] - times[0]) if len(times) > 1 else elapsed
    left = sql(env, "SELECT count(*) FROM emails_emaildelivery WHERE status <> 'sent'")
    sql(env, "WITH d AS (DELETE FROM emails_emaildelivery RETURNING 1) SELECT count(*) FROM d")
    if engine == "db":
        sql(
            env,
            f"WITH d AS (DELETE FROM {TASK_TABLE} RETURNING 1) SELECT count(*) FROM d",
        )
    return {
        "engine": engine,
        "emails": sink.count,
        "seconds_with_startup": round(elapsed, 2),
        "seconds_first_to_last": round(window, 2),
        "per_second": round((len(times) - 1) / window, 1) if window else 0,
        "not_sent": left,
        # The workers' own CPU per email (user + system), from the first message on: what the
        # drain rate would be on idle cores, whatever else the machine is doing.
        "worker_cpu_ms_per_email": round(cpu * 1000 / max(1, sink.count - 1), 2),
    }


def honcho(env: dict[str, str], base: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(PYTHON).with_name("honcho")),
            "-f",
            "deploy/Procfile",
            "-d",
            str(ROOT),
            "start",
            "-p",
            str(base),
            "-c",
            "web=2,worker=2,sweep=1",
        ],
        cwd=ROOT,
        env={**env, "THREADS": "8"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_http(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no server on {port}")


def steady_load(
    env: dict[str, str], connection: str, sink: Sink, rate: float, seconds: float
) -> dict[str, object]:
    """Open-loop: request i leaves at t0 + i/rate, whatever the answers before it."""
    flush_rq(env["REDIS_URL"])
    sink.reset()
    base = free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", base + 1))
    proc = honcho({**env, "REKEY_TASKS": "rq"}, base)
    try:
        for port in (base, base + 1):
            wait_http(port)
        total = int(rate * seconds)
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        statuses: dict[int, int] = defaultdict(int)
        lock = threading.Lock()
        counter = iter(range(total))
        depths: list[int] = []
        t0 = time.monotonic() + 0.5

        def client() -> None:
            conns = {
                p: http.client.HTTPConnection("127.0.0.1", p, timeout=30) for p in (base, base + 1)
            }
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                due = t0 + n / rate
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                email = f"demo{n % USERS:04d}@example.com"
                body = json.dumps({"email": email, "connection": connection}).encode()
                port = base + n % 2
                start = time.monotonic()
                for attempt in (1, 2):
                    try:
                        conn = conns[port]
                        conn.request(
                            "POST",
                            "/dbconnections/change_password",
                            body=body,
                            headers={"Content-Type": "application/json"},
                        )
                        response = conn.getresponse()
                        response.read()
                        break
                    except (OSError, http.client.HTTPException):
                        # The server closed an idle keep-alive connection: open another.
                        conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                        if attempt == 2:
                            raise
                with lock:
                    latencies.append((time.monotonic() - start) * 1000)
                    statuses[response.status] += 1
                    sent_at[email] = start

        def sample() -> None:
            # The work waiting: requests not yet checked and emails not yet sent (rows, the
            # source of truth; the broker holds at most a wake-up job or two).
            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
                while time.monotonic() < t0 + seconds + 5:
                    waiting = db.execute(
                        "SELECT (SELECT count(*) FROM tickets_resetrequest) + (SELECT count(*) "
                        "FROM emails_emaildelivery WHERE status IN ('queued', 'sending'))"
                    ).fetchone()
                    depths.append(int(waiting[0]) if waiting else 0)
                    time.sleep(1)

        threads = [threading.Thread(target=client) for _ in range(24)]
        sampler = threading.Thread(target=sample)
        for thread in [*threads, sampler]:
            thread.start()
        for thread in threads:
            thread.join()
        answered = time.monotonic()
        while sink.count < total and time.monotonic() < answered + 120:
            time.sleep(0.1)
        sampler.join()
        to_inbox = [(arrivals[0][0] - sent_at[rcpt]) for rcpt, arrivals in sink.arrivals.items()]
        duplicates = sum(len(a) - 1 for a in sink.arrivals.values())
        duplicate_ids = sum(len({m for _, m in a}) - 1 for a in sink.arrivals.values())
        return {
            "rate": rate,
            "seconds": seconds,
            "requests": total,
            "statuses": dict(statuses),
            "request_p50_ms": round(pct(latencies, 50), 1),
            "request_p99_ms": round(pct(latencies, 99), 1),
            "emails": sink.count,
            "recipients": len(sink.arrivals),
            "duplicates": duplicates,
            "duplicates_with_new_message_id": duplicate_ids,
            "to_inbox_p50_s": round(pct(to_inbox, 50), 3),
            "to_inbox_p99_s": round(pct(to_inbox, 99), 3),
            "to_inbox_max_s": round(max(to_inbox or [0]), 3),
            "waiting_max": max(depths or [0]),
            "waiting_last_10s": depths[-15:-5],
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def compare_views(
    env: dict[str, str], connection: str, client_id: str, per_round: int
) -> dict[str, object]:
    """change_password vs PasswordResetView (SMTP to the sink) vs a no-op JSON POST."""

    def rekey(known: bool):
        return lambda n: json_request(
            "/dbconnections/change_password",
            {
                "email": f"demo{n % USERS:04d}@example.com" if known else f"nobody{n}@example.com",
                "connection": connection,
                "client_id": client_id,
            },
        )

    csrf: dict[str, str] = {}

    def django(n: int):
        body = urlencode({"email": f"demo{n % USERS:04d}@example.com"}).encode()
        return (
            "POST",
            "/baseline/password_reset/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf['token']}",
                "X-CSRFToken": csrf["token"],
            },
        )

    def noop(n: int):
        return json_request("/baseline/noop/", {"email": f"demo{n}@example.com"})

    env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings", "REKEY_TASKS": "rq"}
    flush_rq(env["REDIS_URL"])
    kinds = {
        "rekey change_password, known": rekey(True),
        "rekey change_password, unknown": rekey(False),
        "django PasswordResetView (SMTP), known": django,
        "no-op JSON POST": noop,
    }
    parts: dict[str, list[LoadResult]] = {name: [] for name in kinds}
    # No worker runs meanwhile: the request path is measured alone (the queue just grows).
    with server(env) as url:
        csrf["token"] = csrf_cookie(url + "/baseline/password_reset/")
        for make in kinds.values():
            load("warm", url, make, total=30)
        for _ in range(3):
            for name, make in kinds.items():
                parts[name].append(load(name, url, make, total=per_round))
    rows = [merge_results(name, runs).row() for name, runs in parts.items()]
    print_table(rows)
    by = {row["name"]: row for row in rows}
    rps = {name: float(row["req_per_s"]) for name, row in by.items()}  # type: ignore[arg-type]
    return {
        "rows": rows,
        "vs_django": round(
            rps["rekey change_password, known"] / rps["django PasswordResetView (SMTP), known"], 2
        ),
        "vs_noop": round(rps["rekey change_password, known"] / rps["no-op JSON POST"], 2),
        "known_minus_unknown_p50_ms": round(
            float(by["rekey change_password, known"]["p50_ms"])  # type: ignore[arg-type]
            - float(by["rekey change_password, unknown"]["p50_ms"]),  # type: ignore[arg-type]
            2,
        ),
    }


def main() -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drain", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--only", default="drain,load,views")
    args = parser.parse_args()
    only = set(args.only.split(","))
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        raise SystemExit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")

    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    results: dict[str, object] = {}
    try:
        with temp_var_dir() as var_dir, scratch_database(database_url) as scratch:
            env = bench_env(
                var_dir,
                DATABASE_URL=scratch,
                REDIS_URL=redis_url,
                REKEY_CACHE_PREFIX=f"bench{os.getpid()}",
                SECRET_KEY="bench-secret",
                PUBLIC_URL="http://127.0.0.1:8000",
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(smtp_port),
                REKEY_SWEEP_INTERVAL="2",
            )
            manage(env, "migrate", "-v0")
            demo = json.loads(manage(env, "seed_demo", "--json", "--users", str(USERS)))
            connection, client_id = demo["connection"], demo["spa"]["client_id"]
            if "drain" in only:
                results["drain"] = [
                    drain(env, "rq", args.drain, sink),
                    drain(env, "db", args.drain, sink),
                ]
                print(json.dumps(results["drain"]))
            if "load" in only:
                results["load"] = steady_load(env, connection, sink, args.rate, args.seconds)
                print(json.dumps(results["load"]))
            if "views" in only:
                results["views"] = compare_views(env, connection, client_id, args.per_round)
                print(json.dumps({k: v for k, v in results["views"].items() if k != "rows"}))
    finally:
        controller.stop()
        flush_rq(redis_url)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "email_pipeline.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()

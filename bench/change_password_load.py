"""Quick load run of ``POST /dbconnections/change_password``: known vs unknown emails.

Starts gunicorn on a free loopback port against a temporary SQLite database with
RATELIMIT_ENABLE=0, seeds users, and fires a bounded number of requests (count and time) for
known and for unknown emails, alternating rounds so that drift hits both alike. Prints req/s and
latency percentiles, and a JSON line for scripts.

    .venv/bin/python -m bench.change_password_load [REQUESTS_PER_ROUND]
"""

from __future__ import annotations

import json
import sys

from bench.common import (
    LoadResult,
    bench_env,
    json_request,
    load,
    manage,
    print_table,
    server,
    temp_var_dir,
)

PER_ROUND = int(sys.argv[1]) if len(sys.argv) > 1 else 500
ROUNDS = 2
USERS = 300
CONCURRENCY = 4


def merged(name: str, parts: list[LoadResult]) -> LoadResult:
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


def main() -> dict[str, object]:
    with temp_var_dir() as var_dir:
        env = bench_env(var_dir)
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", str(USERS)))
        connection, client_id = demo["connection"], demo["spa"]["client_id"]

        def requests_for(known: bool):
            def make(n: int):
                email = f"demo{n % USERS:04d}@example.com" if known else f"nobody{n}@example.com"
                payload = {"email": email, "connection": connection, "client_id": client_id}
                return json_request("/dbconnections/change_password", payload)

            return make

        runs: dict[str, list[LoadResult]] = {"known": [], "unknown": []}
        with server(env) as url:
            load("warm", url, requests_for(True), total=50, concurrency=CONCURRENCY)
            load("warm", url, requests_for(False), total=50, concurrency=CONCURRENCY)
            for _ in range(ROUNDS):
                for kind in ("known", "unknown"):
                    runs[kind].append(
                        load(
                            kind,
                            url,
                            requests_for(kind == "known"),
                            total=PER_ROUND,
                            concurrency=CONCURRENCY,
                            max_seconds=60,
                        )
                    )
        rows = [
            merged(f"change_password, {kind} email", parts).row() for kind, parts in runs.items()
        ]
    print_table(rows)
    summary = {"benchmark": "change_password_load", "concurrency": CONCURRENCY, "rows": rows}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()

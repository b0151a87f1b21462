"""Throughput of ``PATCH /api/v2/users/{id}`` with a password, beside plain Argon2id hashing.

Starts gunicorn (one worker) on a free loopback port against a temporary SQLite database (or
DATABASE_URL when set) with RATELIMIT_ENABLE=0, seeds the demo tenant, obtains a token with
client credentials, and sends N PATCHes one after another, each a different valid password for
a different user (bounded in count and time). Then, in this process, it times N
``make_password`` calls with the same REKEY_ARGON2 parameters: the floor any password set pays.
Prints both rates, their ratio, and a JSON line for scripts.

    .venv/bin/python -m bench.patch_password [N]
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from urllib.parse import quote

from bench.common import (
    LoadResult,
    bench_env,
    load,
    manage,
    merge_results,
    print_table,
    server,
    temp_var_dir,
)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
USERS = 300
MAX_SECONDS = 120.0
ROUNDS = 4


def password(n: int) -> str:
    # Meets the demo connection's "good" policy: length, three character classes.
    return f"Bench-{n:06d}-Orbit!"


def api(base_url: str, method: str, path: str, body: dict | None, token: str = "") -> dict:
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body).encode() if body else None, headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read() or b"null")
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data}")
    return data


def user_ids(base_url: str, token: str) -> list[str]:
    ids: list[str] = []
    for page in range(USERS // 100 + 1):
        users = api(
            base_url, "GET", f"/api/v2/users?q=email:demo*&per_page=100&page={page}", None, token
        )
        ids += [u["user_id"] for u in users]
    return ids


def django_setup(env: dict[str, str]) -> None:
    """Django in this process with the server's settings (same REKEY_ARGON2)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    assert settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"


def hashing(first: int, count: int, max_seconds: float) -> tuple[int, float]:
    """``make_password`` ``count`` times in this process: the floor of any password set."""
    from django.contrib.auth.hashers import make_password

    done = 0
    start = time.perf_counter()
    while done < count and time.perf_counter() - start < max_seconds:
        make_password(password(first + done))
        done += 1
    return done, time.perf_counter() - start


def main() -> dict[str, object]:
    with temp_var_dir() as var_dir:
        # One PUBLIC_URL for the seed (the grant's audience) and the server (the token's).
        env = bench_env(var_dir, PUBLIC_URL="http://127.0.0.1:8000")
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", str(USERS)))
        m2m = demo["m2m"]
        with server(env, threads=4, workers=1) as base_url:
            token = api(
                base_url,
                "POST",
                "/oauth/token",
                {
                    "grant_type": "client_credentials",
                    "client_id": m2m["client_id"],
                    "client_secret": m2m["client_secret"],
                    "audience": m2m["audience"],
                },
            )["access_token"]
            ids = user_ids(base_url, token)

            def make(n: int):
                path = f"/api/v2/users/{quote(ids[n % len(ids)], safe='')}"
                body = json.dumps({"password": password(n), "connection": demo["connection"]})
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
                return ("PATCH", path, body.encode(), headers)

            django_setup(env)
            # Warm both sides (imports, connections) before measuring.
            load("warm-up", base_url, make, total=5, concurrency=1)
            hashing(0, 5, MAX_SECONDS)
            # Alternate rounds, so that other load on the machine hits both sides alike.
            parts: list[LoadResult] = []
            hashed, seconds = 0, 0.0
            per_round = max(1, N // ROUNDS)
            for r in range(ROUNDS):
                parts.append(
                    load(
                        "PATCH password",
                        base_url,
                        lambda n, r=r: make(r * per_round + n),
                        total=per_round,
                        concurrency=1,
                        max_seconds=MAX_SECONDS / ROUNDS,
                    )
                )
                done, took = hashing(r * per_round, per_round, MAX_SECONDS / ROUNDS)
                hashed, seconds = hashed + done, seconds + took
            patched = merge_results("PATCH password", parts)

    hash_rate = hashed / seconds
    row = patched.row()
    result = {
        "n": N,
        "argon2": env_argon2(),
        "patch": row,
        "make_password_per_s": round(hash_rate, 1),
        "patch_per_s": row["req_per_s"],
        "ratio_patch_to_hashing": round(patched.rps / hash_rate, 3),
    }
    print_table(
        [row, {"name": "make_password loop", "requests": hashed, "req_per_s": round(hash_rate, 1)}]
    )
    print(
        f"PATCH with a password: {patched.rps:.1f}/s; make_password alone: {hash_rate:.1f}/s; "
        f"ratio {patched.rps / hash_rate:.2f}"
    )
    print(json.dumps(result))
    return result


def env_argon2() -> dict[str, int]:
    from django.conf import settings

    return dict(settings.REKEY_ARGON2)


if __name__ == "__main__":
    main()

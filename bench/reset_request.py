"""Forgot-password requests: Rekey's POST /dbconnections/change_password against Django's own
PasswordResetView, same server, same database, same client, same run.

Django's view sends the email inside the request (here through the in-memory backend, the
cheapest there is, which flatters the baseline); Rekey writes a log row and enqueues a task, the
same work for every email. Known and unknown emails are both measured; the four kinds run in
alternating rounds so that drift on a shared machine hits them alike.

    .venv/bin/python -m bench.reset_request [REQUESTS_PER_ROUND]
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable
from urllib.parse import urlencode

from bench.common import (
    LoadResult,
    Request,
    bench_env,
    json_request,
    load,
    manage,
    merge_results,
    print_table,
    server,
    temp_var_dir,
)

PER_ROUND = int(sys.argv[1]) if len(sys.argv) > 1 else 250
ROUNDS = 2
USERS = 300


def email(n: int, known: bool) -> str:
    return f"demo{n % USERS:04d}@example.com" if known else f"nobody{n}@example.com"


def csrf_cookie(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                return header.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie from the baseline view")


def main(per_round: int = PER_ROUND) -> dict[str, object]:
    with temp_var_dir() as var_dir:
        env = bench_env(
            var_dir,
            DJANGO_SETTINGS_MODULE="bench.settings",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", str(USERS)))
        connection, client_id = demo["connection"], demo["spa"]["client_id"]

        def rekey(known: bool) -> Callable[[int], Request]:
            return lambda n: json_request(
                "/dbconnections/change_password",
                {"email": email(n, known), "connection": connection, "client_id": client_id},
            )

        def django(known: bool) -> Callable[[int], Request]:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_token}",
                "X-CSRFToken": csrf_token,
            }
            return lambda n: (
                "POST",
                "/baseline/password_reset/",
                urlencode({"email": email(n, known)}).encode(),
                headers,
            )

        with server(env) as url:
            # Django's view is CSRF-protected: one token (cookie + header) serves every request.
            csrf_token = csrf_cookie(url + "/baseline/password_reset/")
            kinds = {
                "rekey change_password, known email": rekey(True),
                "django PasswordResetView, known email": django(True),
                "rekey change_password, unknown email": rekey(False),
                "django PasswordResetView, unknown email": django(False),
            }
            parts: dict[str, list[LoadResult]] = {name: [] for name in kinds}
            for make in kinds.values():  # warm imports and caches on every path
                load("warm", url, make, total=20)
            for _ in range(ROUNDS):
                for name, make in kinds.items():
                    parts[name].append(load(name, url, make, total=per_round))
    rows = [merge_results(name, runs).row() for name, runs in parts.items()]
    print_table(rows)
    rps = [float(row["req_per_s"]) for row in rows]  # type: ignore[arg-type]
    result = {
        "rows": rows,
        "ratio_known": round(rps[0] / rps[1], 2),
        "ratio_unknown": round(rps[2] / rps[3], 2),
        "known_vs_unknown": round(rps[0] / rps[2], 2),
    }
    print(
        f"rekey/django req/s: known {result['ratio_known']}x, unknown {result['ratio_unknown']}x;"
        f" rekey known/unknown {result['known_vs_unknown']}x"
    )
    return result


if __name__ == "__main__":
    print(json.dumps(main()))

"""Forgot-password requests: Rekey's POST /dbconnections/change_password against Django's own
PasswordResetView, same server, same database, same client, same run.

Django's view sends the email inside the request (here through the in-memory backend, the
cheapest there is, which flatters the baseline); Rekey writes an outbox row and a ticket and
answers. Both are run for known and unknown emails.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlencode

from bench.common import bench_env, json_request, load, manage, print_table, server, temp_var_dir

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 400
USERS = 300


def main() -> dict[str, object]:
    with temp_var_dir() as var_dir:
        env = bench_env(
            var_dir,
            DJANGO_SETTINGS_MODULE="bench.settings",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", str(USERS)))
        connection, client_id = demo["connection"], demo["spa"]["client_id"]

        def rekey(known: bool):
            def make(n: int):
                email = f"demo{n % USERS:04d}@example.com" if known else f"nobody{n}@example.com"
                return json_request(
                    "/dbconnections/change_password",
                    {"email": email, "connection": connection, "client_id": client_id},
                )

            return make

        def django(known: bool):
            def make(n: int):
                email = f"demo{n % USERS:04d}@example.com" if known else f"nobody{n}@example.com"
                body = urlencode({"email": email}).encode()
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                return ("POST", "/baseline/password_reset/", body, headers)

            return make

        results = {}
        with server(env) as url:
            # Warm both paths (imports, template caches) before measuring.
            load("warm", url, rekey(True), total=20)
            load("warm", url, django(True), total=20)
            for name, make in [
                ("rekey change_password, known email", rekey(True)),
                ("django PasswordResetView, known email", django(True)),
                ("rekey change_password, unknown email", rekey(False)),
                ("django PasswordResetView, unknown email", django(False)),
            ]:
                results[name] = load(name, url, make, total=TOTAL).row()
    rows = list(results.values())
    print_table(rows)
    known = rows[0]["req_per_s"] / rows[1]["req_per_s"]  # type: ignore[operator]
    unknown = rows[2]["req_per_s"] / rows[3]["req_per_s"]  # type: ignore[operator]
    print(f"ratio rekey/django req/s: known {known:.2f}x, unknown {unknown:.2f}x")
    return {"rows": rows, "ratio_known": round(known, 2), "ratio_unknown": round(unknown, 2)}


if __name__ == "__main__":
    main()

"""Cost of a password-realm login (``POST /oauth/token``) beside one Argon2id verify.

Starts gunicorn (one worker) on a free loopback port against a temporary SQLite database (or
DATABASE_URL when set) with RATELIMIT_ENABLE=0, seeds the demo tenant (its "Demo Web App" has
the password-realm grant), and sends N logins of the demo user one after another with
``scope=openid`` (an ID token signed each time), as auth0-python's GetToken.login does. Then, in
this process, it times N ``check_password`` calls on the same user's hash with the same
REKEY_ARGON2 parameters: the floor any login pays. Rounds alternate so that other load on the
machine hits both alike. Prints the time per login over the time per verify (the target is at
most 1.1) and a JSON line for scripts.

    .venv/bin/python -m bench.password_realm [N]
"""

from __future__ import annotations

import json
import sys
import time

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
from bench.patch_password import django_setup, env_argon2

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
MAX_SECONDS = 120.0
ROUNDS = 4
REALM = "http://auth0.com/oauth/grant-type/password-realm"


def verifying(encoded: str, password: str, count: int, max_seconds: float) -> tuple[int, float]:
    """``check_password`` ``count`` times in this process: the floor of any login."""
    from django.contrib.auth.hashers import check_password

    done = 0
    start = time.perf_counter()
    while done < count and time.perf_counter() - start < max_seconds:
        assert check_password(password, encoded)
        done += 1
    return done, time.perf_counter() - start


def main() -> dict[str, object]:
    with temp_var_dir() as var_dir:
        env = bench_env(var_dir, PUBLIC_URL="http://127.0.0.1:8000")
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", "0"))
        web, user = demo["web"], demo["user"]
        body = json.dumps(
            {
                "grant_type": REALM,
                "client_id": web["client_id"],
                "client_secret": web["client_secret"],
                "username": user["email"],
                "password": user["password"],
                "realm": demo["connection"],
                "scope": "openid",
            }
        ).encode()

        def make(n: int):
            return ("POST", "/oauth/token", body, {"Content-Type": "application/json"})

        with server(env, threads=4, workers=1) as base_url:
            django_setup(env)
            from accounts.models import User

            encoded = User.objects.get(email=user["email"]).password
            load("warm-up", base_url, make, total=5, concurrency=1)
            verifying(encoded, user["password"], 5, MAX_SECONDS)
            parts: list[LoadResult] = []
            verified, seconds = 0, 0.0
            per_round = max(1, N // ROUNDS)
            for _ in range(ROUNDS):
                parts.append(
                    load(
                        "password-realm login",
                        base_url,
                        make,
                        total=per_round,
                        concurrency=1,
                        max_seconds=MAX_SECONDS / ROUNDS,
                    )
                )
                done, took = verifying(encoded, user["password"], per_round, MAX_SECONDS / 4)
                verified, seconds = verified + done, seconds + took
            logins = merge_results("password-realm login", parts)

    verify_rate = verified / seconds
    row = logins.row()
    cost = verify_rate / logins.rps  # time per login / time per verify
    result = {
        "n": N,
        "argon2": env_argon2(),
        "login": row,
        "check_password_per_s": round(verify_rate, 1),
        "login_per_s": row["req_per_s"],
        "login_cost_in_verifies": round(cost, 3),
    }
    print_table(
        [
            row,
            {
                "name": "check_password loop",
                "requests": verified,
                "req_per_s": round(verify_rate, 1),
            },
        ]
    )
    print(
        f"password-realm login: {logins.rps:.1f}/s; check_password alone: {verify_rate:.1f}/s; "
        f"one login costs {cost:.2f} verifies (target: at most 1.1)"
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

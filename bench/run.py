"""Run every benchmark in one go and write the figures to bench/results/latest.json.

    make bench                  # forgot-password vs Django, PATCH password vs plain Argon2id
    REKEY_BENCH_POSTGRES=1 DATABASE_URL=postgres://... make bench   # + a million users list

Each benchmark reports against a baseline measured in the same run on the same machine; the
dashboard's list with a million users reports p50/p95 (it needs PostgreSQL and fills a
separate database, rekey_bench, once).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from bench import password_realm, patch_password, reset_request

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results: dict[str, object] = {
        "started": started,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print("== forgot-password requests: Rekey vs Django's PasswordResetView")
    results["reset_request"] = reset_request.main()
    print("\n== PATCH /api/v2/users/{id} with a password vs make_password alone")
    results["patch_password"] = patch_password.main()
    print("\n== password-realm login (POST /oauth/token) vs check_password alone")
    results["password_realm"] = password_realm.main()
    if os.environ.get("REKEY_BENCH_POSTGRES") == "1":
        from bench import dashboard_users

        print("\n== dashboard users list and search, a million users on PostgreSQL")
        results["dashboard_users"] = dashboard_users.main()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()

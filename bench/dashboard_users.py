"""The dashboard's users list and search with a million users on PostgreSQL (not a timed test).

Fills a separate database (``rekey_bench`` on the server of DATABASE_URL, created if missing and
reused afterwards) with 1,000,000 users by one ``INSERT ... SELECT generate_series`` per batch,
then measures the real views through a gunicorn on loopback with a staff session: the list's
first page, a deep page (by cursor), an email-prefix search, a name search, a ``user_id``
lookup, and the blocked filter. Each run is bounded in requests and in seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/dashboard_users.py
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, load, manage, print_table, server, temp_var_dir

USERS = int(os.environ.get("BENCH_USERS", 1_000_000))
EVENTS = int(os.environ.get("BENCH_EVENTS", 10_000_000))
TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 200
BATCH = 250_000
BENCH_DB = "rekey_bench"

FIRST = [
    "Aiko", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goro", "Hana", "Ivan", "Jun", "Kenji",
    "Lena", "Mika", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Taro", "Umi", "Vera",
    "Wei", "Xenia", "Yuki", "Zane", "Akira", "Bianca", "Carlos", "Daisuke", "Elif", "Farid",
    "Greta", "Haruto", "Ines", "Jonas", "Kaito", "Lucia", "Mateo", "Naomi", "Oskar", "Paula",
]  # fmt: skip
LAST = [
    "Sato", "Smith", "Tanaka", "Garcia", "Kim", "Okafor", "Rossi", "Suzuki", "Takahashi",
    "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Muller", "Schmidt", "Dubois",
    "Martin", "Silva", "Santos", "Nguyen", "Tran", "Ivanov", "Novak", "Kowalski", "Jensen",
    "Hansen", "Larsen", "Berg", "Costa", "Moreau", "Lopez", "Gonzalez", "Khan", "Ali", "Chen",
    "Weber",
]  # fmt: skip


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server (the bench makes its own db)")
    parts = urlsplit(base)
    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def fill(url: str, connection_name: str) -> float:
    """Top the table up to USERS bulk users; returns the seconds spent (0 when already there)."""
    with psycopg.connect(url, autocommit=True) as conn:
        connection_id = conn.execute(
            "SELECT id FROM accounts_connection WHERE name = %s", [connection_name]
        ).fetchone()[0]
        have = conn.execute(
            "SELECT count(*) FROM accounts_user WHERE user_id LIKE 'auth0|b%%'"
        ).fetchone()[0]
        if have >= USERS:
            return 0.0
        start = time.perf_counter()
        for low in range(have, USERS, BATCH):
            high = min(USERS, low + BATCH) - 1
            # Names cycle through two co-prime lists (42, 37), so every pair occurs; emails
            # are first.last<n>@example<n % 50>.com; every 997th user is blocked.
            conn.execute(
                """
                INSERT INTO accounts_user (
                    user_id, connection_id, email, email_key, email_verified, username, name,
                    given_name, family_name, nickname, picture, user_metadata, app_metadata,
                    locale, blocked, logins_count, security_stamp, is_staff, is_superuser,
                    staff_role, created_at, updated_at, password
                )
                SELECT
                    'auth0|b' || lpad(to_hex(i), 23, '0'), %(conn)s, e, lower(e), i %% 3 <> 0,
                    '', f || ' ' || l, f, l, '', '', '{}', '{}', '', i %% 997 = 0,
                    i %% 40, md5(i::text), false, false, 'viewer',
                    now() - make_interval(secs => i * 7), now(), '!bench'
                FROM (
                    SELECT i,
                        (%(first)s::text[])[1 + i %% %(nf)s::int] AS f,
                        (%(last)s::text[])[1 + i %% %(nl)s::int] AS l,
                        (%(first)s::text[])[1 + i %% %(nf)s::int] || '.' ||
                        (%(last)s::text[])[1 + i %% %(nl)s::int] || i || '@example' ||
                        (i %% 50) || '.com' AS e
                    FROM generate_series(%(low)s::int, %(high)s::int) AS i
                ) AS s
                """,
                {
                    "conn": connection_id,
                    "first": FIRST,
                    "last": LAST,
                    "nf": len(FIRST),
                    "nl": len(LAST),
                    "low": low,
                    "high": high,
                },
            )
            print(f"  inserted users up to {high + 1:,}", file=sys.stderr)
        conn.execute("ANALYZE accounts_user")
        return time.perf_counter() - start


def fill_events(url: str) -> float:
    """Up to EVENTS log events over the last year, in the proportions a busy tenant sees."""
    with psycopg.connect(url, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM accounts_logevent").fetchone()[0]
        if have >= EVENTS:
            return 0.0
        start = time.perf_counter()
        for low in range(have, EVENTS, BATCH * 4):
            high = min(EVENTS, low + BATCH * 4) - 1
            conn.execute(
                """
                INSERT INTO accounts_logevent (
                    log_id, type, date, description, user_id_text, user_name, client_id,
                    client_name, connection, connection_id, user_agent, details
                )
                SELECT
                    'b' || lpad(to_hex(i), 30, '0'),
                    (ARRAY['s','s','s','s','s','s','f','f','scpr','scp','fcp','limit_mu',
                           'sapi','slo','api_limit','fcpr'])[1 + i %% 16],
                    now() - make_interval(secs => (i::bigint * 31536000 / %(total)s)::int),
                    '', '', '', '', '', '', '', '', '{}'
                FROM generate_series(%(low)s::int, %(high)s::int) AS i
                """,
                {"low": low, "high": high, "total": EVENTS},
            )
            print(f"  inserted log events up to {high + 1:,}", file=sys.stderr)
        conn.execute("ANALYZE accounts_logevent")
        return time.perf_counter() - start


def staff_cookie(base_url: str, email: str, password: str) -> str:
    """Log in at the staff login like a person would, and return the session's Cookie header."""
    session = requests.Session()
    page = session.get(f"{base_url}/dashboard/login?next=/dashboard/users/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = session.post(
        f"{base_url}/dashboard/login?next=/dashboard/users/",
        data={
            "csrfmiddlewaretoken": token,
            "email": email,
            "password": password,
            "next": "/dashboard/users/",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.status_code
    assert session.get(f"{base_url}/dashboard/users/", timeout=60).status_code == 200
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def signing_key_file(var_dir: Path) -> Path:
    """A JWT signing key for the bench's server: in production mode (PostgreSQL) Rekey never
    makes its own, so that every server signs with the operator's one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = var_dir / "jwt_signing_key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def api_token(base_url: str, m2m: dict[str, str]) -> str:
    """A Management API token for the demo machine-to-machine client (all its scopes)."""
    response = requests.post(
        f"{base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": m2m["client_id"],
            "client_secret": m2m["client_secret"],
            "audience": "http://127.0.0.1:8000/api/v2/",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def cursor(created_at: datetime, pk: int) -> str:
    # The dashboard's cursor format (dashboard.selectors): base64url JSON of the edge key.
    data = json.dumps({"k": [created_at.isoformat(), pk], "d": "n"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def main() -> dict[str, object]:
    url = bench_database_url()
    with temp_var_dir() as var_dir:
        env = bench_env(
            var_dir,
            DATABASE_URL=url,
            SECRET_KEY="bench-only-secret-key",
            PUBLIC_URL="http://127.0.0.1:8000",
            REKEY_JWT_PRIVATE_KEY_PATH=str(signing_key_file(var_dir)),
        )
        manage(env, "migrate", "-v0")
        demo = json.loads(manage(env, "seed_demo", "--json", "--users", "0"))
        filled = fill(url, demo["connection"])
        filled += fill_events(url)
        with psycopg.connect(url) as conn:
            total_users = conn.execute("SELECT count(*) FROM accounts_user").fetchone()[0]
            middle = conn.execute(
                "SELECT created_at, id FROM accounts_user ORDER BY created_at DESC, id DESC "
                "OFFSET %s LIMIT 1",
                [total_users // 2],
            ).fetchone()
        rng = random.Random(5)
        # The bulk users' ids are computed, not read: "auth0|b" + 23 hex digits of their number.
        ids = [f"auth0|b{i:023x}" for i in rng.sample(range(USERS), 500)]

        with server(env, threads=4) as base_url:
            staff = demo["staff"]
            headers = {"Cookie": staff_cookie(base_url, staff["email"], staff["password"])}

            def get(params_for):
                def make(n: int):
                    return ("GET", "/dashboard/users/?" + urlencode(params_for(n)), None, headers)

                return make

            deep = cursor(*middle)
            scenarios = [
                ("list, first page", get(lambda n: {})),
                ("list, page halfway (cursor)", get(lambda n: {"cursor": deep})),
                (
                    "email prefix search",
                    get(lambda n: {"q": f"{rng.choice(FIRST)}.{rng.choice(LAST)}".lower()}),
                ),
                (
                    "email prefix search, exact-ish",
                    get(lambda n: {"q": f"{FIRST[n % len(FIRST)]}.{LAST[n % len(LAST)]}{n}@"}),
                ),
                ("name search", get(lambda n: {"q": f"{rng.choice(FIRST)} {rng.choice(LAST)}"})),
                # Substrings (pg_trgm): a family name inside emails and names, and a domain.
                ("family name substring search", get(lambda n: {"q": rng.choice(LAST)})),
                ("domain substring search", get(lambda n: {"q": f"example{n % 50}.com"})),
                ("list sorted by email", get(lambda n: {"sort": "email"})),
                # The worst case: two letters match tens of thousands of emails and names.
                ("two-letter search", get(lambda n: {"q": rng.choice(FIRST)[:2]})),
                ("user_id lookup", get(lambda n: {"q": ids[n % len(ids)]})),
                ("blocked filter", get(lambda n: {"blocked": "yes"})),
            ]
            home = [
                (
                    f"activity home ({EVENTS:,} log events)",
                    lambda n: ("GET", "/dashboard/", None, headers),
                )
            ]
            # The Management API's Lucene q (issue 10), as the SDKs send it.
            token = api_token(base_url, demo["m2m"])

            def api(q_for):
                def make(n: int):
                    query = urlencode({"q": q_for(n), "per_page": 50, "search_engine": "v3"})
                    auth = {"Authorization": f"Bearer {token}"}
                    return ("GET", "/api/v2/users?" + query, None, auth)

                return make

            def email(i: int) -> str:
                first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
                return f"{first}.{last}{i}@example{i % 50}.com"

            def name_phrase(n: int) -> str:
                return f'name:"{rng.choice(FIRST)} {rng.choice(LAST)}"'

            def or_not(n: int) -> str:
                return f"(given_name:{rng.choice(FIRST)} OR given_name:Ben) AND NOT blocked:true"

            api_scenarios = [
                ("API q email exact", api(lambda n: f'email:"{email(rng.randrange(USERS))}"')),
                ("API q email prefix", api(lambda n: f"email:{email(rng.randrange(USERS))[:9]}*")),
                ("API q name phrase", api(name_phrase)),
                ("API q family_name", api(lambda n: f"family_name:{rng.choice(LAST)}")),
                ("API q logins_count range", api(lambda n: "logins_count:[10 TO 12]")),
                ("API q OR, NOT", api(or_not)),
                ("API q user_id", api(lambda n: f'user_id:"{ids[n % len(ids)]}"')),
            ]
            for name, make in api_scenarios:
                _method, path, _body, auth = make(7)
                answer = requests.get(base_url + path, headers=auth, timeout=120)
                assert answer.status_code == 200 and answer.json(), (name, answer.text[:300])
            # Each search must find users: an empty page would be trivially fast.
            found = {}
            for name, make in scenarios:
                _method, path, _body, _headers = make(7)
                html = requests.get(base_url + path, headers=headers, timeout=60).text
                found[name] = html.count('href="/dashboard/users/auth0%7C')
            print("rows on a sample page:", found, file=sys.stderr)
            assert all(found.values()), found
            # Warm the connection pool and the caches once, then measure.
            load("warm-up", base_url, get(lambda n: {}), total=20, concurrency=2)
            # The home's first view stores the closed hours of its window; then it reads them.
            started = time.perf_counter()
            requests.get(base_url + "/dashboard/", headers=headers, timeout=300)
            first_home = time.perf_counter() - started
            print(f"activity home, first view (fills 30 days of hours): {first_home:.2f} s")
            rows = [
                load(name, base_url, make, total=TOTAL, concurrency=2, max_seconds=120).row()
                for name, make in scenarios + home + api_scenarios
            ]
    print(f"users in the table: {total_users:,} (filled now in {filled:.0f} s)")
    print_table(rows)
    return {
        "users": total_users,
        "fill_seconds": round(filled, 1),
        "activity_home_first_view_seconds": round(first_home, 2),
        "rows_on_a_sample_page": found,
        "results": rows,
    }


if __name__ == "__main__":
    result = main()
    results_dir = Path(__file__).resolve().parent / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "dashboard_users.json").write_text(json.dumps(result, indent=2) + "\n")

"""The demo tenant that ``make run`` uses: idempotent, safe to run on every start."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import Application, AppType, ClientGrant, Connection, StaffRole, Strategy, User
from accounts.oidc.server import PASSWORD_REALM
from accounts.scopes import MANAGEMENT_API_SCOPES, management_audience
from accounts.selectors import staff_connection
from accounts.services import client_secret_hash

DEMO_USERS = 300
SPA_ORIGIN = "http://localhost:3000"
WEB_ORIGIN = "http://localhost:4000"


def _derived(label: str) -> str:
    """A per-installation demo secret, derived from SECRET_KEY so re-seeding prints the same."""
    digest = hmac.new(settings.SECRET_KEY.encode(), label.encode(), hashlib.sha256).hexdigest()
    return digest[:24]


def demo_password(label: str) -> str:
    # Meets every policy level: upper, lower, digit, special, no triple repeats.
    return f"Rk-{_derived(label)[:12]}-a7Q!"


class Command(BaseCommand):
    help = "Create the demo tenant (connections, applications, staff, users) once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--users", type=int, default=DEMO_USERS, help="bulk demo users")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            result = self._seed(options["users"])
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        changed = "(changed since the demo was seeded: use the one you set)"

        def shown(part: dict[str, Any], key: str) -> str:
            return str(part[key]) if part.get("current", True) else changed

        self.stdout.write(
            "\n".join(
                [
                    "Demo tenant ready.",
                    f"  Dashboard staff login: {result['staff']['email']} / "
                    f"{shown(result['staff'], 'password')}  (at /dashboard/login)",
                    f"  Demo end user:         {result['user']['email']} / "
                    f"{shown(result['user'], 'password')}",
                    f"  Machine-to-machine app: client_id={result['m2m']['client_id']}",
                    "                          client_secret="
                    + shown(result["m2m"], "client_secret"),
                    f"                          audience={result['m2m']['audience']}",
                ]
            )
        )

    def _seed(self, bulk_users: int) -> dict[str, Any]:
        db_conn, _ = Connection.objects.get_or_create(
            name=settings.REKEY_DEFAULT_CONNECTION,
            defaults={"strategy": Strategy.DATABASE, "password_policy": "good"},
        )
        social, _ = Connection.objects.get_or_create(
            name="google-oauth2", defaults={"strategy": Strategy.GOOGLE}
        )
        spa, _ = Application.objects.get_or_create(
            name="Demo SPA",
            defaults={"app_type": AppType.SPA, "allowed_origins": [SPA_ORIGIN]},
        )
        # Signs users in with code + PKCE (accounts.oidc), refresh tokens rotating.
        spa.callbacks = [SPA_ORIGIN + "/callback"]
        spa.allowed_logout_urls = [SPA_ORIGIN]
        spa.web_origins = [SPA_ORIGIN]
        spa.grant_types = ["authorization_code", "refresh_token"]
        spa.save()
        spa.enabled_connections.add(db_conn, social)

        # A server-side app that checks passwords with Auth0's password-realm grant.
        web, web_created = Application.objects.get_or_create(
            name="Demo Web App", defaults={"app_type": AppType.REGULAR_WEB}
        )
        web_secret = _derived("web-client-secret") + _derived("web-client-secret-2")
        if web_created or not web.client_secret_hash:
            web.client_secret_hash = client_secret_hash(web_secret)
        web.callbacks = [WEB_ORIGIN + "/callback"]
        web.allowed_logout_urls = [WEB_ORIGIN]
        web.grant_types = ["authorization_code", "refresh_token", PASSWORD_REALM]
        web.save()
        web.enabled_connections.add(db_conn)
        # As the M2M client's below: a secret rotated since stays rotated, and is said to be.
        web_secret_current = web.client_secret_hash == client_secret_hash(web_secret)

        m2m, created = Application.objects.get_or_create(
            name="Demo Management Client", defaults={"app_type": AppType.M2M}
        )
        m2m_secret = _derived("m2m-client-secret") + _derived("m2m-client-secret-2")
        if created or not m2m.client_secret_hash:
            m2m.client_secret_hash = client_secret_hash(m2m_secret)
            m2m.save(update_fields=["client_secret_hash"])
        # A secret rotated since (in the dashboard) stays rotated: say so, never restore it.
        m2m_secret_current = m2m.client_secret_hash == client_secret_hash(m2m_secret)
        m2m.enabled_connections.add(db_conn)
        ClientGrant.objects.update_or_create(
            application=m2m,
            audience=management_audience(),
            defaults={"scopes": MANAGEMENT_API_SCOPES},
        )

        staff_password = demo_password("staff")
        staff_realm = staff_connection()
        self._user(
            staff_realm,
            "admin@example.com",
            staff_password,
            name="Demo Admin",
            is_staff=True,
            staff_role=StaffRole.ADMINISTRATOR,
        )
        self._user(
            staff_realm,
            "viewer@example.com",
            demo_password("viewer"),
            name="Demo Viewer",
            is_staff=True,
            staff_role=StaffRole.VIEWER,
        )
        user_password = demo_password("user")
        self._user(db_conn, "user@example.com", user_password, name="Demo User")
        self._user(social, "social.user@example.com", None, name="Social User")
        self._bulk_users(db_conn, bulk_users)

        def still(connection: Connection, email: str, password: str) -> bool:
            user = User.objects.filter(connection=connection, email=email).first()
            return bool(user and user.check_password(password))

        return {
            "connection": db_conn.name,
            "staff": {
                "email": "admin@example.com",
                "password": staff_password,
                "current": still(staff_realm, "admin@example.com", staff_password),
            },
            "viewer": {"email": "viewer@example.com", "password": demo_password("viewer")},
            "user": {
                "email": "user@example.com",
                "password": user_password,
                "current": still(db_conn, "user@example.com", user_password),
            },
            "spa": {
                "client_id": spa.client_id,
                "origin": SPA_ORIGIN,
                "callback": SPA_ORIGIN + "/callback",
            },
            "web": {
                "client_id": web.client_id,
                "client_secret": web_secret,
                "current": web_secret_current,
            },
            "m2m": {
                "client_id": m2m.client_id,
                "client_secret": m2m_secret,
                "audience": management_audience(),
                "current": m2m_secret_current,
            },
        }

    def _user(self, connection: Connection, email: str, password: str | None, **fields: Any):
        user = User.objects.filter(connection=connection, email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, password, connection=connection, email_verified=True, **fields
            )
        return user

    def _bulk_users(self, connection: Connection, count: int) -> None:
        existing = User.objects.filter(connection=connection, email__startswith="demo").count()
        if existing >= count:
            return
        shared_hash = make_password(demo_password("bulk"))
        first = ["Aiko", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goro", "Hana", "Ivan", "Jun"]
        last = ["Sato", "Smith", "Tanaka", "Garcia", "Kim", "Okafor", "Rossi", "Suzuki"]
        User.objects.bulk_create(
            [
                User(
                    connection=connection,
                    email=f"demo{n:04d}@example.com",
                    email_key=f"demo{n:04d}@example.com",
                    name=f"{first[n % len(first)]} {last[n % len(last)]}",
                    given_name=first[n % len(first)],
                    family_name=last[n % len(last)],
                    email_verified=n % 3 != 0,
                    password=shared_hash,
                )
                for n in range(existing, count)
            ],
            batch_size=500,
        )

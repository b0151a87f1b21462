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
from accounts.scopes import MANAGEMENT_API_SCOPES, management_audience
from accounts.services import client_secret_hash

DEMO_USERS = 300
SPA_ORIGIN = "http://localhost:3000"


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
        self.stdout.write(
            "\n".join(
                [
                    "Demo tenant ready.",
                    f"  Dashboard staff login: {result['staff']['email']} / "
                    f"{result['staff']['password']}",
                    f"  Demo end user:         {result['user']['email']} / "
                    f"{result['user']['password']}",
                    f"  Machine-to-machine app: client_id={result['m2m']['client_id']}",
                    f"                          client_secret={result['m2m']['client_secret']}",
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
        spa.enabled_connections.add(db_conn, social)

        m2m, _ = Application.objects.get_or_create(
            name="Demo Management Client", defaults={"app_type": AppType.M2M}
        )
        m2m_secret = _derived("m2m-client-secret") + _derived("m2m-client-secret-2")
        if m2m.client_secret_hash != client_secret_hash(m2m_secret):
            m2m.client_secret_hash = client_secret_hash(m2m_secret)
            m2m.save(update_fields=["client_secret_hash"])
        m2m.enabled_connections.add(db_conn)
        ClientGrant.objects.update_or_create(
            application=m2m,
            audience=management_audience(),
            defaults={"scopes": MANAGEMENT_API_SCOPES},
        )

        staff_password = demo_password("staff")
        self._user(
            db_conn,
            "admin@example.com",
            staff_password,
            name="Demo Admin",
            is_staff=True,
            staff_role=StaffRole.ADMINISTRATOR,
        )
        self._user(
            db_conn,
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

        return {
            "connection": db_conn.name,
            "staff": {"email": "admin@example.com", "password": staff_password},
            "viewer": {"email": "viewer@example.com", "password": demo_password("viewer")},
            "user": {"email": "user@example.com", "password": user_password},
            "spa": {"client_id": spa.client_id, "origin": SPA_ORIGIN},
            "m2m": {
                "client_id": m2m.client_id,
                "client_secret": m2m_secret,
                "audience": management_audience(),
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

"""Reads on users, connections and applications."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Application, Connection, Strategy, User, email_key


def connection_default() -> Connection:
    return Connection.objects.get(name=settings.REKEY_DEFAULT_CONNECTION)


def connection_by_name(name: str) -> Connection | None:
    return Connection.objects.filter(name=name).first()


def connection_for_application(*, name: str, application: Application | None) -> Connection | None:
    """The database connection of that name, enabled for the application when one is given.

    One query on the hot path of a forgot-password request.
    """
    qs = Connection.objects.filter(name=name, strategy=Strategy.DATABASE)
    if application is not None:
        qs = qs.filter(applications=application)
    return qs.first()


def application_by_client_id(client_id: str) -> Application | None:
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        return None
    return Application.objects.filter(client_id=client_id).first()


def user_by_email(*, connection: Connection, email: str) -> User | None:
    """The user of a connection whose email matches, compared in a Unicode-safe way."""
    return (
        User.objects.select_related("connection")
        .filter(connection=connection, email_key=email_key(email))
        .first()
    )


def users_by_email(email: str) -> QuerySet[User]:
    return User.objects.select_related("connection").filter(email_key=email_key(email))


def looks_like_user_id(text: str) -> bool:
    """``provider|id`` rather than an email (an email may hold a "|" only after its "@")."""
    return "|" in text and "@" not in text.split("|", 1)[0]


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string starting with ``prefix``, in code point order.

    ``prefix <= x < bound`` is then exactly "x starts with prefix", a range a B-tree index
    answers; None where no such bound exists (an empty prefix, or one ending in U+10FFFF).
    """
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def user_lookup(identifier: str, *, connection_name: str | None = None) -> list[User]:
    """Users named by a ``user_id`` or an email (optionally in one connection)."""
    qs = User.objects.select_related("connection")
    if looks_like_user_id(identifier):
        return list(qs.filter(user_id=identifier))
    qs = qs.filter(email_key=email_key(identifier))
    if connection_name:
        qs = qs.filter(connection__name=connection_name)
    return list(qs)

"""Reads on users, connections and applications.

Tenant doors (the Management API, ``/dbconnections``, the hosted login and forgot-password pages)
read users and connections through ``tenant_users`` and ``tenant_connections`` only: staff live in
the staff realm, and a request that names one gets the answer an unknown user gets.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import (
    STAFF_CONNECTION_NAME,
    Application,
    ClientGrant,
    Connection,
    LogEvent,
    RefreshToken,
    Strategy,
    TenantSettings,
    User,
    UserSession,
    email_key,
)


def tenant_connections() -> QuerySet[Connection]:
    """Every connection but the staff realm."""
    return Connection.objects.filter(is_staff_realm=False)


def tenant_users() -> QuerySet[User]:
    """Every user a tenant door may see: never staff, never the staff realm."""
    return User.objects.select_related("connection").filter(
        is_staff=False, connection__is_staff_realm=False
    )


def tenant_sessions() -> QuerySet[UserSession]:
    """Login sessions of tenant users only (a staff member's session is nobody's here)."""
    return UserSession.objects.select_related("user").filter(user__in=tenant_users())


def staff_connection() -> Connection:
    """The staff realm (made by accounts' migration 0002)."""
    return Connection.objects.get(is_staff_realm=True)


def staff_users() -> QuerySet[User]:
    """Dashboard staff: the users of the staff realm."""
    return User.objects.select_related("connection").filter(connection__is_staff_realm=True)


def staff_by_email(email: str) -> User | None:
    """The staff member with that address, compared as logins compare it."""
    return staff_users().filter(email_key=email_key(email)).first()


def tenant_log_events() -> QuerySet[LogEvent]:
    """Log events a tenant door may read: none about staff or their realm."""
    return LogEvent.objects.exclude(connection=STAFF_CONNECTION_NAME)


def connection_default() -> Connection:
    return tenant_connections().get(name=settings.REKEY_DEFAULT_CONNECTION)


def connection_by_name(name: str) -> Connection | None:
    """A tenant connection by name (the staff realm is never found here)."""
    if not isinstance(name, str) or not name:
        return None
    return tenant_connections().filter(name=name).first()


def connection_by_id(connection_id: str) -> Connection | None:
    """A tenant connection by id (the staff realm is never found here)."""
    if not isinstance(connection_id, str) or not connection_id:
        return None
    return tenant_connections().filter(id=connection_id).first()


def connection_for_application(*, name: str, application: Application | None) -> Connection | None:
    """The database connection of that name, enabled for the application when one is given.

    One query on the hot path of a forgot-password request.
    """
    qs = tenant_connections().filter(name=name, strategy=Strategy.DATABASE)
    if application is not None:
        qs = qs.filter(applications=application)
    return qs.first()


def applications() -> QuerySet[Application]:
    """Every application (client) of the tenant."""
    return Application.objects.all()


def client_grants() -> QuerySet[ClientGrant]:
    """Every client grant (an application's scopes on an audience)."""
    return ClientGrant.objects.all()


def application_by_client_id(client_id: str) -> Application | None:
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        return None
    return Application.objects.filter(client_id=client_id).first()


def user_by_email(*, connection: Connection, email: str) -> User | None:
    """The tenant user of a connection whose email matches, compared in a Unicode-safe way."""
    return tenant_users().filter(connection=connection, email_key=email_key(email)).first()


def users_by_email(email: str) -> QuerySet[User]:
    """Tenant users with that email, in any connection."""
    return tenant_users().filter(email_key=email_key(email))


def user_by_user_id(user_id: str) -> User | None:
    """The tenant user with that ``user_id`` (a staff member is not found here)."""
    if not isinstance(user_id, str) or not user_id:
        return None
    return tenant_users().filter(user_id=user_id).first()


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
    """Users named by a ``user_id`` or an email (optionally in one connection).

    The operator's commands only: staff are found here too (``changepassword`` is the
    break-glass path for staff).
    """
    qs = User.objects.select_related("connection")
    if looks_like_user_id(identifier):
        return list(qs.filter(user_id=identifier))
    qs = qs.filter(email_key=email_key(identifier))
    if connection_name:
        qs = qs.filter(connection__name=connection_name)
    return list(qs)


def refresh_tokens_live(user: User) -> QuerySet[RefreshToken]:
    """The user's refresh tokens that would still be exchanged (not rotated, revoked, expired)."""
    return (
        RefreshToken.objects.filter(
            user=user, revoked_at=None, rotated_at=None, expires_at__gt=timezone.now()
        )
        .select_related("application")
        .order_by("-created_at", "-id")
    )


def refresh_token_by_id(token_id: str) -> RefreshToken | None:
    """A live refresh token of a tenant user by id (a staff member's is nobody's)."""
    if not isinstance(token_id, str) or not token_id or len(token_id) > 32:
        return None
    return (
        RefreshToken.objects.filter(
            id=token_id,
            revoked_at=None,
            rotated_at=None,
            expires_at__gt=timezone.now(),
            user__in=tenant_users(),
        )
        .select_related("application", "user", "user__connection")
        .first()
    )


def tenant_settings() -> TenantSettings:
    """The tenant's settings (defaults until someone saves them)."""
    return TenantSettings.objects.order_by("pk").first() or TenantSettings()


def tenant_email_context() -> dict[str, str]:
    """What every email template may name: tenant, friendly_name, support_email, support_url."""
    from urllib.parse import urlsplit

    current = tenant_settings()
    host = urlsplit(settings.PUBLIC_URL).hostname or ""
    return {
        "tenant": current.friendly_name or host,
        "friendly_name": current.friendly_name or "Rekey",
        "support_email": current.support_email,
        "support_url": current.support_url,
    }

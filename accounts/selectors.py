"""Reads on users, connections and applications.

Tenant doors (the Management API, ``/dbconnections``, the hosted login and forgot-password pages)
read users and connections through ``tenant_users`` and ``tenant_connections`` only: staff live in
the staff realm, and a request that names one gets the answer an unknown user gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Collate, Concat, Upper
from django.utils import timezone

from accounts.memo import memoized
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


def user_by_email(*, connection: Connection, email: str, lock: bool = False) -> User | None:
    """The tenant user of a connection whose email matches, compared in a Unicode-safe way.

    ``lock``: and the row locked until the caller's transaction ends (``SELECT ... FOR UPDATE``).
    """
    users = tenant_users().filter(connection=connection, email_key=email_key(email))
    return (users.select_for_update() if lock else users).first()


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
    """The tenant's settings (defaults until someone saves them); read once per worker batch."""
    return memoized(
        ("tenant_settings",),
        lambda: TenantSettings.objects.order_by("pk").first() or TenantSettings(),
    )


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


def bytewise(expression: Any) -> Collate:
    """The expression compared code point by code point, whatever the database's collation.

    A prefix is then exactly a range (``p <= x < p'``), which a plain btree index answers in
    order; PostgreSQL has matching indexes (accounts migration 0011).
    """
    return Collate(expression, "C" if db_connection.vendor == "postgresql" else "BINARY")


def prefix_range(field: str, prefix: str) -> Q:
    """``field`` (a ``bytewise`` expression) starts with ``prefix``: a range on its index."""
    upper = prefix_upper_bound(prefix)
    return Q(**{f"{field}__gte": prefix, **({f"{field}__lt": upper} if upper else {})})


def tenant_users_bytewise() -> QuerySet[User]:
    """``tenant_users`` with ``email_c``, the email key as its bytewise index has it."""
    return tenant_users().annotate(email_c=bytewise(F("email_key")))


# Below this many characters a search matches prefixes only: a trigram index cannot narrow
# one or two letters, and "contains 'ta'" would match most of a large table.
SUBSTRING_MIN = 3
# A count is exact up to here, then "more than": counting a million matches costs more than
# the page itself.
COUNT_CAP = 10_000
# The orders a users search can be read in (a keyset on the annotated email_c, or created_at).
USER_SORTS = ("email", "-email", "created", "-created")


@dataclass(frozen=True)
class UserSearch:
    """What a users search found: the querysets to page, their sort, and how it searched."""

    parts: list[QuerySet[Any]]
    sort: str
    mode: str  # "all", "user_id", "prefix" or "substring"
    query: str


def users_search(
    *, q: str = "", connection_id: str = "", blocked: str = "", sort: str = ""
) -> UserSearch:
    """Users matching a search box and filters, and the order to page them in.

    The box takes an exact ``user_id``; otherwise it matches emails (compared on
    ``email_key``, as logins are) and names. From ``SUBSTRING_MIN`` characters on it finds
    them anywhere ("tanaka", "example.com"): PostgreSQL answers with trigram indexes (accounts
    migration 0010), SQLite by scanning, which suits the embedded set-up's size. Shorter
    searches match prefixes, answered in order by the bytewise indexes (accounts 0011).
    Email and name are separate querysets that the pager merges: the name one sorts its
    matches rather than walk the email index filtering names, which can cross the table.
    """
    qs = tenant_users()
    if connection_id:
        qs = qs.filter(connection_id=connection_id)
    if blocked in {"yes", "no"}:
        qs = qs.filter(blocked=blocked == "yes")
    q = q.strip()[:254]
    by_email = qs.annotate(email_c=bytewise(F("email_key")))
    if not q:
        sort = sort if sort in USER_SORTS else "-created"
        return UserSearch([by_email], sort, "all", q)
    sort = sort if sort in USER_SORTS else "email"
    if looks_like_user_id(q):
        return UserSearch([by_email.filter(user_id=q)], sort, "user_id", q)
    substring = len(q) >= SUBSTRING_MIN
    parts: list[QuerySet[Any]] = []
    if key := email_key(q):
        if substring:
            parts.append(_few_or_walk(by_email, by_email.filter(email_key__contains=key)))
        else:
            parts.append(by_email.filter(prefix_range("email_c", key)))
    if "@" not in q:
        by_name = qs.annotate(
            name_u=Upper("name"),
            name_c=bytewise(Upper("name")),
            # The same values as email_c, but not the indexed expression (see above).
            email_c=bytewise(Concat(F("email_key"), Value(""))),
        )
        if substring:
            matches = qs.annotate(name_u=Upper("name")).filter(name_u__contains=q.upper())
            # Dense matches walk the email index (the indexed email_c) filtering names.
            by_name = _few_or_walk(by_email, by_email.filter(pk__in=matches.values("pk")), matches)
        else:
            by_name = by_name.filter(prefix_range("name_c", q.upper()))
        parts.append(by_name)
    return UserSearch(parts, sort, "substring" if substring else "prefix", q)


# A substring matching at most this many users is fetched through its trigram index and
# sorted; one matching more is dense enough that walking the ordered index finds a page fast.
FEW = 2_000


def _few_or_walk(
    base: QuerySet[Any], walk: QuerySet[Any], matches: QuerySet[Any] | None = None
) -> QuerySet[Any]:
    """The cheaper of two plans for a substring, chosen by how many users it matches.

    PostgreSQL cannot estimate ``LIKE '%x%'`` well: it may walk the ordered index to find a
    rare match (most of the table) or sort a common one. An unordered, bounded look at the
    matches (a trigram bitmap scan) tells which case this is.
    """
    source = walk if matches is None else matches
    pks = list(source.order_by().values_list("pk", flat=True)[: FEW + 1])
    if len(pks) <= FEW:
        return base.filter(pk__in=pks)
    return walk


def users_count(search: UserSearch, cap: int | None = None) -> tuple[int, bool]:
    """How many users the search found, exact up to ``cap`` (then True: "more than")."""
    cap = COUNT_CAP if cap is None else cap
    if len(search.parts) == 1:
        found = search.parts[0].order_by()[: cap + 1].count()
        return min(found, cap), found > cap
    seen: set[int] = set()
    for part in search.parts:
        seen.update(part.order_by().values_list("pk", flat=True)[: cap + 1])
        if len(seen) > cap:
            return cap, True
    return len(seen), False


def logs_search(
    *,
    events: QuerySet[LogEvent] | None = None,
    condition: Q | None = None,
    type: str = "",
    user: str = "",
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> QuerySet[LogEvent]:
    """Log events (of ``events``, else all) matching ``condition`` (a translated query), a
    type, a user (``user_id`` or email) and a date range."""
    qs = (LogEvent.objects.all() if events is None else events).select_related("user", "actor")
    if condition is not None:
        qs = qs.filter(condition)
    if type:
        qs = qs.filter(type=type)
    user = user.strip()
    if user:
        if looks_like_user_id(user):
            qs = qs.filter(user_id_text=user)
        else:
            qs = qs.filter(user__email_key=email_key(user))
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lt=date_to)
    return qs

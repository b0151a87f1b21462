"""Reads for the dashboard's lists: search and keyset pagination, never a COUNT over a table.

A page is fetched with ``LIMIT n + 1`` after (or before) the key of the row at its edge, so the
cost of a page does not grow with its depth or with the size of the table. Cursors are opaque
URL-safe strings holding that key and a direction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection as db_connection
from django.db.models import F, Model, Q, QuerySet, Value
from django.db.models.functions import Collate, Concat, Upper

from accounts.models import LogEvent, email_key
from accounts.selectors import looks_like_user_id, prefix_upper_bound, tenant_users

PAGE_SIZE = 50


@dataclass(frozen=True)
class Ordering:
    """A keyset: two fields, the second unique, both ascending or both descending."""

    fields: tuple[str, str]
    descending: bool

    def order_by(self, backwards: bool) -> list[str]:
        flip = self.descending != backwards
        return [("-" if flip else "") + name for name in self.fields]


BY_EMAIL = Ordering(("email_c", "id"), descending=False)
BY_CREATED = Ordering(("created_at", "id"), descending=True)
BY_DATE = Ordering(("date", "id"), descending=True)


@dataclass(frozen=True)
class Page[M: Model]:
    items: list[M]
    next_cursor: str | None
    previous_cursor: str | None


def _encode(values: tuple[Any, Any], direction: str) -> str:
    raw = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    data = json.dumps({"k": raw, "d": direction}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(cursor: str, ordering: Ordering) -> tuple[tuple[Any, Any], str] | None:
    """The key and direction in a cursor, or None when it is not one of ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        first, second = data["k"]
        direction = data["d"]
        if direction not in {"n", "p"} or not isinstance(second, int):
            return None
        if ordering.fields[0] in {"created_at", "date"}:
            first = datetime.fromisoformat(first)
        elif not isinstance(first, str):
            return None
        return (first, second), direction
    except (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError):
        return None


def _beyond(ordering: Ordering, key: tuple[Any, Any], backwards: bool) -> Q:
    """Rows strictly past ``key`` in reading order (or before it when going backwards).

    Written as ``a >= x AND (a > x OR b > y)`` rather than ``a > x OR (a = x AND b > y)``: the
    first conjunct bounds the index scan, so a deep page costs the same as the first one.
    """
    a, b = ordering.fields
    x, y = key
    greater = ordering.descending == backwards
    if greater:
        return Q(**{f"{a}__gte": x}) & (Q(**{f"{a}__gt": x}) | Q(**{f"{b}__gt": y}))
    return Q(**{f"{a}__lte": x}) & (Q(**{f"{a}__lt": x}) | Q(**{f"{b}__lt": y}))


def keyset_page[M: Model](
    qs: QuerySet[M] | Sequence[QuerySet[M]],
    ordering: Ordering,
    cursor: str = "",
    size: int = PAGE_SIZE,
) -> Page[M]:
    """One page of ``qs`` in ``ordering`` after or before the cursor's row.

    Given several querysets (alternatives of one search), each is paged on its own and the
    pages are merged: each stays one bounded index scan, where a single ``OR`` of the two
    conditions may lead PostgreSQL to walk the whole ordering index filtering rows.
    """
    decoded = _decode(cursor, ordering) if cursor else None
    backwards = decoded is not None and decoded[1] == "p"
    parts = [qs] if isinstance(qs, QuerySet) else list(qs)
    if decoded is not None:
        parts = [part.filter(_beyond(ordering, decoded[0], backwards)) for part in parts]
    order = ordering.order_by(backwards)
    rows: list[M] = []
    seen: set[Any] = set()
    for part in parts:
        for row in part.order_by(*order)[: size + 1]:
            if row.pk not in seen:
                seen.add(row.pk)
                rows.append(row)
    if len(parts) > 1:
        rows.sort(
            key=lambda r: (getattr(r, ordering.fields[0]), getattr(r, ordering.fields[1])),
            reverse=ordering.descending != backwards,
        )
    rows = rows[: size + 1]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def key(row: M) -> tuple[Any, Any]:
        return (getattr(row, ordering.fields[0]), getattr(row, ordering.fields[1]))

    has_next = (more and not backwards) or (backwards and bool(rows))
    has_previous = (more and backwards) or (decoded is not None and not backwards and bool(rows))
    return Page(
        items=rows,
        next_cursor=_encode(key(rows[-1]), "n") if has_next else None,
        previous_cursor=_encode(key(rows[0]), "p") if has_previous else None,
    )


def _bytewise(expression: Any) -> Collate:
    """The expression compared code point by code point, whatever the database's collation.

    A prefix is then exactly a range (``p <= x < p'``), which a plain btree index answers in
    order; PostgreSQL has matching indexes (dashboard migration 0002).
    """
    return Collate(expression, "C" if db_connection.vendor == "postgresql" else "BINARY")


def _prefix_range(prefix: str) -> dict[str, str]:
    upper = prefix_upper_bound(prefix)
    return {"gte": prefix, "lt": upper} if upper else {"gte": prefix}


# Below this many characters a search matches prefixes only: a trigram index cannot narrow
# one or two letters, and "contains 'ta'" would match most of a large table.
SUBSTRING_MIN = 3
# A count is exact up to here, then "more than": counting a million matches costs more than
# the page itself.
COUNT_CAP = 10_000

USER_SORTS: dict[str, Ordering] = {
    "email": BY_EMAIL,
    "-email": Ordering(("email_c", "id"), descending=True),
    "-created": BY_CREATED,
    "created": Ordering(("created_at", "id"), descending=False),
}


@dataclass(frozen=True)
class UserSearch:
    """What the users list found: the querysets to page, their order, and how it searched."""

    parts: list[QuerySet[Any]]
    ordering: Ordering
    sort: str
    mode: str  # "all", "user_id", "prefix" or "substring"
    query: str


def users_search(
    *, q: str = "", connection_id: str = "", blocked: str = "", sort: str = ""
) -> UserSearch:
    """Users matching the list's search box and filters, and the order to page them in.

    The box takes an exact ``user_id``; otherwise it matches emails (compared on
    ``email_key``, as logins are) and names. From ``SUBSTRING_MIN`` characters on it finds
    them anywhere ("tanaka", "example.com"): PostgreSQL answers with trigram indexes (accounts
    migration 0003), SQLite by scanning, which suits the embedded set-up's size. Shorter
    searches match prefixes, answered in order by the bytewise indexes (dashboard 0002).
    Email and name are separate querysets that the pager merges: the name one sorts its
    matches rather than walk the email index filtering names, which can cross the table.
    """
    qs = tenant_users()
    if connection_id:
        qs = qs.filter(connection_id=connection_id)
    if blocked in {"yes", "no"}:
        qs = qs.filter(blocked=blocked == "yes")
    q = q.strip()[:254]
    by_email = qs.annotate(email_c=_bytewise(F("email_key")))
    if not q:
        sort = sort if sort in USER_SORTS else "-created"
        return UserSearch([by_email], USER_SORTS[sort], sort, "all", q)
    sort = sort if sort in USER_SORTS else "email"
    ordering = USER_SORTS[sort]
    if looks_like_user_id(q):
        return UserSearch([by_email.filter(user_id=q)], ordering, sort, "user_id", q)
    substring = len(q) >= SUBSTRING_MIN
    parts: list[QuerySet[Any]] = []
    if key := email_key(q):
        if substring:
            parts.append(_few_or_walk(by_email, by_email.filter(email_key__contains=key)))
        else:
            bounds = _prefix_range(key)
            parts.append(by_email.filter(**{f"email_c__{op}": v for op, v in bounds.items()}))
    if "@" not in q:
        by_name = qs.annotate(
            name_u=Upper("name"),
            name_c=_bytewise(Upper("name")),
            # The same values as email_c, but not the indexed expression (see above).
            email_c=_bytewise(Concat(F("email_key"), Value(""))),
        )
        if substring:
            matches = qs.annotate(name_u=Upper("name")).filter(name_u__contains=q.upper())
            # Dense matches walk the email index (the indexed email_c) filtering names.
            by_name = _few_or_walk(by_email, by_email.filter(pk__in=matches.values("pk")), matches)
        else:
            bounds = _prefix_range(q.upper())
            by_name = by_name.filter(**{f"name_c__{op}": v for op, v in bounds.items()})
        parts.append(by_name)
    return UserSearch(parts, ordering, sort, "substring" if substring else "prefix", q)


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
    type: str = "",
    user: str = "",
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> QuerySet[LogEvent]:
    """Log events filtered by type, user (``user_id`` or email) and date range."""
    qs = LogEvent.objects.select_related("user", "actor")
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

"""Keyset pagination for the dashboard's lists (the searches are accounts.selectors'), never a
COUNT over a table.

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

from django.db.models import Model, Q, QuerySet

from accounts.selectors import UserSearch

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


USER_SORTS: dict[str, Ordering] = {
    "email": BY_EMAIL,
    "-email": Ordering(("email_c", "id"), descending=True),
    "-created": BY_CREATED,
    "created": Ordering(("created_at", "id"), descending=False),
}


def users_page(search: UserSearch, cursor: str = "", size: int = PAGE_SIZE) -> Page[Any]:
    """One page of what ``accounts.selectors.users_search`` found, in its sort."""
    return keyset_page(search.parts, USER_SORTS[search.sort], cursor, size)

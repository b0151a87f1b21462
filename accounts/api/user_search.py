"""Auth0's users search ``q`` (a Lucene subset) translated into index-friendly filters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from accounts.api.lucene import QuerySyntaxError, Term, parse
from accounts.models import User, email_key
from accounts.selectors import prefix_upper_bound

_BOOLEANS = {"true": True, "false": False}


@functools.cache
def _codepoint_ordered(alias: str) -> bool:
    """Whether the database compares text by code point (so a prefix is a range)."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return True  # BINARY collation: UTF-8 byte order is code point order
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            row = cursor.fetchone()
        return bool(row) and str(row[0]).split(".")[0] in {"C", "POSIX"}
    return False


def prefix_filter(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written so that a plain B-tree index serves it.

    LIKE 'abc%' uses a B-tree only under the C collation (PostgreSQL) or with
    case_sensitive_like (SQLite); a range ``>= 'abc' AND < 'abd'`` uses it whenever the database
    orders text by code point, and the LIKE stays as the exact condition.
    """
    condition = Q(**{f"{field}__startswith": prefix})
    upper = prefix_upper_bound(prefix)
    if upper and _codepoint_ordered("default"):
        condition &= Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    return condition


def _email(term: Term) -> Q:
    # email_key is indexed: an exact match or a prefix range uses the index.
    key = email_key(term.value)
    return prefix_filter("email_key", key) if term.prefix else Q(email_key=key)


def _user_id(term: Term) -> Q:
    return prefix_filter("user_id", term.value) if term.prefix else Q(user_id=term.value)


def _name(term: Term) -> Q:
    return Q(name__istartswith=term.value) if term.prefix else Q(name__iexact=term.value)


def _connection(term: Term) -> Q:
    if term.prefix:
        return Q(connection__name__startswith=term.value)
    return Q(connection__name=term.value)


def _boolean(field: str) -> Callable[[Term], Q]:
    def build(term: Term) -> Q:
        if term.prefix or term.value.lower() not in _BOOLEANS:
            raise QuerySyntaxError(f"{field} takes true or false")
        return Q(**{field: _BOOLEANS[term.value.lower()]})

    return build


def _bounds(value: str) -> tuple[datetime, datetime]:
    """The first and last instant a value names: a whole day for a date, else the instant."""
    if len(value) == 10 and (day := parse_date(value)) is not None:
        first = datetime.combine(day, datetime.min.time())
        last = datetime.combine(day, datetime.max.time())
    elif (moment := parse_datetime(value)) is not None:
        first = last = moment
    else:
        raise QuerySyntaxError(f"not a date: {value}")
    return (
        first if first.tzinfo else make_aware(first),
        last if last.tzinfo else make_aware(last),
    )


def date_filter(field: str) -> Callable[[Term], Q]:
    """``field:2024-01-01`` (that day), ``field:[2024-01-01 TO *]``, ``{...}`` exclusive."""

    def build(term: Term) -> Q:
        if term.prefix:
            raise QuerySyntaxError(f"{field} takes a date or a range")
        if not term.is_range:
            first, last = _bounds(term.value)
            return Q(**{f"{field}__gte": first, f"{field}__lte": last})
        q = Q()
        if term.range_from is not None:
            first, last = _bounds(term.range_from)
            q &= Q(**({f"{field}__gte": first} if term.inclusive_from else {f"{field}__gt": last}))
        if term.range_to is not None:
            first, last = _bounds(term.range_to)
            q &= Q(**({f"{field}__lte": last} if term.inclusive_to else {f"{field}__lt": first}))
        return q

    return build


def _free_text(term: Term) -> Q:
    if term.prefix:
        return prefix_filter("email_key", email_key(term.value)) | Q(name__istartswith=term.value)
    return Q(email_key__contains=email_key(term.value)) | Q(name__icontains=term.value)


USER_FIELDS: dict[str, Callable[[Term], Q]] = {
    "email": _email,
    "user_id": _user_id,
    "name": _name,
    "blocked": _boolean("blocked"),
    "email_verified": _boolean("email_verified"),
    "identities.connection": _connection,
    "created_at": date_filter("created_at"),
    "updated_at": date_filter("updated_at"),
    "last_login": date_filter("last_login"),
}


def users_search(query: str) -> QuerySet[User]:
    """The users matching every term of ``query``; raises QuerySyntaxError on what we refuse."""
    qs = User.objects.select_related("connection")
    for term in parse(query):
        if term.field is None:
            qs = qs.filter(_free_text(term))
            continue
        build = USER_FIELDS.get(term.field)
        if build is None:
            raise QuerySyntaxError(f"searching on {term.field} is not supported")
        if term.is_range and term.field not in {"created_at", "updated_at", "last_login"}:
            raise QuerySyntaxError(f"{term.field} does not take a range")
        qs = qs.filter(build(term))
    return qs

"""Auth0's users search ``q`` (a Lucene subset) translated into index-friendly filters.

The search itself is ``accounts.selectors``'; this is the API's query language for it.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from accounts.api.lucene import QuerySyntaxError, Term, condition
from accounts.models import email_key
from accounts.selectors import prefix_range

_BOOLEANS = {"true": True, "false": False}


def _email(term: Term) -> Q:
    # email_key is indexed: an exact match uses it, a prefix the bytewise email_c index.
    key = email_key(term.value)
    return prefix_range("email_c", key) if term.prefix else Q(email_key=key)


def _user_id(term: Term) -> Q:
    return Q(user_id__startswith=term.value) if term.prefix else Q(user_id=term.value)


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
        return prefix_range("email_c", email_key(term.value)) | Q(name__istartswith=term.value)
    return Q(email_key__contains=email_key(term.value)) | Q(name__icontains=term.value)


def _text(field: str) -> Callable[[Term], Q]:
    def build(term: Term) -> Q:
        if term.prefix:
            return Q(**{f"{field}__istartswith": term.value})
        return Q(**{f"{field}__iexact": term.value})

    return build


def _integer(field: str) -> Callable[[Term], Q]:
    def number(value: str) -> int:
        try:
            return int(value)
        except ValueError as exc:
            raise QuerySyntaxError(f"{field} takes a number") from exc

    def build(term: Term) -> Q:
        if term.prefix:
            raise QuerySyntaxError(f"{field} takes a number or a range")
        if not term.is_range:
            return Q(**{field: number(term.value)})
        q = Q()
        if term.range_from is not None:
            low = "gte" if term.inclusive_from else "gt"
            q &= Q(**{f"{field}__{low}": number(term.range_from)})
        if term.range_to is not None:
            high = "lte" if term.inclusive_to else "lt"
            q &= Q(**{f"{field}__{high}": number(term.range_to)})
        return q

    return build


def _nobody(term: Term) -> Q:
    # Rekey keeps no phone numbers (its users sign in with an email): no user has one.
    return Q(pk__in=[])


# One key of app_metadata.a.b: no "__", so that it never splits into two.
_METADATA_KEY = re.compile(r"^(?!.*__)[A-Za-z0-9_\-]{1,100}$")


def _metadata_path(path: str) -> str:
    """``app_metadata.a.b`` as Django's ``app_metadata__a__b``. Every lookup on it is spelled
    out (``__exact``, ``__startswith``): then each key is a JSON key, even one named like a
    lookup (``contains``, ``has_key``)."""
    column, *keys = path.split(".")
    if not keys or len(keys) > 5 or not all(_METADATA_KEY.match(k) for k in keys):
        raise QuerySyntaxError(f"not a metadata field: {path}")
    return "__".join([column, *keys])


def _metadata(term: Term) -> Q:
    assert term.field is not None
    path = _metadata_path(term.field)
    if term.is_range:
        raise QuerySyntaxError(f"{term.field} does not take a range")
    if term.prefix:
        return Q(**{f"{path}__startswith": term.value})
    # The JSON value: 3 matches the number and the string, true the boolean and the string.
    candidates: list[Any] = [term.value]
    if re.fullmatch(r"-?\d{1,15}", term.value):
        candidates.append(int(term.value))
    if term.value in _BOOLEANS:
        candidates.append(_BOOLEANS[term.value])
    return functools.reduce(operator.or_, (Q(**{f"{path}__exact": c}) for c in candidates))


USER_FIELDS: dict[str, Callable[[Term], Q]] = {
    "email": _email,
    "user_id": _user_id,
    "name": _name,
    "given_name": _text("given_name"),
    "family_name": _text("family_name"),
    "nickname": _text("nickname"),
    "username": _text("username"),
    "phone_number": _nobody,
    "logins_count": _integer("logins_count"),
    "blocked": _boolean("blocked"),
    "email_verified": _boolean("email_verified"),
    "identities.connection": _connection,
    "created_at": date_filter("created_at"),
    "updated_at": date_filter("updated_at"),
    "last_login": date_filter("last_login"),
}
RANGE_FIELDS = {"created_at", "updated_at", "last_login", "logins_count"}
# _exists_:field -> the users who have a value there.
_EXISTS: dict[str, Q] = {
    **{f: ~Q(**{f: ""}) for f in ("name", "given_name", "family_name", "nickname", "username")},
    **{f: Q(**{f"{f}__isnull": False}) for f in ("last_login", "last_password_reset", "last_ip")},
    "email": ~Q(email=""),
    "user_id": Q(),
    "picture": ~Q(picture=""),
    "phone_number": Q(pk__in=[]),
}


def _user_field(term: Term) -> Q:
    assert term.field is not None
    if term.field.startswith(("app_metadata.", "user_metadata.")):
        return _metadata(term)
    build = USER_FIELDS.get(term.field)
    if build is None:
        raise QuerySyntaxError(f"searching on {term.field} is not supported")
    if term.is_range and term.field not in RANGE_FIELDS:
        raise QuerySyntaxError(f"{term.field} does not take a range")
    return build(term)


def _exists(field: str) -> Q:
    if field.startswith(("app_metadata.", "user_metadata.")):
        path = _metadata_path(field)
        column, _, rest = field.partition(".")
        if "." in rest:
            return Q(**{f"{path}__isnull": False})
        return Q(**{f"{column}__has_key": rest})
    if field not in _EXISTS:
        raise QuerySyntaxError(f"_exists_ is not supported on {field}")
    return _EXISTS[field]


def user_condition(query: str) -> Q:
    """The filter of a users search ``q`` (Lucene: AND, OR, NOT, groups, ``_exists_``) on
    ``tenant_users_bytewise``; raises QuerySyntaxError on what we refuse."""
    return condition(query, field=_user_field, free_text=_free_text, exists=_exists)

"""Auth0's users search ``q`` (a Lucene subset) translated into index-friendly filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from accounts.api.lucene import QuerySyntaxError, Term, parse
from accounts.models import User, email_key

_BOOLEANS = {"true": True, "false": False}


def _email(term: Term) -> Q:
    # email_key is indexed: an exact match or a prefix (LIKE 'abc%') can use the index.
    key = email_key(term.value)
    return Q(email_key__startswith=key) if term.prefix else Q(email_key=key)


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


def _moment(value: str, *, end: bool) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)) is not None:
        parsed = datetime.combine(day, datetime.max.time() if end else datetime.min.time())
    if parsed is None:
        raise QuerySyntaxError(f"not a date: {value}")
    return parsed if parsed.tzinfo else make_aware(parsed)


def date_filter(field: str) -> Callable[[Term], Q]:
    """``field:2024-01-01`` (that day) or ``field:[2024-01-01 TO *]``."""

    def build(term: Term) -> Q:
        if term.prefix:
            raise QuerySyntaxError(f"{field} takes a date or a range")
        if not term.is_range:
            return Q(
                **{
                    f"{field}__gte": _moment(term.value, end=False),
                    f"{field}__lte": _moment(term.value, end=True),
                }
            )
        q = Q()
        if term.range_from is not None:
            op = "gte" if term.inclusive_from else "gt"
            q &= Q(**{f"{field}__{op}": _moment(term.range_from, end=False)})
        if term.range_to is not None:
            op = "lte" if term.inclusive_to else "lt"
            q &= Q(**{f"{field}__{op}": _moment(term.range_to, end=True)})
        return q

    return build


def _free_text(term: Term) -> Q:
    if term.prefix:
        return Q(email_key__startswith=email_key(term.value)) | Q(name__istartswith=term.value)
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

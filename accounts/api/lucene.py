"""Lucene query syntax, as Auth0's ``q`` parameter uses it.

``condition`` takes the whole boolean syntax through luqum's parser. ``parse`` below is the
older AND-only subset, still used by the log search.

Supported: ``field:value``, ``field:"quoted value"``, a trailing ``*`` wildcard (prefix),
ranges ``field:[a TO b]`` (``*`` for an open end; braces for exclusive ends), free text, and
AND between terms (implicit or spelled out). Anything else (OR, NOT, groups, fuzzy, boosts,
leading wildcards) is refused with ``QuerySyntaxError`` rather than half-understood.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from luqum.exceptions import IllegalCharacterError, ParseError, ParseSyntaxError
from luqum.thread import parse as luqum_parse
from luqum.tree import (
    AndOperation,
    FieldGroup,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Range,
    SearchField,
    UnknownOperation,
    Word,
)

_TOKEN_RE = re.compile(
    r"""
    \s*(?:
      (?P<field>[A-Za-z_][A-Za-z0-9_.]*):
        (?:
          "(?P<fquoted>(?:[^"\\]|\\.)*)"
          | (?P<range>[\[{][^\]}]*[\]}])
          | (?P<fvalue>[^\s"()\[\]{}]+)
        )
      | "(?P<quoted>(?:[^"\\]|\\.)*)"
      | (?P<word>[^\s"():\[\]{}]+)
    )
    """,
    re.VERBOSE,
)
_RANGE_RE = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")
_UNSUPPORTED_WORDS = {"OR", "NOT", "||", "&&", "!"}


class QuerySyntaxError(ValueError):
    """The query uses syntax this server does not support (answered as a 400)."""


@dataclass(frozen=True)
class Term:
    field: str | None  # None: free text
    value: str = ""
    prefix: bool = False  # value ended with an unquoted *
    range_from: str | None = None  # for ranges: None is an open end
    range_to: str | None = None
    inclusive_from: bool = True
    inclusive_to: bool = True
    is_range: bool = False


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _plain(value: str, *, quoted: bool) -> tuple[str, bool]:
    """The value and whether it is a prefix (``abc*``); other wildcards are refused."""
    if quoted:
        return _unescape(value), False
    if value.endswith("*") and "*" not in value[:-1] and "?" not in value:
        if value == "*":
            raise QuerySyntaxError("a lone wildcard is not supported")
        return _unescape(value[:-1]), True
    if "*" in value or "?" in value:
        raise QuerySyntaxError(f"only trailing wildcards are supported: {value}")
    if value[:1] in {"-", "+"} or value[-1:] == "~" or "^" in value:
        raise QuerySyntaxError(f"operators are not supported: {value}")
    return _unescape(value), False


def parse(query: str, *, max_terms: int = 10) -> list[Term]:
    """The AND-ed terms of ``query``."""
    terms: list[Term] = []
    position = 0
    query = query.strip()
    while position < len(query):
        match = _TOKEN_RE.match(query, position)
        if not match or match.end() == position:
            raise QuerySyntaxError(
                f"cannot parse the query near: {query[position : position + 20]}"
            )
        position = match.end()
        if word := match.group("word"):
            if word == "AND":
                continue
            if word in _UNSUPPORTED_WORDS:
                raise QuerySyntaxError(f"{word} is not supported; terms are AND-ed")
            value, prefix = _plain(word, quoted=False)
            terms.append(Term(field=None, value=value, prefix=prefix))
        elif match.group("quoted") is not None:
            terms.append(Term(field=None, value=_unescape(match.group("quoted"))))
        else:
            field = match.group("field")
            if (raw_range := match.group("range")) is not None:
                terms.append(_range(field, raw_range))
            elif match.group("fquoted") is not None:
                terms.append(Term(field=field, value=_unescape(match.group("fquoted"))))
            else:
                value, prefix = _plain(match.group("fvalue"), quoted=False)
                terms.append(Term(field=field, value=value, prefix=prefix))
        if len(terms) > max_terms:
            raise QuerySyntaxError(f"at most {max_terms} terms are supported")
    return terms


def _range(field: str, raw: str) -> Term:
    match = _RANGE_RE.match(raw)
    if not match:
        raise QuerySyntaxError(f"a range must read [FROM TO TO]: {raw}")
    opening, low, high, closing = match.groups()
    return Term(
        field=field,
        is_range=True,
        range_from=None if low == "*" else low.strip('"'),
        range_to=None if high == "*" else high.strip('"'),
        inclusive_from=opening == "[",
        inclusive_to=closing == "]",
    )


# --- The whole of Lucene's boolean syntax, through luqum's parser ----------------------------

ExistsBuilder = Callable[[str], Q]


def condition(
    query: str,
    *,
    field: Callable[[Term], Q],
    free_text: Callable[[Term], Q],
    exists: ExistsBuilder | None = None,
    max_terms: int = 20,
) -> Q:
    """The filter of a Lucene ``query``: AND, OR, NOT (and ``-``/``+``), groups, ``field:(a b)``,
    ``_exists_:field``; each term built by ``field`` (or ``free_text`` when it names none).

    Fuzzy, proximity, boosts, regular expressions and inner wildcards are refused with
    QuerySyntaxError rather than half-understood.
    """
    if not query.strip():
        return Q()
    try:
        tree = luqum_parse(query)
    except (ParseError, IllegalCharacterError, ParseSyntaxError) as exc:
        raise QuerySyntaxError(f"cannot parse the query: {exc}") from exc
    walker = _Walker(field, free_text, exists, max_terms)
    return walker.walk(tree, None)


class _Walker:
    def __init__(
        self,
        field: Callable[[Term], Q],
        free_text: Callable[[Term], Q],
        exists: ExistsBuilder | None,
        max_terms: int,
    ) -> None:
        self.field, self.free_text, self.exists = field, free_text, exists
        self.terms_left = max_terms

    def walk(self, node: Item, field: str | None) -> Q:
        if isinstance(node, AndOperation | UnknownOperation):  # Auth0's default operator: AND
            return functools.reduce(operator.and_, (self.walk(c, field) for c in node.children))
        if isinstance(node, OrOperation):
            return functools.reduce(operator.or_, (self.walk(c, field) for c in node.children))
        if isinstance(node, Not | Prohibit):
            return ~self.walk(node.a, field)
        if isinstance(node, Plus):
            return self.walk(node.a, field)
        if isinstance(node, Group | FieldGroup):
            return self.walk(node.expr, field)
        if isinstance(node, SearchField):
            if field is not None:
                raise QuerySyntaxError("a field inside another field's group")
            if node.name == "_exists_":
                return self._exists(node.expr)
            return self.walk(node.expr, node.name)
        if isinstance(node, Word | Phrase | Range):
            self.terms_left -= 1
            if self.terms_left < 0:
                raise QuerySyntaxError("too many terms")
            term = _term(node, field)
            return self.free_text(term) if field is None else self.field(term)
        raise QuerySyntaxError(f"{type(node).__name__.lower()} is not supported")

    def _exists(self, node: Item) -> Q:
        if self.exists is None or not isinstance(node, Word):
            raise QuerySyntaxError("_exists_ is not supported here")
        return self.exists(node.value)


def _term(node: Word | Phrase | Range, field: str | None) -> Term:
    if isinstance(node, Phrase):
        return Term(field=field, value=_unescape(node.value[1:-1]))
    if isinstance(node, Word):
        value, prefix = _plain(node.value, quoted=False)
        return Term(field=field, value=value, prefix=prefix)
    if field is None:
        raise QuerySyntaxError("a range needs a field")
    low, high = (_bound(end) for end in (node.low, node.high))
    return Term(
        field=field,
        is_range=True,
        range_from=low,
        range_to=high,
        inclusive_from=node.include_low,
        inclusive_to=node.include_high,
    )


def _bound(node: Item) -> str | None:
    if isinstance(node, Phrase):
        return _unescape(node.value[1:-1])
    if isinstance(node, Word):
        return None if node.value == "*" else _unescape(node.value)
    raise QuerySyntaxError("a range's ends are values")

"""A small subset of Lucene query syntax, as Auth0's ``q`` parameter uses it.

Supported: ``field:value``, ``field:"quoted value"``, a trailing ``*`` wildcard (prefix),
ranges ``field:[a TO b]`` (``*`` for an open end; braces for exclusive ends), free text, and
AND between terms (implicit or spelled out). Anything else (OR, NOT, groups, fuzzy, boosts,
leading wildcards) is refused with ``QuerySyntaxError`` rather than half-understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

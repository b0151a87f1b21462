"""Liquid rendering of email templates, shared by delivery, preview and send-test."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import html
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from liquid import Environment
from liquid.ast import Node
from liquid.builtin.expressions import LoopExpression
from liquid.context import RenderContext
from liquid.exceptions import LiquidError, LoopIterationLimitError
from liquid.stream import TokenStream
from liquid.template import BoundTemplate
from liquid.token import Token

from emails.models import EmailTemplate

# Templates are written by staff and by Management API clients, and rendered in web workers
# (preview, save) and in the task worker (every email): a template must not be able to take a
# process's memory or time. python-liquid's own limits bound loops, output, assigned values and
# context depth; a filter can still build a large value in one call (``(1..100000000) | join``,
# ``s | replace: "x", s``), so every filter is wrapped to refuse oversized inputs and results,
# and a deadline is checked on every node and filter.
TEMPLATE_MAX_BYTES = 100_000
OUTPUT_MAX_BYTES = 200_000
LOOP_ITERATION_LIMIT = 10_000
LOCAL_NAMESPACE_LIMIT = 200_000
CONTEXT_DEPTH_LIMIT = 10
VALUE_MAX_ITEMS = 10_000
VALUE_MAX_CHARS = 200_000
# Big-number arithmetic is quadratic, and one multiplication cannot be interrupted: a number of
# 1,024 bits (308 digits) is more than an email needs.
VALUE_MAX_INT_BITS = 1024
RENDER_SECONDS = 1.0


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    from_address: str = ""


class TemplateRenderError(Exception):
    """The template's Liquid does not parse or render; ``message`` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateTooLarge(TemplateRenderError):
    """A template source over TEMPLATE_MAX_BYTES."""

    def __init__(self) -> None:
        super().__init__(
            f"The template is larger than {TEMPLATE_MAX_BYTES // 1000} KB "
            f"({TEMPLATE_MAX_BYTES} bytes)."
        )


class TemplateTimeLimitError(TemplateRenderError):
    """Rendering took longer than RENDER_SECONDS."""


class TemplateValueLimitError(TemplateRenderError):
    """A filter was given, or made, a value over VALUE_MAX_CHARS, _ITEMS or _INT_BITS."""

    def __init__(self) -> None:
        super().__init__("A value in the template is too large (size limit).")


def template_size_check(source: str) -> None:
    """Raise TemplateTooLarge when a template source is over TEMPLATE_MAX_BYTES (UTF-8)."""
    if len(source) > TEMPLATE_MAX_BYTES or len(source.encode()) > TEMPLATE_MAX_BYTES:
        raise TemplateTooLarge()


_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("rekey_liquid_deadline")


@contextlib.contextmanager
def render_deadline() -> Iterator[None]:
    """Give the renders inside RENDER_SECONDS in all (an enclosing deadline, if any, holds)."""
    if _deadline.get(None) is not None:
        yield
        return
    token = _deadline.set(time.monotonic() + RENDER_SECONDS)
    try:
        yield
    finally:
        _deadline.reset(token)


def _time_check() -> None:
    if time.monotonic() > _deadline.get(float("inf")):
        raise TemplateTimeLimitError(
            f"The template took longer than {RENDER_SECONDS:g} s to render (time limit)."
        )


def _size_check(value: object) -> None:
    if isinstance(value, str):
        too_large = len(value) > VALUE_MAX_CHARS
    elif isinstance(value, int):
        too_large = value.bit_length() > VALUE_MAX_INT_BITS
    elif isinstance(value, range | list | tuple | dict | set):
        too_large = len(value) > VALUE_MAX_ITEMS
    else:
        too_large = False
    if too_large:
        raise TemplateValueLimitError()


def _length(value: object) -> int:
    return len(value) if isinstance(value, str) else len(str(value)) if value is not None else 0


def _join_check(value: object, separator: object = " ", *args: Any, **kwargs: Any) -> None:
    # Checked before joining: n items x a long separator is quadratic in one call.
    if isinstance(value, range | list | tuple):
        total = (len(value) - 1) * _length(separator)
        for item in value:
            total += len(item) if isinstance(item, str) else 24
            if total > VALUE_MAX_CHARS:
                raise TemplateValueLimitError()


def _replace_check(value: object, old: object = "", new: object = "", *_: Any, **__: Any) -> None:
    # Checked before replacing: every occurrence x a long replacement is quadratic in one call.
    text, old_text = str(value), str(old)
    count = text.count(old_text) if old_text else len(text) + 1
    if len(text) + count * _length(new) > VALUE_MAX_CHARS:
        raise TemplateValueLimitError()


_PRECHECKS: dict[str, Callable[..., None]] = {"join": _join_check, "replace": _replace_check}


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    precheck = _PRECHECKS.get(name)

    @functools.wraps(func)
    def guarded(value: object, *args: Any, **kwargs: Any) -> Any:
        _time_check()
        for argument in (value, *args, *kwargs.values()):
            _size_check(argument)
        if precheck is not None:
            precheck(value, *args, **kwargs)
        result = func(value, *args, **kwargs)
        _size_check(result)
        return result

    # Only synchronous rendering is used; an async variant would skip the guard.
    guarded.__dict__.pop("filter_async", None)
    return guarded


class _BoundedLoopExpression(LoopExpression):
    # python-liquid checks the iteration limit after it has applied ``offset`` (by stepping
    # through the items) and ``reversed`` (by listing them): (1..100000000) reversed took 27 s
    # and 3.8 GB. An iterable longer than the limit is refused before either.
    __slots__ = ()

    def _to_iter(self, obj: object, context: RenderContext) -> tuple[Iterator[Any], int]:
        it, length = super()._to_iter(obj, context)
        if length > LOOP_ITERATION_LIMIT:
            raise LoopIterationLimitError("loop iteration limit reached", token=self.token)
        return it, length


def _timed_parse(get_node: Callable[[TokenStream], Node]) -> Callable[[TokenStream], Node]:
    def timed(stream: TokenStream) -> Node:
        _time_check()
        node = get_node(stream)
        expression = getattr(node, "expression", None)
        if type(expression) is LoopExpression:  # for and tablerow
            expression.__class__ = _BoundedLoopExpression
        return node

    return timed


class _TimedContext(RenderContext):
    # Every node (each loop iteration's block included) reads ``disabled_tags`` before it
    # renders: the one hook python-liquid calls often enough to enforce a deadline.
    @property  # type: ignore[override]
    def disabled_tags(self) -> list[str]:
        _time_check()
        return self._disabled_tags

    @disabled_tags.setter
    def disabled_tags(self, value: list[str]) -> None:
        self._disabled_tags = value


class _TimedTemplate(BoundTemplate):
    context_class = _TimedContext


class _LimitedEnvironment(Environment):
    loop_iteration_limit = LOOP_ITERATION_LIMIT
    output_stream_limit = OUTPUT_MAX_BYTES
    local_namespace_limit = LOCAL_NAMESPACE_LIMIT
    context_depth_limit = CONTEXT_DEPTH_LIMIT
    template_class = _TimedTemplate

    def tokenizer(self) -> Callable[[str], Iterator[Token]]:
        # Lexing is under the deadline too: an unclosed ``{% raw %}`` makes the lexer scan to
        # the end of the source, so 10,000 of them took 50 s to parse.
        lex = super().tokenizer()

        def timed(source: str) -> Iterator[Token]:
            for token in lex(source):
                _time_check()
                yield token

        return timed

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        self.filters["duration"] = duration
        self.filters = {name: _guarded(name, func) for name, func in self.filters.items()}
        # The lexer's tokens are listed before parsing starts: the parse of each tag is checked
        # too (20,000 "{{a}}" took 1.8 s to parse).
        for tag in self.tags.values():
            tag.get_node = _timed_parse(tag.get_node)  # type: ignore[method-assign,assignment]


# Largest unit first: a lifetime is written in the largest unit that divides it exactly.
_DURATION_UNITS: dict[str, tuple[tuple[int, str, str], ...]] = {
    "en": (
        (86400, "{} day", "{} days"),
        (3600, "{} hour", "{} hours"),
        (60, "{} minute", "{} minutes"),
        (1, "{} second", "{} seconds"),
    ),
    "ja": (
        (86400, "{}日", "{}日"),
        (3600, "{}時間", "{}時間"),
        (60, "{}分", "{}分"),
        (1, "{}秒", "{}秒"),
    ),
}


def duration(value: object, language: object = "en") -> str:
    """The ``duration`` filter: seconds as people say them, "5 days", "1 hour", "90 minutes".

    ``{{ url_lifetime_in_seconds | duration }}``, or ``| duration: "ja"`` for 5日, 1時間. A
    value that is not a whole number of seconds is written as it is.
    """
    try:
        seconds = int(str(value))
    except ValueError:
        return str(value) if value is not None else ""
    units = _DURATION_UNITS.get(str(language).split("-")[0].lower(), _DURATION_UNITS["en"])
    if seconds <= 0:
        return units[-1][2].format(0)
    size, one, many = next(unit for unit in units if seconds % unit[0] == 0)
    count = seconds // size
    return (one if count == 1 else many).format(count)


@functools.lru_cache(maxsize=256)
def _parsed(source: str, autoescape: bool) -> BoundTemplate:
    """A template's parse, kept: a worker renders the same few sources for every email, and
    parsing was most of the cost of rendering. Only a source that parsed is kept."""
    return (_html_env() if autoescape else _text_env()).from_string(source)


@functools.cache
def _html_env() -> Environment:
    # Values are escaped in the HTML body: a user's name must not become markup.
    return _LimitedEnvironment(autoescape=True)


@functools.cache
def _text_env() -> Environment:
    return _LimitedEnvironment(autoescape=False)


# Every pattern stops at the next "<" so that no match attempt scans past it: a body of many
# unclosed tags stays linear to convert (a lazy ``(.*?)</a>`` took 15 s on 100 KB of "<a>").
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|table)>|<br\s*/?>", re.IGNORECASE)
_ANCHOR = re.compile(r"(<a\s[^<>]*>)|(</a\s*>)", re.IGNORECASE)
_HREF = re.compile(r"\shref=\"([^\"]*)\"", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")


_HIDDEN_OPEN = re.compile(r"<(head|style|title|script)\b[^<>]*>", re.IGNORECASE)
_HIDDEN_CLOSE = {
    tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("head", "style", "title", "script")
}


def _hidden_parts_dropped(markup: str) -> str:
    """Without the head, styles and scripts: what a reader never sees has no text."""
    parts: list[str] = []
    done = 0
    unclosed: set[str] = set()  # no closing tag left: a later opening has none either
    for match in _HIDDEN_OPEN.finditer(markup):
        tag = match.group(1).lower()
        if match.start() < done or tag in unclosed:
            continue
        end = _HIDDEN_CLOSE[tag].search(markup, match.end())
        if end is None:
            unclosed.add(tag)
            continue
        parts.append(markup[done : match.start()])
        done = end.end()
    parts.append(markup[done:])
    return "".join(parts)


def _bare_links(markup: str) -> set[str]:
    """The links whose text is the address itself: written out there, so nowhere else."""
    bare: set[str] = set()
    opened: re.Match[str] | None = None
    for match in _ANCHOR.finditer(markup):
        if match.group(1):
            opened = match
            continue
        if opened is None:
            continue
        href_match = _HREF.search(opened.group(1))
        href = href_match.group(1) if href_match else ""
        if href and _TAG.sub("", markup[opened.end() : match.start()]).strip() == href:
            bare.add(href)
        opened = None
    return bare


def _links_written_out(markup: str) -> str:
    bare = _bare_links(markup)
    parts: list[str] = []
    done = 0  # markup[:done] is in parts
    opened: re.Match[str] | None = None
    for match in _ANCHOR.finditer(markup):
        if match.group(1):
            opened = match
            continue
        if opened is None:
            continue
        href_match = _HREF.search(opened.group(1))
        href = href_match.group(1) if href_match else ""
        label = _TAG.sub("", markup[opened.end() : match.start()]).strip()
        parts.append(markup[done : opened.start()])
        written = not href or href == label or href in bare
        parts.append(label if written else f"{label} ({href})")
        done, opened = match.end(), None
    parts.append(markup[done:])
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """A plain-text alternative of an HTML body: paragraphs kept, each link written out once.

    A button whose address is also written out as text elsewhere in the email is given by its
    label alone, so the text part prints the address once.
    """
    text = _links_written_out(_hidden_parts_dropped(markup))
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def liquid_render(source: str, context: dict[str, Any], *, autoescape: bool) -> str:
    """Render a Liquid string; TemplateRenderError when it does not parse or render."""
    template_size_check(source)
    try:
        with render_deadline():
            return _parsed(source, autoescape).render(**context)
    except TemplateRenderError:
        raise
    except LiquidError as exc:
        if isinstance(exc.__cause__, TemplateRenderError):
            # A limit reached while parsing, which python-liquid wraps in a parsing error.
            raise exc.__cause__ from None
        raise TemplateRenderError(str(exc)) from exc
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        # A filter given an absurd value (a 5,000-digit number, say) fails in Python itself.
        message = f"The template could not be rendered ({type(exc).__name__})."
        raise TemplateRenderError(message) from exc


def template_render(template: EmailTemplate, context: dict[str, Any]) -> RenderedEmail:
    """Subject, HTML body and its text alternative of a template with a context."""
    with render_deadline():
        subject = liquid_render(template.subject, context, autoescape=False)
        body = liquid_render(template.body, context, autoescape=True)
        sender = liquid_render(template.from_address, context, autoescape=False)
    return RenderedEmail(
        subject=" ".join(subject.split())[:255],
        text=html_to_text(body),
        html=body,
        from_address=" ".join(sender.split())[:255],
    )

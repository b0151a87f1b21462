"""Liquid rendering of email templates, shared by delivery, preview and send-test."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError

from emails.models import EmailTemplate


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class TemplateRenderError(Exception):
    """The template's Liquid does not parse or render; ``message`` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@functools.cache
def _html_env() -> Environment:
    # Values are escaped in the HTML body: a user's name must not become markup.
    return Environment(autoescape=True)


@functools.cache
def _text_env() -> Environment:
    return Environment(autoescape=False)


_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|table)>|<br\s*/?>", re.IGNORECASE)
_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """A plain-text alternative of an HTML body: paragraphs kept, links written out."""

    def link(match: re.Match[str]) -> str:
        href, label = match.group(1), _TAG.sub("", match.group(2)).strip()
        return label if not href or href == label else f"{label} ({href})"

    text = _LINK.sub(link, markup)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def liquid_render(source: str, context: dict[str, Any], *, autoescape: bool) -> str:
    """Render a Liquid string; TemplateRenderError when it does not parse or render."""
    env = _html_env() if autoescape else _text_env()
    try:
        return env.from_string(source).render(**context)
    except LiquidError as exc:
        raise TemplateRenderError(str(exc)) from exc


def template_render(template: EmailTemplate, context: dict[str, Any]) -> RenderedEmail:
    """Subject, HTML body and its text alternative of a template with a context."""
    subject = liquid_render(template.subject, context, autoescape=False)
    body = liquid_render(template.body, context, autoescape=True)
    return RenderedEmail(
        subject=" ".join(subject.split())[:255], text=html_to_text(body), html=body
    )

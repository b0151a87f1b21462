"""Small presentation helpers for the dashboard's templates."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import LogType

register = template.Library()

_LABELS = dict(LogType.choices)


@register.simple_tag
def log_badge(code: str) -> SafeString:
    """A log type code with its Auth0 name, coloured by outcome (f* failures in red)."""
    failed = code.startswith("f") or code in {"api_limit", "limit_mu"}
    return format_html(
        '<span class="badge {}" title="{}"><span class="mono">{}</span> {}</span>',
        "badge-danger" if failed else "badge-ok",
        _LABELS.get(code, code),
        code,
        _LABELS.get(code, ""),
    )

"""Small presentation helpers for the dashboard's templates."""

from __future__ import annotations

from django import template
from django.utils.formats import date_format
from django.utils.html import escape, format_html
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


@register.filter
def email_wrap(value: str) -> SafeString:
    """An email that wraps after "@" and before dots on narrow screens, never mid-word."""
    text = str(escape(value or ""))
    text = text.replace("@", "@<wbr>").replace(".", "<wbr>.")
    return SafeString(f'<span class="email-wrap">{text}</span>')


@register.filter
def ip_wrap(value: str) -> SafeString:
    """An IP address: an IPv6 one may wrap after a colon; an IPv4 one never wraps."""
    text = str(escape(value or ""))
    return SafeString(text.replace(":", ":<wbr>"))


@register.simple_tag
def bar_chart(
    points: list, label_format: str, failure: bool = False, key: str = "", suffix: str = ""
) -> str:
    """A small server-side SVG bar chart of (moment, count) points: no script, no CDN."""
    width, height, gap = 240, 64, 1
    peak = max((n for _m, n in points), default=0) or 1
    bar = (width - gap * (len(points) - 1)) / max(len(points), 1)
    rects = []
    for i, (moment, n) in enumerate(points):
        h = 0 if not n else max(2.0, (height - 2) * n / peak)
        rects.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" rx="1"><title>{}: {}</title></rect>',
                f"{i * (bar + gap):.1f}",
                f"{height - h:.1f}",
                f"{bar:.1f}",
                f"{h:.1f}",
                date_format(moment, label_format),
                n,
            )
        )
    return format_html(
        '<svg class="chart{}" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img"'
        ' aria-labelledby="{}" focusable="false">{}</svg>',
        " chart-bad" if failure else "",
        width,
        height,
        f"chart-{key}-{suffix}",
        SafeString("".join(rects)),
    )


@register.filter
def get_item(mapping: dict, key: str) -> object:
    """``mapping[key]`` in a template, or None."""
    return mapping.get(key) if isinstance(mapping, dict) else None

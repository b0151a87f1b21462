"""The language switch shown on the hosted pages and the dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

register = template.Library()


@register.inclusion_tag("_language_switch.html", takes_context=True)
def language_switch(context: dict[str, Any], form: bool = False) -> dict[str, Any]:
    """Links to this page in each language (``ui_locales``), or a ``set_language`` form.

    The hosted pages use links: no cookie and no CSRF token, so their answers stay the same
    for everyone (the forgot-password confirmation must not differ by account). The dashboard
    uses Django's ``set_language`` form, which remembers the choice.
    """
    request: HttpRequest | None = context.get("request")
    params: list[tuple[str, str]] = []
    path = ""
    if request is not None:
        path = request.path
        # ui_locales in the URL would win over the choice just made: drop it from the way back.
        params = [(k, str(v)) for k, v in request.GET.items() if k != "ui_locales"]
    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    languages = [
        {
            "code": code,
            "name": name,
            "url": path + "?" + urlencode([*params, ("ui_locales", code)]),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
    return {
        "form": form,
        "languages": languages,
        "next_url": path + ("?" + urlencode(params) if params else ""),
        "csrf_token": context.get("csrf_token"),
    }

"""A template cannot take the memory or the time of the process that renders it."""

from __future__ import annotations

import time

import pytest

from emails import rendering
from emails.rendering import (
    RENDER_SECONDS,
    TEMPLATE_MAX_BYTES,
    TemplateRenderError,
    TemplateTooLarge,
    html_to_text,
    liquid_render,
    render_deadline,
)
from tests.emails.limits import ATTACKS, budget

CONTEXT = {"url": "http://127.0.0.1:8000/u/reset-password?ticket=x", "user": {"name": "Jane"}}


@pytest.mark.parametrize("source", ATTACKS.values(), ids=ATTACKS.keys())
@pytest.mark.parametrize("autoescape", [True, False], ids=["body", "subject"])
def test_a_hostile_template_is_an_error_within_the_budget(source, autoescape):
    with budget(), pytest.raises(TemplateRenderError):
        liquid_render(source, CONTEXT, autoescape=autoescape)


def test_a_template_over_the_size_cap_is_refused_before_parsing():
    source = "{{ user.name }}" + "x" * TEMPLATE_MAX_BYTES

    with budget(), pytest.raises(TemplateTooLarge, match="larger than 100 KB"):
        liquid_render(source, CONTEXT, autoescape=True)


def test_the_size_cap_counts_bytes_not_characters():
    source = "é" * (TEMPLATE_MAX_BYTES // 2 + 1)

    with pytest.raises(TemplateTooLarge):
        liquid_render(source, CONTEXT, autoescape=True)


def test_the_time_limit_names_itself():
    with pytest.raises(TemplateRenderError, match="time limit"):
        liquid_render(ATTACKS["many loops"], CONTEXT, autoescape=True)


def test_renders_inside_one_deadline_share_its_time(monkeypatch):
    # An email is four renders (subject and body, sent and shown copies): one limit for all.
    with render_deadline():
        liquid_render("{{ user.name }}", CONTEXT, autoescape=False)
        later = time.monotonic() + RENDER_SECONDS + 0.1
        monkeypatch.setattr(rendering.time, "monotonic", lambda: later)

        with pytest.raises(TemplateRenderError, match="time limit"):
            liquid_render("{{ user.name }}", CONTEXT, autoescape=False)


def test_an_ordinary_template_with_loops_and_filters_still_renders():
    source = (
        "{% for i in (1..3) %}{{ i }}{% endfor %} {{ user.name | upcase }} "
        "{{ url | split: '?' | first }} {{ 'a-b' | replace: '-', '+' }}"
    )

    assert liquid_render(source, CONTEXT, autoescape=False) == (
        "123 JANE http://127.0.0.1:8000/u/reset-password a+b"
    )


def test_the_text_alternative_of_many_unclosed_links_is_quick():
    markup = '<a href="">' * 9999 + "<" * 50_000

    with budget(seconds=0.5):
        html_to_text(markup)


def test_the_text_alternative_still_writes_links_out():
    markup = (
        '<p>Hi <b>Jane</b></p><p><a class="b" href="http://x/?a=1&amp;b=2">Reset <b>now</b></a></p>'
    )

    assert html_to_text(markup) == "Hi Jane\n\nReset now (http://x/?a=1&b=2)\n"

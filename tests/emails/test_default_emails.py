"""The built-in emails: styled, accessible HTML, the link once in the text, lifetimes in words."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps

from emails.defaults import DEFAULTS
from emails.models import EmailDelivery, EmailTemplate, InboxMessage
from emails.rendering import duration, html_to_text, liquid_render, template_render
from emails.services import LINK_PLACEHOLDER, email_context
from tests.emails.limits import budget
from tickets.models import TicketDoor
from tickets.services import reset_email_send

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://\S+/u/reset-password\?ticket=[\w-]+")
MIGRATION = importlib.import_module("emails.migrations.0010_styled_default_templates")


class _Elements(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def of(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def elements(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    return parser


def render_default(name: str, language: str, **extra: object):
    body = next(b for n, lang, _s, b in DEFAULTS if (n, lang) == (name, language))
    subject = next(s for n, lang, s, _b in DEFAULTS if (n, lang) == (name, language))
    template = EmailTemplate(name=name, language=language, subject=subject, body=body)
    url = "https://id.example.com/u/reset-password?ticket=abc"
    context = {"url": url, "url_lifetime_in_seconds": 432000, "attempts": 10, "source_ip": "::1"}
    return template_render(template, email_context(user=None, **{**context, **extra})), url


@pytest.mark.parametrize(("name", "language"), [(n, lang) for n, lang, _s, _b in DEFAULTS])
def test_a_default_email_is_an_accessible_document_styled_inline(name, language):
    rendered, _url = render_default(name, language)
    found = elements(rendered.html)

    assert found.of("html") == [{"lang": language, "dir": "ltr"}]
    assert found.of("meta")[1:3] == [
        {"name": "viewport", "content": "width=device-width, initial-scale=1"},
        {"name": "color-scheme", "content": "light dark"},
    ]
    # Layout tables say they are layout; every text block carries its own font and colours.
    assert found.of("table") and all(t["role"] == "presentation" for t in found.of("table"))
    for block in found.of("p") + found.of("h1"):
        assert "font-family:" in block["style"] and "color:#" in block["style"]
    # The card shrinks to a phone's width.
    assert any("max-width:560px" in (t["style"] or "") for t in found.of("table"))
    # The one <style> only adds dark-mode colours to what is inline.
    style = re.search(r"<style>(.*?)</style>", rendered.html, re.S).group(1)
    assert "prefers-color-scheme: dark" in style


@pytest.mark.parametrize(
    ("name", "language", "button"),
    [
        ("reset_email", "en", "Reset your password"),
        ("reset_email", "ja", "パスワードを再設定する"),
        ("blocked_account", "en", "Unblock my account"),
        ("blocked_account", "ja", "ブロックを解除する"),
    ],
)
def test_the_link_is_a_button_and_is_written_out_once(name, language, button):
    rendered, url = render_default(name, language)
    links = elements(rendered.html).of("a")

    assert [link["href"] for link in links] == [url, url]
    assert re.search(rf">{button}</a>", rendered.html)
    assert rendered.html.count(f">{url}</a>") == 1  # for clients that hide the button
    assert rendered.text.count(url) == 1
    assert button in rendered.text
    # Nothing of the head (title, dark-mode styles) reaches the text part.
    assert "prefers-color-scheme" not in rendered.text


@pytest.mark.parametrize(
    ("language", "seconds", "words"),
    [
        ("en", 432000, "expires in 5 days."),
        ("en", 3600, "expires in 1 hour."),
        ("en", 1800, "expires in 30 minutes."),
        ("ja", 432000, "5日で期限が切れます"),
        ("ja", 3600, "1時間で期限が切れます"),
    ],
)
def test_the_reset_email_gives_the_lifetime_in_words(language, seconds, words):
    rendered, _url = render_default("reset_email", language, url_lifetime_in_seconds=seconds)

    assert words in rendered.text
    assert "hours" not in rendered.text.replace("1 hour.", "")


@pytest.mark.parametrize(
    ("value", "language", "words"),
    [
        (432000, "en", "5 days"),
        (86400, "en", "1 day"),
        (129600, "en", "36 hours"),
        (5400, "en", "90 minutes"),
        (61, "en", "61 seconds"),
        ("3600", "en", "1 hour"),
        (432000, "ja", "5日"),
        (1800, "ja-JP", "30分"),
        (0, "en", "0 seconds"),
        ("soon", "en", "soon"),
    ],
)
def test_the_duration_filter_uses_the_largest_exact_unit(value, language, words):
    assert duration(value, language) == words


def test_the_duration_filter_is_available_to_every_template():
    source = "{{ s | duration }} / {{ s | duration: 'ja' }}"

    assert liquid_render(source, {"s": 7200}, autoescape=False) == "2 hours / 2時間"


def test_the_text_part_leaves_out_head_styles_and_scripts():
    markup = (
        "<html><head><title>T</title><style>p{color:red}</style></head>"
        "<body><p>Hi</p><script>x()</script><p>Bye</p></body></html>"
    )

    assert html_to_text(markup) == "Hi\n\nBye\n"


def test_the_text_part_of_many_unclosed_styles_is_quick():
    markup = "<style>" * 20_000 + "<head>" * 20_000 + "</title>" * 20_000

    with budget(seconds=0.5):
        html_to_text(markup)


def test_a_real_reset_email_has_the_link_once_and_its_stored_copy_none(user, worker):
    result = reset_email_send(user_id=user.pk, door=TicketDoor.SELF_SERVICE)
    worker()

    assert result["sent"]
    message = InboxMessage.objects.get()
    links = LINK.findall(message.text_body)
    assert len(links) == 1 and LINK_PLACEHOLDER not in links[0]
    assert message.html_body.count(f'href="{links[0]}"') == 2
    assert "expires in 5 days." in message.text_body
    stored = EmailDelivery.objects.get()
    assert links[0] not in stored.text_body + stored.html_body + stored.subject
    assert stored.text_body.count(f"ticket={LINK_PLACEHOLDER}") == 1
    assert stored.html_body.count(f"ticket={LINK_PLACEHOLDER}") == 3  # button, link, its text


def test_a_one_hour_template_says_one_hour_in_the_real_email(user, worker):
    EmailTemplate.objects.filter(name="reset_email").update(url_lifetime_in_seconds=3600)

    reset_email_send(user_id=user.pk, door=TicketDoor.SELF_SERVICE)
    worker()

    assert "expires in 1 hour." in InboxMessage.objects.get().text_body
    assert user.password_tickets.get().expires_at - user.password_tickets.get().created_at == (
        timedelta(hours=1)
    )


def test_the_migration_restyles_untouched_rows_and_keeps_customised_ones():
    for (name, language), old in MIGRATION.OLD_BODIES.items():
        EmailTemplate.objects.filter(name=name, language=language).update(body=old)
    customised = MIGRATION.OLD_BODIES[("reset_email", "ja")].replace("様", "さん")
    EmailTemplate.objects.filter(name="reset_email", language="ja").update(body=customised)

    MIGRATION.styled_bodies(apps, None)

    bodies = {(t.name, t.language): t.body for t in EmailTemplate.objects.all()}
    expected = {(n, lang): body for n, lang, _s, body in DEFAULTS}
    expected[("reset_email", "ja")] = customised
    assert bodies == expected


def test_the_migration_back_restores_the_plain_bodies():
    MIGRATION.plain_bodies(apps, None)

    bodies = {(t.name, t.language): t.body for t in EmailTemplate.objects.all()}
    # The six rows it styled are plain again (the code and verification emails were born styled).
    assert {key: bodies[key] for key in MIGRATION.OLD_BODIES} == MIGRATION.OLD_BODIES

"""Templates: Liquid rendering, languages, defaults, and the password-changed notification."""

from __future__ import annotations

import pytest

from accounts.audit import Audit, Door
from accounts.services import password_set
from emails.models import EmailTemplate, InboxMessage
from emails.rendering import TemplateRenderError, template_render
from emails.selectors import email_template_get
from emails.services import email_context, template_email_enqueue
from tickets.services import ticket_issue, ticket_redeem

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Secret-77"


def test_default_templates_exist_in_english_and_japanese(db):
    names = set(EmailTemplate.objects.values_list("name", "language"))

    assert names == {
        ("reset_email", "en"),
        ("reset_email", "ja"),
        ("reset_email_by_code", "en"),
        ("reset_email_by_code", "ja"),
        ("password_changed", "en"),
        ("password_changed", "ja"),
        ("blocked_account", "en"),
        ("blocked_account", "ja"),
        ("verify_email", "en"),
        ("verify_email", "ja"),
    }
    template = email_template_get(name="reset_email")
    assert (template.syntax, template.url_lifetime_in_seconds, template.enabled) == (
        "liquid",
        432000,
        True,
    )


def test_a_language_without_its_own_template_falls_back_to_english(db):
    assert email_template_get(name="reset_email", language="fr").language == "en"
    assert email_template_get(name="reset_email", language="ja-JP").language == "ja"


def test_values_are_escaped_in_the_html_body_and_written_out_in_the_text(user):
    user.name = "<b>Ann</b>"
    template = EmailTemplate(
        subject="Hi {{ user.name }}", body='<p>Hello {{ user.name }}</p><a href="{{ url }}">Go</a>'
    )

    rendered = template_render(template, email_context(user=user, url="https://x.test/a?b=1&c=2"))

    assert rendered.subject == "Hi <b>Ann</b>"
    assert rendered.html == (
        '<p>Hello &lt;b&gt;Ann&lt;/b&gt;</p><a href="https://x.test/a?b=1&amp;c=2">Go</a>'
    )
    assert rendered.text == "Hello <b>Ann</b>\n\nGo (https://x.test/a?b=1&c=2)\n"


def test_broken_liquid_is_reported(db):
    template = EmailTemplate(subject="x", body="{% if %}")

    with pytest.raises(TemplateRenderError):
        template_render(template, {})


def test_a_disabled_template_sends_nothing(user):
    EmailTemplate.objects.filter(name="password_changed").update(enabled=False)

    assert template_email_enqueue(name="password_changed", user=user) is None


def test_a_self_service_reset_sends_the_password_changed_notification(user, worker):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    ticket_redeem(token=token, password=NEW_PASSWORD)
    worker()

    message = InboxMessage.objects.get()
    assert (message.to, message.subject) == (user.email, "Your password was changed")


def test_the_notification_can_be_disabled(user, worker):
    EmailTemplate.objects.filter(name="password_changed").update(enabled=False)
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    ticket_redeem(token=token, password=NEW_PASSWORD)
    worker()

    assert InboxMessage.objects.count() == 0


def test_a_direct_set_sends_no_notification(user, worker):
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()

    assert InboxMessage.objects.count() == 0


def test_the_template_from_address_is_used(user, worker):
    EmailTemplate.objects.filter(name="password_changed").update(
        from_address="Security <security@example.com>"
    )

    template_email_enqueue(name="password_changed", user=user)
    worker()

    assert InboxMessage.objects.get().from_address == "Security <security@example.com>"

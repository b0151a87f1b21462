"""Email pages: template editor with preview and test send, deliveries and retry, the inbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import LogEvent, LogType
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate, InboxMessage
from emails.services import email_enqueue
from tests.emails.worker import run_worker

pytestmark = pytest.mark.django_db

EDIT = {
    "subject": "Reset for {{ user.email }}",
    "body": '<p>Hi {{ user.name }}</p><p><a href="{{ url }}">Reset</a></p>',
    "from_address": "Support <support@example.com>",
    "url_lifetime_in_seconds": "3600",
    "result_url": "https://app.example.com/done",
    "include_email_in_redirect": "on",
    "enabled": "on",
}


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


def url(name: str, *args: object) -> str:
    return reverse(f"dashboard:{name}", args=args)


def test_templates_list_shows_every_language_and_the_provider(staff_client):
    html = staff_client.get(url("email-template-list")).content.decode()

    assert 'id="email-provider">emails.backends.LocalInboxBackend<' in html
    for name, language in (("reset_email", "en"), ("reset_email", "ja")):
        assert url("email-template-detail", name, language) in html


def test_administrator_saves_a_template_and_the_change_is_logged(staff_client, administrator):
    response = staff_client.post(url("email-template-detail", "reset_email", "en"), EDIT)

    assert response.status_code == 302
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    assert (template.subject, template.from_address) == (EDIT["subject"], EDIT["from_address"])
    assert (template.url_lifetime_in_seconds, template.result_url) == (
        3600,
        "https://app.example.com/done",
    )
    assert template.include_email_in_redirect and template.enabled
    event = LogEvent.objects.get(type=LogType.SUCCESS_API_OPERATION)
    assert (event.description, event.actor) == ("Update email template", administrator)


def test_broken_liquid_is_refused_with_the_error(staff_client):
    response = staff_client.post(
        url("email-template-detail", "reset_email", "en"), {**EDIT, "body": "{% if %}"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["body"][0].startswith("Liquid error:")
    assert EmailTemplate.objects.get(name="reset_email", language="en").subject != EDIT["subject"]


def test_preview_renders_the_unsaved_draft_with_sample_data(viewer_client, settings):
    response = viewer_client.post(
        url("email-template-preview", "reset_email", "en"),
        {"subject": "Hello {{ user.name }}", "body": "<p>{{ url }}</p>"},
    )

    link = f"{settings.PUBLIC_URL}/u/reset-password?ticket=SAMPLE-TICKET-not-a-real-one"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "subject": "Hello Jane Doe",
        "html": f"<p>{link}</p>",
        "text": f"{link}\n",
        "error": "",
    }
    assert EmailTemplate.objects.get(name="reset_email", language="en").subject != "Hello"


def test_send_test_goes_through_the_outbox_to_the_staff_members_address(
    staff_client, administrator
):
    response = staff_client.post(url("email-template-test", "reset_email", "ja"), EDIT)
    run_worker()

    assert response.status_code == 302
    delivery = EmailDelivery.objects.get()
    assert (delivery.to, delivery.status) == (administrator.email, DeliveryStatus.SENT)
    assert delivery.subject == "[Test] Reset for jane.doe@example.com"
    assert InboxMessage.objects.get().to == administrator.email


def test_failed_delivery_can_be_retried_by_an_administrator(staff_client, user, settings):
    delivery = email_enqueue(to=user.email, subject="s", text_body="b", user=user)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=5, last_error="SMTPServerDisconnected"
    )

    page = staff_client.get(url("delivery-list"), {"status": "failed"}).content.decode()
    response = staff_client.post(url("delivery-retry", delivery.pk))
    run_worker()

    assert url("delivery-retry", delivery.pk) in page
    assert "SMTPServerDisconnected" in page
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_viewer_cannot_retry(viewer_client, user):
    delivery = email_enqueue(to=user.email, subject="s", text_body="b", user=user)
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)

    response = viewer_client.post(url("delivery-retry", delivery.pk))

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_inbox_lists_messages_and_an_administrator_opens_one(staff_client, user):
    email_enqueue(to=user.email, subject="Hello there", text_body="Open https://example.com/x")
    run_worker()
    message = InboxMessage.objects.get()

    listing = staff_client.get(url("inbox-list")).content.decode()
    opened = staff_client.get(url("inbox-message", message.pk)).content.decode()

    assert "Hello there" in listing
    assert '<a href="https://example.com/x"' in opened


def test_viewer_sees_the_inbox_list_but_cannot_open_a_message(viewer_client, user):
    email_enqueue(to=user.email, subject="Reset", text_body="secret link")
    run_worker()
    message = InboxMessage.objects.get()

    listing = viewer_client.get(url("inbox-list"))
    opened = viewer_client.get(url("inbox-message", message.pk))

    assert listing.status_code == 200
    assert url("inbox-message", message.pk) not in listing.content.decode()
    assert opened.status_code == 403

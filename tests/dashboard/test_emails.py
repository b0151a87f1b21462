"""Email pages: template editor with preview and test send, deliveries and retry, the inbox."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import LogEvent, LogType
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate, InboxMessage
from emails.rendering import TEMPLATE_MAX_BYTES, RenderedEmail
from emails.services import email_enqueue
from tests.emails.limits import HUGE_LOOP, NESTED_LOOPS, budget
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


def test_preview_renders_the_unsaved_draft_with_sample_data(staff_client, settings):
    response = staff_client.post(
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


def test_a_reset_email_whose_link_was_cleared_is_not_retried(staff_client, user):
    shown = RenderedEmail(subject="Reset", text="Open ?ticket=REDACTED", html="")
    delivery = email_enqueue(
        to=user.email, subject="Reset", text_body="Open ?ticket=live", user=user, display=shown
    )
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, sealed="")

    response = staff_client.post(url("delivery-retry", delivery.pk), follow=True)

    assert "This email held a reset link, which is gone" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


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
    assert "Reset" not in listing.content.decode().split('id="inbox-table"')[1]
    assert opened.status_code == 403


@pytest.fixture
def hostile_template(db):
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    template.body = HUGE_LOOP
    template.save()
    return template


def test_a_viewer_cannot_render_a_preview(viewer_client):
    response = viewer_client.post(
        url("email-template-preview", "reset_email", "en"), {"subject": "Hi", "body": "<p>x</p>"}
    )

    assert response.status_code == 403


def test_a_viewer_opening_a_hostile_template_renders_nothing(viewer_client, hostile_template):
    with budget():
        response = viewer_client.get(url("email-template-detail", "reset_email", "en"))

    assert response.status_code == 200
    assert "Only administrators can render a preview." in response.content.decode()


@pytest.mark.parametrize("source", [HUGE_LOOP, NESTED_LOOPS], ids=["loop", "nested"])
def test_a_preview_of_a_hostile_draft_is_an_error_within_the_budget(staff_client, source):
    with budget():
        response = staff_client.post(
            url("email-template-preview", "reset_email", "en"), {"subject": "Hi", "body": source}
        )

    assert response.status_code == 200
    assert response.json()["error"].startswith("loop iteration limit reached")
    assert response.json()["html"] == ""


@pytest.mark.parametrize("source", [HUGE_LOOP, NESTED_LOOPS], ids=["loop", "nested"])
def test_saving_a_hostile_template_is_refused_within_the_budget(staff_client, source):
    with budget():
        response = staff_client.post(
            url("email-template-detail", "reset_email", "en"), {**EDIT, "body": source}
        )

    assert response.status_code == 400
    [error] = response.context["form"].errors["body"]
    assert error.startswith("Liquid error: loop iteration limit reached")
    assert EmailTemplate.objects.get(name="reset_email", language="en").body != source


def test_saving_a_template_over_100_kb_is_refused(staff_client):
    body = "<p>" + "x" * TEMPLATE_MAX_BYTES + "</p>"

    response = staff_client.post(
        url("email-template-detail", "reset_email", "en"), {**EDIT, "body": body}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["body"] == [
        "The template is larger than 100 KB (100000 bytes)."
    ]


def _stuck_sending(user, minutes_ago: int) -> EmailDelivery:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    delivery = email_enqueue(to=user.email, subject="s", text_body="b", user=user)
    DBTaskResult.objects.all().delete()  # its worker was killed mid-send
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        updated_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return delivery


def test_a_stale_sending_delivery_can_be_retried_from_the_list(staff_client, user):
    delivery = _stuck_sending(user, minutes_ago=5)

    page = staff_client.get(url("delivery-list")).content.decode()
    response = staff_client.post(url("delivery-retry", delivery.pk))
    run_worker()

    assert url("delivery-retry", delivery.pk) in page
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_a_sending_delivery_within_its_lease_is_not_retried(staff_client, user):
    delivery = _stuck_sending(user, minutes_ago=0)

    page = staff_client.get(url("delivery-list")).content.decode()
    staff_client.post(url("delivery-retry", delivery.pk))

    assert url("delivery-retry", delivery.pk) not in page
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING


def test_bulk_retry_of_the_ticked_deliveries(staff_client, user):
    ticked, other = _stuck_sending(user, 5), _stuck_sending(user, 5)

    page = staff_client.get(url("delivery-list")).content.decode()
    staff_client.post(url("delivery-bulk-retry"), {"scope": "selected", "ids": [ticked.pk]})
    run_worker()

    assert f'name="ids" value="{ticked.pk}" form="bulk-retry"' in page
    statuses = dict(EmailDelivery.objects.values_list("pk", "status"))
    assert (statuses[ticked.pk], statuses[other.pk]) == (
        DeliveryStatus.SENT,
        DeliveryStatus.SENDING,
    )


def test_bulk_retry_of_every_failed_and_stale_delivery(staff_client, user):
    stale = _stuck_sending(user, 5)
    failed = email_enqueue(to=user.email, subject="s", text_body="b", user=user)
    EmailDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)

    response = staff_client.post(url("delivery-bulk-retry"), {"scope": "all"})
    run_worker()

    assert response.status_code == 302
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert InboxMessage.objects.count() == 2
    del stale


def test_viewer_cannot_bulk_retry(viewer_client, user):
    delivery = _stuck_sending(user, 5)

    response = viewer_client.post(url("delivery-bulk-retry"), {"scope": "all"})

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING


def test_a_test_send_of_a_hostile_draft_is_refused_within_the_budget(staff_client):
    with budget():
        response = staff_client.post(
            url("email-template-test", "reset_email", "en"), {**EDIT, "body": NESTED_LOOPS}
        )

    assert response.status_code == 400
    assert not EmailDelivery.objects.exists()


EMAIL_DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; "
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
)


def test_the_preview_document_is_the_drafts_html_under_a_policy_of_its_own(staff_client):
    response = staff_client.post(
        url("email-template-preview-document", "reset_email", "en"),
        {"subject": "Hi", "body": '<p style="color:#123456">Hi {{ user.name }}</p>'},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == '<p style="color:#123456">Hi Jane Doe</p>'
    assert response["Content-Security-Policy"] == EMAIL_DOCUMENT_POLICY
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]
    assert EmailTemplate.objects.get(name="reset_email", language="en").subject != "Hi"


def test_a_viewer_cannot_render_a_preview_document(viewer_client):
    response = viewer_client.post(
        url("email-template-preview-document", "reset_email", "en"),
        {"subject": "Hi", "body": "<p>x</p>"},
    )

    assert response.status_code == 403


def test_the_preview_document_of_broken_liquid_is_empty(staff_client):
    response = staff_client.post(
        url("email-template-preview-document", "reset_email", "en"),
        {"subject": "Hi", "body": "{% if %}"},
    )

    assert (response.status_code, response.content) == (200, b"")


def test_an_inbox_message_html_is_its_own_document_for_administrators_only(
    staff_client, viewer, user
):
    email_enqueue(to=user.email, subject="Hi", text_body="Hi", html_body="<p>Hi <b>you</b></p>")
    run_worker()
    message = InboxMessage.objects.get()

    response = staff_client.get(url("inbox-message-html", message.pk))
    page = staff_client.get(url("inbox-message", message.pk)).content.decode()

    assert response.status_code == 200
    assert response.content.decode() == "<p>Hi <b>you</b></p>"
    assert response["Content-Security-Policy"] == EMAIL_DOCUMENT_POLICY
    assert f'src="{url("inbox-message-html", message.pk)}"' in page
    assert "srcdoc" not in page
    staff_client.force_login(viewer)
    assert staff_client.get(url("inbox-message-html", message.pk)).status_code == 403


def template_rows(html: str) -> list[tuple[str, str]]:
    """(title, name) of each row of the templates table; name is "" when not shown."""

    table = html.split('id="template-table"')[1].split("</table>")[0]
    rows = re.findall(
        r'class="template-title">([^<]*)</a>(?:<br><span class="muted mono template-name">'
        r"([^<]*)</span>)?</td>",
        table,
    )
    return rows


def test_the_templates_list_gives_each_a_title_and_its_name_once(staff_client):
    EmailTemplate.objects.create(name="welcome_email", subject="Hi", body="<p>Hi</p>")

    html = staff_client.get(url("email-template-list")).content.decode()

    assert template_rows(html) == [
        ("Blocked account (unblock link)", "blocked_account"),
        ("Blocked account (unblock link)", "blocked_account"),
        ("Password changed notification", "password_changed"),
        ("Password changed notification", "password_changed"),
        ("Change password (reset link)", "reset_email"),
        ("Change password (reset link)", "reset_email"),
        ("Change password (code)", "reset_email_by_code"),
        ("Change password (code)", "reset_email_by_code"),
        ("Verification email (link)", "verify_email"),
        ("Verification email (link)", "verify_email"),
        ("Welcome email", "welcome_email"),
    ]
    assert html.count(">reset_email<") == 2  # once per language, as secondary text


def test_the_templates_list_titles_are_in_japanese(staff_client):
    html = staff_client.get(url("email-template-list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    titles = [title for title, _name in template_rows(html)]
    assert titles[0] == "アカウントのブロック (解除リンク)"
    assert "パスワード変更 (リセットリンク)" in titles


def test_the_template_page_is_titled_with_the_name_below(staff_client):
    html = staff_client.get(url("email-template-detail", "reset_email", "ja")).content.decode()

    assert "<h1>Change password (reset link) <span" in html
    assert '<span class="mono" id="template-name">reset_email</span>' in html
    assert "<title>Change password (reset link) (日本語)" in html


def test_templates_list_shows_the_tenants_provider_while_it_is_enabled(staff_client):
    from emails.provider import email_provider_set

    email_provider_set(name="smtp", credentials={"smtp_host": "mail.example", "smtp_port": 587})
    html = staff_client.get(url("email-template-list")).content.decode()
    assert 'id="email-provider">smtp (django.core.mail.backends.smtp.EmailBackend)<' in html

    email_provider_set(enabled=False)
    html = staff_client.get(url("email-template-list")).content.decode()
    assert 'id="email-provider">emails.backends.LocalInboxBackend<' in html

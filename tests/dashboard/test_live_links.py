"""No dashboard page shows a working reset link, whatever the template does with it (issue 8).

The stored copy of a reset email is the template rendered with a placeholder link, so a Liquid
filter that transforms the link (and would defeat a text substitution) transforms the placeholder.
The email actually delivered still carries the working link.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from emails.models import EmailDelivery, EmailTemplate, InboxMessage
from emails.rendering import liquid_render
from tests.emails.worker import run_worker
from tests.factories import StaffFactory
from tickets.requests import reset_request_check
from tickets.services import ticket_check, ticket_url

pytestmark = pytest.mark.django_db

# Every transform python-liquid offers that keeps the link recoverable.
TRANSFORMS = [
    "url | upcase",
    'url | split: "" | join: " "',
    'url | split: "" | reverse | join: ""',
    "url | url_encode",
    "url | base64_encode",
    "url | base64_url_safe_encode",
    "url | escape",
    'url | replace: "ticket=", "t="',
    'url | remove: "http"',
    "url | slice: 20, 200",
    'url | append: "#"',
]
BODY = (
    '<p><a href="{{ url }}">Reset</a></p>'
    + "".join(f"<p>{{{{ {transform} }}}}</p>" for transform in TRANSFORMS)
    + "<p>{{ url | size }} {{ url | truncate: 200 }}</p>"
)
SUBJECT = "Reset {{ url }} {{ url | upcase }} {{ url | base64_encode }}"


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


@pytest.fixture
def leaky_template(db):
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    template.subject, template.body = SUBJECT, BODY
    template.save()
    return template


@pytest.fixture
def reset_sent(leaky_template, user):
    """A reset email sent to the user through the real worker; returns its working token."""
    reset_request_check(email=user.email, connection=user.connection, fulfil_now=True)
    run_worker()
    received = InboxMessage.objects.get(to=user.email)
    token = re.search(r'href="[^"]*\?ticket=([^"&]+)"', received.html_body).group(1)
    assert ticket_check(token=token).user == user  # the delivered link works
    return token


def forbidden(token: str) -> list[str]:
    """The token, and every form of the link the template's filters make of it."""
    url = ticket_url(token)
    context = {"url": url}
    forms = [liquid_render(f"{{{{ {t} }}}}", context, autoescape=True) for t in TRANSFORMS]
    forms += [liquid_render(f"{{{{ {t} }}}}", context, autoescape=False) for t in TRANSFORMS]
    return [token, token.upper(), token[5:-5], *forms]


def pages(user, role: str) -> list[str]:
    shown = [
        reverse("dashboard:delivery-list"),
        reverse("dashboard:user-detail", args=[user.user_id]),
        reverse("dashboard:log-list"),
        reverse("dashboard:email-template-list"),
        reverse("dashboard:email-template-detail", args=["reset_email", "en"]),
    ]
    # The local inbox is the embedded set-up's mailbox (the messages as received): an
    # administrator reads them there, link included; a viewer sees neither body nor subject.
    return [*shown, reverse("dashboard:inbox-list")] if role == "viewer" else shown


def assert_nowhere(text: str, token: str) -> None:
    for form in forbidden(token):
        assert form not in text, f"{form!r} is shown"


@pytest.mark.parametrize("role", ["viewer", "administrator"])
def test_no_dashboard_page_shows_the_link_in_any_form(reset_sent, user, connection, role):
    client = Client()
    client.force_login(StaffFactory(connection=connection, staff_role=role))

    for page in pages(user, role):
        response = client.get(page)
        assert response.status_code == 200, page
        assert_nowhere(response.content.decode(), reset_sent)


def test_the_outbox_row_holds_no_form_of_the_link_in_clear(reset_sent, user):
    row = EmailDelivery.objects.filter(user=user).values().get()

    clear = {name: value for name, value in row.items() if name != "sealed"}
    assert_nowhere(str(clear), reset_sent)
    assert "ticket=REDACTED" in row["subject"]
    assert "ticket=REDACTED" in row["html_body"]
    assert row["sealed"] == ""  # cleared once sent


def test_the_delivered_email_carries_the_working_link_in_subject_and_body(reset_sent, user):
    received = InboxMessage.objects.get(to=user.email)
    url = ticket_url(reset_sent)

    assert received.subject.startswith(f"Reset {url} {url.upper()} ")
    assert liquid_render("{{ url | upcase }}", {"url": url}, autoescape=True) in received.html_body
    assert url in received.text_body


def test_a_viewer_cannot_read_the_inbox_message(reset_sent, user, connection):
    client = Client()
    client.force_login(StaffFactory(connection=connection, staff_role="viewer"))
    message = InboxMessage.objects.get(to=user.email)

    response = client.get(reverse("dashboard:inbox-message", args=[message.pk]))

    assert response.status_code == 403


def test_an_administrator_reads_the_received_message_with_its_link(reset_sent, user, connection):
    # The local inbox is the embedded set-up's mailbox: the message as received, link included.
    client = Client()
    client.force_login(StaffFactory(connection=connection, staff_role="administrator"))
    message = InboxMessage.objects.get(to=user.email)

    response = client.get(reverse("dashboard:inbox-message", args=[message.pk]))

    assert response.status_code == 200
    assert ticket_url(reset_sent).replace("&", "&amp;") in response.content.decode()


def test_a_queued_reset_email_keeps_its_subject_sealed_until_sent(leaky_template, user):
    reset_request_check(email=user.email, connection=user.connection, fulfil_now=True)

    row = EmailDelivery.objects.filter(user=user).values().get()
    assert row["sealed"] != ""
    assert row["has_secret"] is True
    assert "?ticket=REDACTED " in row["subject"]

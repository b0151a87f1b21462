"""GET/POST/PATCH /api/v2/emails/provider, and the worker sending through the provider."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from anymail.backends.mailgun import EmailBackend as MailgunBackend
from anymail.backends.sendgrid import EmailBackend as SendGridBackend

from accounts.models import LogEvent
from emails.models import EmailDelivery, EmailProvider, InboxMessage
from emails.provider import provider_backend, provider_credentials
from emails.services import email_enqueue
from tests.management_api import error

pytestmark = pytest.mark.django_db
SENDGRID = {
    "name": "sendgrid",
    "enabled": True,
    "default_from_address": "Acme <no-reply@acme.example>",
    "credentials": {"api_key": "SG.secret-api-key-value"},
}


def created(api, body=SENDGRID):
    response = api.post("/api/v2/emails/provider", body)
    assert response.status_code == 201, response.json()
    return response


def test_get_without_a_provider_answers_404(api):
    response = api.get("/api/v2/emails/provider")

    assert response.status_code == 404
    assert response.json() == error(
        404, "The email provider is not configured.", "inexistent_email_provider"
    )


def test_post_answers_201_without_the_credentials(api, m2m):
    response = created(api)

    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {
        "name": "sendgrid",
        "enabled": True,
        "default_from_address": "Acme <no-reply@acme.example>",
        "settings": {},
    }
    event = LogEvent.objects.get()
    assert (event.type, event.description) == ("sapi", "Create email provider")
    assert event.client_id == m2m.client_id
    assert "secret-api-key" not in str(event.details)


def test_the_credentials_are_sealed_in_the_database(api):
    created(api)

    row = EmailProvider.objects.values().get()
    assert "SG.secret-api-key-value" not in str(row)
    assert provider_credentials(EmailProvider.objects.get()) == {
        "api_key": "SG.secret-api-key-value"
    }


def test_get_answers_the_provider_without_credentials(api):
    created(api)

    response = api.get("/api/v2/emails/provider")

    assert response.status_code == 200
    assert response.json() == {
        "name": "sendgrid",
        "enabled": True,
        "default_from_address": "Acme <no-reply@acme.example>",
        "settings": {},
    }
    assert api.get("/api/v2/emails/provider", {"fields": "name,enabled"}).json() == {
        "name": "sendgrid",
        "enabled": True,
    }


def test_a_second_post_answers_409(api):
    created(api)

    response = api.post("/api/v2/emails/provider", SENDGRID)

    assert response.status_code == 409
    assert response.json() == error(
        409, "The email provider is already configured.", "email_provider_conflict"
    )


def test_patch_changes_what_is_sent_and_keeps_the_credentials(api):
    created(api)

    response = api.patch("/api/v2/emails/provider", {"enabled": False})

    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert provider_credentials(EmailProvider.objects.get()) == {
        "api_key": "SG.secret-api-key-value"
    }


def test_patch_to_another_provider_needs_its_credentials(api):
    created(api)

    refused = api.patch("/api/v2/emails/provider", {"name": "ses"})
    assert refused.status_code == 400
    assert refused.json() == error(
        400, "Missing credentials for ses: accessKeyId, secretAccessKey, region.", "invalid_body"
    )
    ses = {"accessKeyId": "AKIA1", "secretAccessKey": "s3cr3t", "region": "eu-west-1"}
    response = api.patch("/api/v2/emails/provider", {"name": "ses", "credentials": ses})
    assert response.json()["name"] == "ses"
    assert provider_credentials(EmailProvider.objects.get()) == ses


def test_patch_without_a_provider_answers_404(api):
    response = api.patch("/api/v2/emails/provider", {"enabled": False})

    assert response.status_code == 404
    assert response.json()["errorCode"] == "inexistent_email_provider"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**SENDGRID, "credentials": {}}, "Missing credentials for sendgrid: api_key."),
        (
            {**SENDGRID, "credentials": {"api_key": "k", "api_user": "u"}},
            "Unknown credentials for sendgrid: api_user.",
        ),
    ],
)
def test_post_with_bad_credentials_answers_400(api, body, message):
    response = api.post("/api/v2/emails/provider", body)

    assert response.status_code == 400
    assert response.json() == error(400, message, "invalid_body")
    assert not EmailProvider.objects.exists()


def test_an_unknown_provider_name_answers_400(api):
    response = api.post("/api/v2/emails/provider", {**SENDGRID, "name": "pigeon"})

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert "pigeon" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("get", "read:email_provider"),
        ("post", "create:email_provider"),
        ("patch", "update:email_provider"),
    ],
)
def test_each_method_needs_its_scope(api_with, method, scope):
    response = getattr(api_with("read:users"), method)("/api/v2/emails/provider", SENDGRID)

    assert response.status_code == 403
    assert response.json() == error(
        403, f"Insufficient scope, expected any of: {scope}", "insufficient_scope"
    )


# --- the worker sends through it -------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    recorder.port = port  # type: ignore[attr-defined]
    yield recorder
    controller.stop()


def smtp_provider(api, port: int, **extra) -> None:
    body = {
        "name": "smtp",
        "default_from_address": "Acme <mail@acme.example>",
        "credentials": {"smtp_host": "127.0.0.1", "smtp_port": port},
        **extra,
    }
    created(api, body)


def test_the_worker_sends_through_the_provider(api, smtp_sink, worker):
    smtp_provider(api, smtp_sink.port)

    delivery = email_enqueue(to="ann@example.com", subject="Hello", text_body="Hi\n")
    worker()

    assert EmailDelivery.objects.get(pk=delivery.pk).status == "sent"
    assert delivery.from_address == "Acme <mail@acme.example>"  # the provider's default
    [(sender, recipients, content)] = smtp_sink.messages
    assert (sender, recipients) == ("mail@acme.example", ["ann@example.com"])
    assert b"Subject: Hello" in content
    assert not InboxMessage.objects.exists()  # not through EMAIL_BACKEND


def test_a_disabled_provider_leaves_email_to_email_backend(api, smtp_sink, worker, settings):
    smtp_provider(api, smtp_sink.port, enabled=False)

    delivery = email_enqueue(to="ann@example.com", subject="Hello", text_body="Hi\n")
    worker()

    assert smtp_sink.messages == []
    assert InboxMessage.objects.get().to == "ann@example.com"
    assert delivery.from_address == settings.DEFAULT_FROM_EMAIL


def test_anymail_backends_get_the_providers_credentials(db):
    def backend_for(name, credentials):
        EmailProvider.objects.all().delete()
        from emails.provider import email_provider_set

        return provider_backend(email_provider_set(name=name, credentials=credentials))

    sendgrid = backend_for("sendgrid", {"api_key": "SG.k"})
    assert isinstance(sendgrid, SendGridBackend)
    assert sendgrid.api_key == "SG.k"
    mailgun = backend_for(
        "mailgun", {"api_key": "mg-k", "domain": "mg.acme.example", "region": "eu"}
    )
    assert isinstance(mailgun, MailgunBackend)
    assert (mailgun.api_key, mailgun.sender_domain) == ("mg-k", "mg.acme.example")
    assert mailgun.api_url.startswith("https://api.eu.mailgun.net/v3")


def test_an_amazon_ses_provider_builds_its_client_from_the_credentials(db):
    # boto3 comes with the project (django-anymail[amazon-ses]); no request leaves the machine.
    from anymail.backends.amazon_ses import EmailBackend as SesBackend

    from emails.provider import email_provider_set

    EmailProvider.objects.all().delete()
    provider = email_provider_set(
        name="ses",
        credentials={
            "accessKeyId": "AKIAEXAMPLE",
            "secretAccessKey": "s3cr3t",
            "region": "eu-west-1",
        },
    )
    backend = provider_backend(provider)

    assert isinstance(backend, SesBackend)
    assert backend.open() is True  # makes the boto3 client, offline
    assert backend.client.meta.region_name == "eu-west-1"
    credentials = backend.client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("AKIAEXAMPLE", "s3cr3t")
    backend.close()

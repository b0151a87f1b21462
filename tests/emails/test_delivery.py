"""The outbox and its delivery by the real worker through real Django email backends."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.models import LogEvent, LogType
from emails.delivery import delivery_retry
from emails.models import DeliveryStatus, EmailDelivery, InboxMessage
from emails.rendering import RenderedEmail
from emails.services import email_enqueue

pytestmark = pytest.mark.django_db

LINK = "http://127.0.0.1:8000/u/reset-password?ticket=s3cr3t-t0ken-value-that-is-long-enough"
PLACEHOLDER = "http://127.0.0.1:8000/u/reset-password?ticket=REDACTED"
# The copy stored and shown: the same email rendered with a placeholder link.
SHOWN = RenderedEmail(
    subject="Reset your password",
    text=f"Follow {PLACEHOLDER}\n",
    html=f'<p><a href="{PLACEHOLDER}">Reset</a></p>',
)


def enqueue(user=None, **overrides) -> EmailDelivery:
    fields = {
        "to": "ann@example.com",
        "subject": "Reset your password",
        "text_body": f"Follow {LINK}\n",
        "html_body": f'<p><a href="{LINK}">Reset</a></p>',
        "template_name": "reset_email",
        "user": user,
        "display": SHOWN,
    }
    return email_enqueue(**{**fields, **overrides})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield recorder
    controller.stop()


@pytest.fixture
def refused_smtp(settings):
    # A port held bound but not listening: connections are refused, and nobody else can take it.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": held.getsockname()[1], "timeout": 5},
            }
        }
        yield


def test_the_outbox_never_holds_the_link_in_clear(db):
    delivery = enqueue()

    row = EmailDelivery.objects.filter(pk=delivery.pk).values()[0]
    assert LINK not in str(row)
    assert (row["subject"], row["text_body"], row["html_body"]) == (
        SHOWN.subject,
        SHOWN.text,
        SHOWN.html,
    )
    assert row["has_secret"] is True
    assert row["status"] == DeliveryStatus.QUEUED


def test_the_worker_delivers_through_the_filebased_backend(settings, tmp_path, worker):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    delivery = enqueue()

    worker()

    [path] = list(Path(tmp_path).iterdir())
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Reset your password"
    assert LINK in message.get_body(("plain",)).get_content()
    assert LINK in message.get_body(("html",)).get_content()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.sealed == ""
    assert delivery.sent_at is not None


def test_the_worker_delivers_through_the_smtp_backend(smtp_server, worker):
    delivery = enqueue()

    worker()

    [(mail_from, rcpt_tos, content)] = smtp_server.messages
    assert rcpt_tos == ["ann@example.com"]
    assert mail_from == "no-reply@localhost"
    message = message_from_bytes(content, policy=policy.default)
    assert LINK in message.get_body(("plain",)).get_content()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1


def test_the_local_inbox_keeps_the_message_and_echoes_it(settings, worker, capsys):
    settings.REKEY_LOCAL_INBOX_ECHO = True
    enqueue()

    worker()

    message = InboxMessage.objects.get()
    assert (message.to, message.subject) == ("ann@example.com", "Reset your password")
    assert LINK in message.text_body
    assert LINK in message.html_body
    assert "Subject: Reset your password" in capsys.readouterr().out


def test_the_local_inbox_is_quiet_when_echo_is_off(settings, worker, capsys):
    settings.REKEY_LOCAL_INBOX_ECHO = False
    enqueue()

    worker()

    assert InboxMessage.objects.count() == 1
    assert "Reset your password" not in capsys.readouterr().out


def test_a_failed_attempt_is_retried_after_the_backoff(refused_smtp, settings, worker):
    settings.REKEY_EMAIL_BACKOFF = [5, 30]
    delivery = enqueue()
    worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert delivery.last_error == "ConnectionRefusedError"

    worker()  # not yet due: nothing happens
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    with time_machine.travel(timezone.now() + timedelta(seconds=6), tick=False):
        worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert InboxMessage.objects.get().to == "ann@example.com"


def test_the_final_failure_is_logged_fn_without_secrets(refused_smtp, settings, worker, user):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 3
    settings.REKEY_EMAIL_BACKOFF = [5, 30]
    delivery = enqueue(user=user)
    start = timezone.now()

    for minutes in (0, 1, 2):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert fn.user == user
    assert fn.details == {
        "delivery_id": delivery.pk,
        "template": "reset_email",
        "attempts": 3,
        "error": "ConnectionRefusedError",
    }
    assert "ticket=" not in str(fn.details) + fn.description


def test_retry_queues_a_failed_delivery_again(refused_smtp, settings, worker):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 1
    delivery = enqueue(display=None, text_body="Your password was changed.\n")
    worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED

    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    delivery_retry(delivery=delivery)
    worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert InboxMessage.objects.get().text_body == "Your password was changed.\n"


def test_a_final_failure_clears_the_sealed_copy(refused_smtp, settings, worker):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 1
    delivery = enqueue()

    worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.sealed) == (DeliveryStatus.FAILED, "")


def test_a_failed_email_whose_link_was_cleared_is_not_retried(refused_smtp, settings, worker):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 1
    delivery = enqueue()
    worker()
    delivery.refresh_from_db()
    failed_with = delivery.last_error

    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    delivery_retry(delivery=delivery)
    worker()

    # Never queued again: it would send the placeholder, not the link.
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error, delivery.sealed) == (
        DeliveryStatus.FAILED,
        failed_with,
        "",
    )
    assert not InboxMessage.objects.exists()


def test_a_cleared_link_that_reaches_a_worker_fails_instead_of_sending_the_placeholder(worker):
    delivery = enqueue()
    EmailDelivery.objects.filter(pk=delivery.pk).update(sealed="")

    worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "SealBroken")
    assert not InboxMessage.objects.exists()


def test_retry_leaves_a_sent_delivery_alone(worker):
    delivery = enqueue()
    worker()

    delivery_retry(delivery=delivery)
    worker()

    assert InboxMessage.objects.count() == 1


def test_retry_rescues_a_delivery_whose_worker_died_mid_send(worker):
    delivery = enqueue()
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=1)

    delivery_retry(delivery=delivery)  # too early: another worker may still be sending
    assert EmailDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENDING

    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        delivery_retry(delivery=delivery)
        worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert InboxMessage.objects.count() == 1

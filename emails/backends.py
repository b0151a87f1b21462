"""The embedded default EMAIL_BACKEND: a local inbox in the database, echoed to the console."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from emails.models import InboxMessage


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = "", ""
    if message.content_subtype == "html":
        html = str(message.body)
    else:
        text = str(message.body)
    if isinstance(message, EmailMultiAlternatives):
        for alternative in message.alternatives:
            content, mimetype = alternative[0], alternative[1]
            if mimetype == "text/html" and not isinstance(content, MIMEBase):
                html = str(content)
    return text, html


def _echo(message: EmailMessage, body: str) -> None:
    # Readable, not MIME: an operator of the embedded set-up copies the link from here.
    # Best effort: the message is already in the inbox, so a closed console must not fail (and
    # so repeat) the delivery.
    rule = "-" * 72
    try:
        sys.stdout.write(
            f"{rule}\nLocal inbox · To: {', '.join(message.to)}\nFrom: {message.from_email}\n"
            f"Subject: {message.subject}\n\n{body.rstrip()}\n{rule}\n"
        )
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


class LocalInboxBackend(BaseEmailBackend):
    """Keeps every message in ``InboxMessage``; prints it when REKEY_LOCAL_INBOX_ECHO is on."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            text, html = _bodies(message)
            InboxMessage.objects.create(
                to=", ".join(message.to + message.cc + message.bcc),
                from_address=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
                subject=str(message.subject)[:255],
                text_body=text,
                html_body=html,
                message_id=str(message.extra_headers.get("Message-ID", ""))[:255],
            )
            count += 1
            if settings.REKEY_LOCAL_INBOX_ECHO:
                _echo(message, text or html)
        return count

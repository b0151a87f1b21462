"""Reset by emailed code: a ticket whose email carries a 6-digit code instead of a link.

For connections whose reset method is "code" (mail gateways' link scanners, kiosks, policies
against links in email). The code is a ticket like any other (newest only, single use, revoked
by a password change), sent in the ``reset_email_by_code`` template and stored as a keyed hash.
On the code page it is exchanged, once, for a fresh token that goes the link's way from there
(the sealed reset cookie, the second factor, the new-password page). Five wrong tries burn it.
The page does the same work whether or not the email is a user's, and an unknown email's code
never matches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import log_event
from accounts.models import Connection, LogType
from accounts.selectors import user_by_email
from emails.models import EmailDelivery, EmailTemplate, TemplateName
from emails.services import template_email_enqueue
from tickets.models import PasswordChangeTicket

CODE_DIGITS = 6
MAX_TRIES = 5
CODE_PLACEHOLDER = "••••••"


class CodeInvalid(Exception):
    """A code that does not open a ticket (wrong, expired, used, burned, or nobody's)."""


def _code_hash(ticket_pk: int, code: str) -> str:
    key = hashlib.sha256(f"rekey.tickets.codes:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{ticket_pk}:{code}".encode(), hashlib.sha256).hexdigest()


def reset_code_enqueue(
    *,
    ticket: PasswordChangeTicket,
    language: str = "",
    template: EmailTemplate | None = None,
    requested_at: datetime | None = None,
) -> EmailDelivery | None:
    """Give a new ticket its code and write the code's email to the outbox (sealed)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    PasswordChangeTicket.objects.filter(pk=ticket.pk).update(code_hash=_code_hash(ticket.pk, code))
    user = ticket.user
    minutes = int((ticket.expires_at - ticket.created_at).total_seconds() // 60)
    return template_email_enqueue(
        name=TemplateName.RESET_EMAIL_BY_CODE,
        user=user,
        language=user.locale or language,
        application=ticket.application,
        context={"code": code, "code_lifetime_minutes": minutes},
        display_context={"code": CODE_PLACEHOLDER},
        template=template,
        requested_at=requested_at,
    )


def reset_code_redeem(
    *, email: str, connection: Connection, code: str, request: HttpRequest | None = None
) -> str:
    """Exchange a right code for a fresh ticket token; CodeInvalid (logged ``fcp``) otherwise.

    Known and unknown emails take the same steps: one user lookup, one ticket lookup, one keyed
    hash compared in constant time, one conditional UPDATE and one log row.
    """
    code = "".join(ch for ch in str(code) if ch.isdigit())[:CODE_DIGITS]
    user = user_by_email(connection=connection, email=email)
    now = timezone.now()
    ticket = (
        PasswordChangeTicket.objects.filter(
            user=user,
            used_at=None,
            revoked_at=None,
            expires_at__gt=now,
        )
        .exclude(code_hash="")
        .order_by("-created_at", "-id")
        .first()
    )
    expected = ticket.code_hash if ticket else "0" * 64
    right = hmac.compare_digest(_code_hash(ticket.pk if ticket else 0, code), expected)
    if right and ticket is not None:
        token = secrets.token_urlsafe(32)
        from tickets.services import token_hash

        # Single use: the code is gone from the row the moment it opens it.
        opened = PasswordChangeTicket.objects.filter(
            pk=ticket.pk, code_hash=ticket.code_hash, used_at=None, revoked_at=None
        ).update(token_hash=token_hash(token), code_hash="")
        if opened:
            return token
    with transaction.atomic():
        tries = 0
        burned = False
        if ticket is not None:
            PasswordChangeTicket.objects.filter(pk=ticket.pk).update(code_tries=F("code_tries") + 1)
            tries = ticket.code_tries + 1
            if tries >= MAX_TRIES:
                PasswordChangeTicket.objects.filter(pk=ticket.pk, revoked_at=None).update(
                    revoked_at=now
                )
                burned = True
        else:
            # The same UPDATE, matching nothing: an unknown email costs what a known one does.
            PasswordChangeTicket.objects.filter(pk=0).update(code_tries=F("code_tries") + 1)
        log_event(
            type=LogType.FAILED_CHANGE_PASSWORD,
            description=(
                f"Wrong password reset code: the code is burned after {MAX_TRIES} wrong tries"
                if burned
                else "Wrong or expired password reset code"
            ),
            user=user,
            user_name=email[:254],
            connection_name=connection.name,
            connection_id=connection.pk,
            request=request,
            details={"door": "reset", "code_tries": tries},
        )
    raise CodeInvalid()

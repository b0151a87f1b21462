"""What the emails app listens to.

- accounts: a brute-force block sends the user Auth0's blocked_account email, and a user's own
  password change (/u/account) the password_changed one;
- anymail's tracking webhooks (signature checked by anymail): provider feedback on a delivery.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from anymail.signals import tracking
from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse

from accounts.bruteforce import account_blocked
from accounts.services import Door, password_changed

logger = logging.getLogger(__name__)


@receiver(password_changed, dispatch_uid="emails.password_changed_by_user")
def password_changed_email(sender: Any, user: Any, door: Any, **kwargs: Any) -> None:
    """The user changed their own password (/u/account): tell them, in case it was not them.

    A reset already sends this email from the reset flow (tickets); other doors are staff's or
    an operator's and say nothing to the user.
    """
    if door != Door.ACCOUNT or getattr(user, "is_staff", False):
        return
    from emails.models import TemplateName
    from emails.services import template_email_enqueue

    try:
        template_email_enqueue(name=TemplateName.PASSWORD_CHANGED, user=user, language=user.locale)
    except Exception as exc:
        # The password is changed either way; a broken template must not undo it.
        logger.error("password_changed email for user %s failed: %s", user.pk, type(exc).__name__)


@receiver(account_blocked, dispatch_uid="emails.blocked_account")
def blocked_account_email(sender: Any, user: Any, block: Any, token: str, **kwargs: Any) -> None:
    """Enqueue the unblock link to the address stored for the user (stored body redacted)."""
    try:
        _enqueue(user=user, block=block, token=token)
    except Exception as exc:
        # The block stands either way; a broken template must not turn a login into a 500.
        # The class name only: a message could quote the link.
        logger.error("blocked_account email for user %s failed: %s", user.pk, type(exc).__name__)


def _enqueue(*, user: Any, block: Any, token: str) -> None:
    from emails.models import TemplateName
    from emails.services import LINK_PLACEHOLDER, template_email_enqueue

    def link(value: str) -> str:
        return settings.PUBLIC_URL + reverse("accounts:unblock") + "?" + urlencode({"token": value})

    # The stored, shown copy carries a placeholder link: no Liquid filter can leak the real one.
    template_email_enqueue(
        name=TemplateName.BLOCKED_ACCOUNT,
        user=user,
        language=user.locale,
        context={
            "url": link(token),
            "source_ip": block.ip,
            "attempts": settings.REKEY_BRUTE_FORCE.get("threshold", 10),
        },
        display_context={"url": link(LINK_PLACEHOLDER)},
    )


@receiver(tracking, dispatch_uid="rekey_delivery_feedback")
def delivery_feedback(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """Record delivered, bounced, complained (and the like) on the delivery named."""
    from emails.delivery import delivery_feedback_record

    delivery_feedback_record(
        message_id=str(event.message_id or ""),
        event_type=str(event.event_type or ""),
        timestamp=event.timestamp,
        reason=str(event.reject_reason or ""),
    )

"""The tickets' management commands."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from emails.models import InboxMessage
from tests.factories import SocialConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket, TicketDoor, TicketStatus
from tickets.services import ticket_check, ticket_issue

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_password_reset_does_what_the_forgot_page_does(user, worker):
    out = run("send_password_reset", user.email.upper())
    worker()

    assert "Queued" in out
    assert InboxMessage.objects.get().to == user.email
    assert PasswordChangeTicket.objects.get().door == TicketDoor.COMMAND
    assert LogEvent.objects.get().type == LogType.SUCCESS_CHANGE_PASSWORD_REQUEST


def test_send_password_reset_tells_the_operator_why_nothing_was_sent(connection):
    with pytest.raises(CommandError, match="User does not exist"):
        run("send_password_reset", "nobody@example.com")


def test_create_password_ticket_prints_a_working_url(user, settings):
    settings.PUBLIC_URL = "https://id.example.org"

    url = run("create_password_ticket", user.email, "--ttl", "600").strip()

    assert url.startswith("https://id.example.org/u/reset-password?ticket=")
    ticket = ticket_check(token=url.split("ticket=", 1)[1])
    assert ticket.door == TicketDoor.COMMAND
    assert ticket.expires_at - ticket.created_at == timedelta(seconds=600)


def test_create_password_ticket_refuses_a_social_user(db):
    social = UserFactory(connection=SocialConnectionFactory())

    with pytest.raises(CommandError, match="google-oauth2"):
        run("create_password_ticket", social.user_id)


def test_purge_tickets_removes_old_finished_tickets_only(user):
    ticket_issue(user=user, audit=Audit(door=Door.API), ttl_seconds=60)
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        fresh, _ = ticket_issue(user=user, audit=Audit(door=Door.API))
        out = run("purge_tickets")

    assert out.strip() == "Deleted 1 tickets."
    assert list(PasswordChangeTicket.objects.all()) == [fresh]
    assert fresh.status == TicketStatus.VALID

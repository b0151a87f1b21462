"""Ticket rules: newest only, single use, lifetime, revocation by any password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from accounts.services import PasswordPolicyError, password_set
from emails.models import EmailTemplate
from tickets.models import PasswordChangeTicket, TicketStatus
from tickets.services import (
    TicketInvalid,
    TicketProblem,
    ticket_check,
    ticket_issue,
    ticket_redeem,
    ticket_url,
    token_hash,
)

NEW_PASSWORD = "Brand-New-Secret-77"


@pytest.mark.django_db
def test_issue_stores_only_the_hash_of_a_256_bit_token(user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.API))

    assert len(token) >= 43  # 32 random bytes, base64url
    assert ticket.token_hash == token_hash(token)
    stored = PasswordChangeTicket.objects.filter(pk=ticket.pk).values()[0]
    assert token not in str(stored)


@pytest.mark.django_db
def test_ticket_url_is_built_from_public_url_only(user, settings):
    settings.PUBLIC_URL = "https://id.example.org"
    _, token = ticket_issue(user=user, audit=Audit(door=Door.API))

    assert ticket_url(token) == f"https://id.example.org/u/reset-password?ticket={token}"


@pytest.mark.django_db
def test_issuing_a_ticket_revokes_the_older_ones(user):
    old, old_token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    new, new_token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    old.refresh_from_db()
    assert old.status == TicketStatus.REVOKED
    with pytest.raises(TicketInvalid) as caught:
        ticket_check(token=old_token)
    assert caught.value.problem == TicketProblem.REVOKED
    assert ticket_check(token=new_token) == new


@pytest.mark.django_db
def test_lifetime_defaults_to_five_days(user):
    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    assert ticket.expires_at - ticket.created_at == timedelta(days=5)


@pytest.mark.django_db
def test_lifetime_follows_the_reset_email_templates_url_lifetime(user):
    EmailTemplate.objects.filter(name="reset_email").update(url_lifetime_in_seconds=3600)

    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    assert ticket.expires_at - ticket.created_at == timedelta(hours=1)


@pytest.mark.django_db
def test_ttl_seconds_sets_the_lifetime_of_api_tickets(user):
    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.API), ttl_seconds=120)

    assert ticket.expires_at - ticket.created_at == timedelta(seconds=120)


@pytest.mark.django_db
def test_expired_ticket_is_refused_once_time_has_moved(user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.API), ttl_seconds=600)

    with (
        time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False),
        pytest.raises(TicketInvalid) as caught,
    ):
        ticket_redeem(token=token, password=NEW_PASSWORD)

    assert caught.value.problem == TicketProblem.EXPIRED
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is False


@pytest.mark.django_db
def test_redeem_sets_the_password_and_uses_the_ticket(user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    ticket_redeem(token=token, password=NEW_PASSWORD)

    user.refresh_from_db()
    ticket.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert ticket.status == TicketStatus.USED
    scp = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD)
    assert scp.user == user
    assert scp.details["door"] == "reset"


@pytest.mark.django_db
def test_a_ticket_works_once(user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    ticket_redeem(token=token, password=NEW_PASSWORD)

    with pytest.raises(TicketInvalid) as caught:
        ticket_redeem(token=token, password="Another-Secret-88")

    assert caught.value.problem == TicketProblem.USED
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_refused_password_leaves_the_ticket_usable_and_logs_fcp(user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    with pytest.raises(PasswordPolicyError):
        ticket_redeem(token=token, password="short")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.VALID
    fcp = LogEvent.objects.get(type=LogType.FAILED_CHANGE_PASSWORD)
    assert fcp.details["rules"] == ["password_too_short", "password_character_classes"]
    ticket_redeem(token=token, password=NEW_PASSWORD)


@pytest.mark.django_db
def test_a_password_change_through_another_door_revokes_outstanding_tickets(user):
    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REVOKED


@pytest.mark.django_db
def test_mark_email_as_verified_is_applied_on_redeem(user):
    user.email_verified = False
    user.save()
    _, token = ticket_issue(user=user, audit=Audit(door=Door.API), mark_email_as_verified=True)

    ticket_redeem(token=token, password=NEW_PASSWORD)

    user.refresh_from_db()
    assert user.email_verified is True


@pytest.mark.django_db
def test_an_unknown_token_is_refused_and_logged(db):
    with pytest.raises(TicketInvalid) as caught:
        ticket_redeem(token="x" * 43, password=NEW_PASSWORD)

    assert caught.value.problem == TicketProblem.UNKNOWN
    assert LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD).count() == 1


@pytest.mark.django_db
def test_attack_a_link_mailed_before_an_email_change_dies_with_the_change(user):
    from accounts.services import user_update

    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    user_update(user=user, changes={"email": "new-owner@example.com"}, audit=Audit(door=Door.API))

    with pytest.raises(TicketInvalid) as info:
        ticket_check(token=token)
    assert info.value.problem == TicketProblem.REVOKED


@pytest.mark.django_db
def test_blocking_revokes_links_and_unblocking_does_not_bring_them_back(user):
    from accounts.services import user_block_set

    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    user_block_set(user=user, blocked=True, audit=Audit(door=Door.COMMAND))
    user_block_set(user=user, blocked=False, audit=Audit(door=Door.COMMAND))

    with pytest.raises(TicketInvalid) as info:
        ticket_check(token=token)
    assert info.value.problem == TicketProblem.REVOKED
    assert PasswordChangeTicket.objects.get().status == TicketStatus.REVOKED


@pytest.mark.django_db
def test_a_refused_reset_is_logged_fcp_exactly_once_and_leaves_the_ticket_usable(user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    with pytest.raises(PasswordPolicyError):
        ticket_redeem(token=token, password="weak")

    events = LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD)
    assert [(e.user_id, e.details["door"], e.details["ticket_door"]) for e in events] == [
        (user.pk, "reset", "self_service")
    ]
    ticket.refresh_from_db()
    assert ticket.used_at is None
    ticket_redeem(token=token, password=NEW_PASSWORD)
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD).count() == 1

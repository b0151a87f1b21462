"""A revoked link says why: a newer link, a password changed by staff or by the user, a block."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from accounts.services import password_set, user_block_set, user_update
from tests.factories import StaffFactory
from tickets.models import PasswordChangeTicket, TicketRevokedReason
from tickets.services import ticket_issue

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Pass-9"
BY_STAFF = "This link was cancelled because your password was changed by an administrator."
REPLACED = "This link was replaced by a newer one."


def open_link(client: Client, token: str, **extra: str):
    return client.get("/u/reset-password", {"ticket": token}, **extra)


def test_a_link_revoked_by_a_dashboard_password_change_says_an_administrator_changed_it(
    client, user
):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    staff = Client()
    staff.force_login(StaffFactory(staff_role="administrator"))
    changed = staff.post(
        reverse("dashboard:user-password-change", args=[user.user_id]),
        {"new_password1": NEW, "new_password2": NEW, "confirm": "on"},
    )
    assert changed.status_code == 302

    response = open_link(client, token)

    page = response.content.decode()
    assert response.status_code == 400
    assert BY_STAFF in page
    assert REPLACED not in page
    ticket = PasswordChangeTicket.objects.get()
    assert ticket.revoked_reason == TicketRevokedReason.PASSWORD_SET_BY_STAFF
    failure = LogEvent.objects.get(type=LogType.FAILED_CHANGE_PASSWORD)
    assert failure.description == BY_STAFF
    assert failure.details == {
        "door": "reset",
        "ticket": "revoked",
        "revoked_reason": "password_set_by_staff",
    }


@pytest.mark.parametrize("door", [Door.API, Door.COMMAND, Door.IMPORT])
def test_every_staff_door_counts_as_an_administrator(client, user, door):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    password_set(user=user, password=NEW, audit=Audit(door=door))

    assert BY_STAFF in open_link(client, token).content.decode()


def test_the_users_own_change_says_the_password_changed_after_the_link_was_sent(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    password_set(user=user, password=NEW, audit=Audit(door=Door.ACCOUNT))

    page = open_link(client, token).content.decode()
    assert "This link was cancelled because your password was changed after it was sent." in page


def test_a_newer_link_still_says_it_replaced_this_one(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    ticket_issue(user=user, audit=Audit(door=Door.RESET))

    page = open_link(client, token).content.decode()

    assert REPLACED in page
    assert PasswordChangeTicket.objects.order_by("pk").first().revoked_reason == "superseded"


def test_a_block_and_an_email_change_each_say_so(client, user):
    _, blocked_token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    user_block_set(user=user, blocked=True, audit=Audit(door=Door.DASHBOARD))
    user_block_set(user=user, blocked=False, audit=Audit(door=Door.DASHBOARD))
    _, moved_token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    user_update(user=user, changes={"email": "new-owner@example.com"}, audit=Audit(door=Door.API))

    blocked = open_link(client, blocked_token).content.decode()
    moved = html.unescape(open_link(Client(), moved_token).content.decode())

    assert "This link was cancelled because the account was blocked." in blocked
    assert "This link was cancelled because the account's email address was changed." in moved


def test_the_reason_is_given_in_japanese(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    password_set(user=user, password=NEW, audit=Audit(door=Door.DASHBOARD))

    page = open_link(client, token, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert "管理者がパスワードを変更したため、このリンクは取り消されました。" in page


def test_a_result_url_gets_the_reason_as_its_message(client, user):
    _, token = ticket_issue(
        user=user, audit=Audit(door=Door.API), result_url="https://app.example.com/done"
    )
    password_set(user=user, password=NEW, audit=Audit(door=Door.API))

    response = open_link(client, token)

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"success": ["false"], "message": [BY_STAFF]}


def test_a_link_revoked_before_reasons_were_kept_says_it_is_no_longer_valid(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    password_set(user=user, password=NEW, audit=Audit(door=Door.DASHBOARD))
    PasswordChangeTicket.objects.update(revoked_reason="")

    page = open_link(client, token).content.decode()

    assert "This link is no longer valid." in page


def test_the_users_page_shows_why_a_ticket_was_revoked(user):
    ticket_issue(user=user, audit=Audit(door=Door.RESET))
    password_set(user=user, password=NEW, audit=Audit(door=Door.DASHBOARD))
    staff = Client()
    staff.force_login(StaffFactory(staff_role="viewer"))

    page = staff.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    assert '<span class="muted ticket-revoked-reason">Password changed by an administrator' in page

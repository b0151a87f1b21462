"""Brute-force blocks on the user's page, and the administrators' Unblock action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import bruteforce
from accounts.models import LogEvent, LoginBlock, LogType

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"


@pytest.fixture
def blocked_user(user):
    for _ in range(10):
        bruteforce.login_failure_record(
            ip=IP, identifier=user.email, connection=user.connection.name, user=user
        )
    return user


def test_the_users_page_shows_the_blocked_addresses(staff_client, blocked_user):
    page = staff_client.get(reverse("dashboard:user-detail", args=[blocked_user.user_id]))

    html = page.content.decode()
    assert 'id="login-block-table"' in html
    assert IP in html
    assert 'id="login-unblock"' in html


def test_a_viewer_sees_the_blocks_but_no_unblock_action(viewer_client, blocked_user):
    page = viewer_client.get(reverse("dashboard:user-detail", args=[blocked_user.user_id]))
    url = reverse("dashboard:user-login-unblock", args=[blocked_user.user_id])

    assert IP in page.content.decode()
    assert 'id="login-unblock"' not in page.content.decode()
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {"confirm": "on"}).status_code == 403
    assert LoginBlock.objects.count() == 1


def test_an_administrator_unblocks_and_it_is_logged_with_the_actor(
    staff_client, administrator, blocked_user
):
    url = reverse("dashboard:user-login-unblock", args=[blocked_user.user_id])

    response = staff_client.post(url, {"confirm": "on", "reason": "called the help desk"})

    assert response.status_code == 302
    assert LoginBlock.objects.count() == 0
    assert not bruteforce.login_blocked(
        ip=IP, identifier=blocked_user.email, connection=blocked_user.connection.name
    )
    event = LogEvent.objects.get(type=LogType.BLOCK_RELEASED)
    assert (event.user, event.actor) == (blocked_user, administrator)
    assert event.details == {
        "door": "dashboard",
        "blocked_ip": IP,
        "reason": "called the help desk",
    }


def test_a_user_without_blocks_says_so(staff_client, user):
    page = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id]))

    assert 'id="no-login-blocks"' in page.content.decode()

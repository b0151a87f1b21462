"""Floods of the anonymous reset doors: per-email limit, cross-site posts, bad tickets, retries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.tasks.signals import task_enqueued
from django.utils import timezone

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from emails.models import InboxMessage
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory
from tests.tickets.helpers import counting_work
from tickets.services import ticket_issue

URL = "/dbconnections/change_password"
CONNECTION = "Username-Password-Authentication"
OK_BODY = b"We've just sent you an email to reset your password."

pytestmark = pytest.mark.django_db


def full_width(text: str) -> str:
    """The full-width form of ASCII text (NFKC maps it back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def post_json(client, data, **extra):
    return client.post(URL, data=json.dumps(data), content_type="application/json", **extra)


def flood(client, user, addresses: int = 6, each: int = 10) -> set[tuple[int, bytes]]:
    answers = set()
    for n in range(addresses):
        for _ in range(each):
            response = post_json(
                client,
                {"email": user.email, "connection": CONNECTION},
                REMOTE_ADDR=f"198.51.100.{n + 1}",
            )
            answers.add((response.status_code, response.content))
    return answers


def test_attack_six_addresses_cannot_flood_one_inbox(client, user, worker):
    """Attack: 6 source addresses x 10 requests used to mail the user 60 links in 10 s."""
    answers = flood(client, user)
    worker()

    assert answers == {(200, OK_BODY)}
    assert InboxMessage.objects.filter(to=user.email).count() == 1


def test_attack_a_flood_over_the_email_limit_writes_one_row_a_window(client, user, worker):
    """Attack: each refused request of a flood used to write its own fcpr row."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        flood(client, user)
        worker()
        clock.shift(timedelta(seconds=61))
        flood(client, user, addresses=1, each=1)
        worker()

    refused = LogEvent.objects.filter(
        type=LogType.FAILED_CHANGE_PASSWORD_REQUEST,
        description="Too many password reset requests for this email",
    ).order_by("id")
    assert [row.details.get("suppressed") for row in refused] == [None, 58]


def test_the_per_email_limit_lets_a_new_email_through_twelve_minutes_later(client, user, worker):
    body = {"email": user.email, "connection": CONNECTION}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_json(client, body, REMOTE_ADDR="198.51.100.1")
        post_json(client, body, REMOTE_ADDR="198.51.100.2")
        worker()  # the limit is applied in the worker, when the request is processed
        clock.shift(timedelta(minutes=11, seconds=59))
        post_json(client, body, REMOTE_ADDR="198.51.100.3")
        worker()
        assert InboxMessage.objects.filter(to=user.email).count() == 1
        clock.shift(timedelta(seconds=2))
        post_json(client, body, REMOTE_ADDR="198.51.100.3")
        worker()

    assert InboxMessage.objects.filter(to=user.email).count() == 2


def test_the_per_email_limit_is_keyed_on_the_normalised_email(client, connection, worker):
    """Full-width and case variants of one address share one bucket."""
    from tests.factories import UserFactory

    user = UserFactory(email="victim@example.com", connection=connection)
    variants = ("victim@example.com", "VICTIM@EXAMPLE.COM", full_width("victim@example.com"))
    for variant in variants:
        post_json(client, {"email": variant, "connection": CONNECTION}, REMOTE_ADDR="192.0.2.9")
    worker()

    assert InboxMessage.objects.filter(to=user.email).count() == 1


def test_attack_cross_site_form_post_is_refused_403_and_sends_nothing(client, user):
    """Attack: a page on another site auto-submits a form at the victim's address."""
    app = ApplicationFactory(allowed_origins=["https://app.example.com"])
    enqueued: list[str] = []

    def on_enqueue(sender, task_result, **kwargs):
        enqueued.append(task_result.task.name)

    task_enqueued.connect(on_enqueue, dispatch_uid="flood-test")
    try:
        response = client.post(
            URL,
            f"email={user.email}&connection={CONNECTION}&client_id={app.client_id}",
            content_type="application/x-www-form-urlencoded",
            HTTP_ORIGIN="https://evil.example.net",
        )
    finally:
        task_enqueued.disconnect(dispatch_uid="flood-test")

    assert response.status_code == 403
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Origin not allowed for this client.",
    }
    assert "Access-Control-Allow-Origin" not in response.headers
    assert enqueued == []


def test_a_cross_site_post_without_client_id_is_refused(client, user):
    response = post_json(
        client, {"email": user.email, "connection": CONNECTION}, HTTP_ORIGIN="null"
    )

    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"


def test_the_public_urls_own_origin_is_allowed(client, user, settings):
    settings.PUBLIC_URL = "https://rekey.example.com"
    response = post_json(
        client,
        {"email": user.email, "connection": CONNECTION},
        HTTP_ORIGIN="https://rekey.example.com",
    )

    assert (response.status_code, response.content) == (200, OK_BODY)


def test_a_server_call_without_origin_still_works(client, user):
    response = post_json(client, {"email": user.email, "connection": CONNECTION})

    assert (response.status_code, response.content) == (200, OK_BODY)


def test_attack_guessing_tickets_is_rate_limited_per_ip(client, db, settings):
    """Attack: GET /u/reset-password?ticket=garbage in a loop wrote one log row per request."""
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "reset_link_bad": "3/m/ip"}
    with time_machine.travel(timezone.now(), tick=False):  # one log window
        statuses = [
            client.get("/u/reset-password", {"ticket": f"garbage{n}"}).status_code
            for n in range(50)
        ]

    assert statuses[:3] == [400, 400, 400]
    assert set(statuses[3:]) == {429}
    assert LogEvent.objects.count() <= 4  # 3 failures, one rate-limit row, the rest counted


def test_attack_refused_reset_posts_are_limited_per_ticket(client, user, settings):
    """Attack: each refused POST against a 24-deep history cost up to 24 Argon2 verifies."""
    settings.PASSWORD_HASHERS = [
        "tests.tickets.helpers.CountingArgon2Hasher",
        *settings.PASSWORD_HASHERS,
    ]
    user.connection.history_enable = True
    user.connection.history_size = 24
    user.connection.save()
    user.set_password(DEFAULT_PASSWORD)
    user.save()
    _ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    client.get("/u/reset-password", {"ticket": token})
    reused = {"password": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}

    statuses = [client.post("/u/reset-password/set", reused).status_code for _ in range(5)]
    with counting_work() as work:
        over = client.post("/u/reset-password/set", reused)

    assert statuses == [400] * 5
    assert over.status_code == 429
    assert "Retry-After" in over.headers
    assert work.hashes == 0


def test_attack_a_rate_limited_flood_writes_one_row_and_counts_the_rest(client, db, settings):
    """Attack: every rate-limited request used to write a log row (unbounded writes)."""
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password": "1/m/ip"}
    body = {"email": "a@example.com", "connection": CONNECTION}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        statuses = [post_json(client, body).status_code for _ in range(21)]
        first = list(LogEvent.objects.filter(type=LogType.API_LIMIT))
        clock.shift(timedelta(seconds=61))
        post_json(client, body)
        post_json(client, body)

    assert statuses.count(429) == 20
    assert len(first) == 1
    rows = LogEvent.objects.filter(type=LogType.API_LIMIT).order_by("id")
    assert [row.details.get("suppressed") for row in rows] == [None, 19]

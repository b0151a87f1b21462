"""Brute-force protection of the hosted login: pairs (IP, account), unblock links, logs."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import bruteforce
from accounts.models import LogEvent, LoginBlock, LogType
from emails.models import EmailDelivery, InboxMessage
from tests.emails.worker import run_worker
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.tickets.helpers import counting_work

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
BLOCKED_TEXT = b"Your account has been blocked after multiple consecutive login attempts."


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


def full_width(text: str) -> str:
    """The full-width form of ASCII text (NFKC maps it back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def login(client: Client, email: str, password: str, ip: str, connection: str):
    return client.post(
        "/u/login",
        {"email": email, "password": password, "connection": connection},
        REMOTE_ADDR=ip,
    )


def guess(client: Client, user, times: int, ip: str = ATTACKER) -> list[int]:
    return [
        login(client, user.email, f"guess-{n}", ip, user.connection.name).status_code
        for n in range(times)
    ]


def page_text(response, email: str) -> str:
    """The page without what differs by design: the email typed and the CSRF token."""
    text = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)


@contextmanager
def captured_tokens():
    tokens: list[str] = []

    def on_block(sender, token, **kwargs):
        tokens.append(token)

    bruteforce.account_blocked.connect(on_block, dispatch_uid="test-tokens")
    try:
        yield tokens
    finally:
        bruteforce.account_blocked.disconnect(dispatch_uid="test-tokens")


def test_attack_full_width_variants_of_one_email_share_one_count(client) -> None:
    """Attack: full-width variants logged into one account under fresh buckets (200 guesses)."""
    user = UserFactory(email="victim@example.com")
    variants = ["victim@example.com", "VICTIM@example.com", full_width("victim@example.com")]
    statuses = [
        login(client, variants[n % 3], f"guess-{n}", ATTACKER, user.connection.name).status_code
        for n in range(30)
    ]

    assert statuses[:9] == [400] * 9
    assert set(statuses[9:]) == {429}
    right = login(client, full_width(user.email), DEFAULT_PASSWORD, ATTACKER, "x")
    assert right.status_code in (400, 429)  # another connection, or the same blocked pair
    assert (
        login(client, user.email, DEFAULT_PASSWORD, ATTACKER, user.connection.name).status_code
        == 429
    )


def test_attack_guessing_cannot_lock_the_owner_out_from_another_address(client, user) -> None:
    """Attack: ~10 requests a minute used to lock a known account out everywhere."""
    guess(client, user, 30)

    response = login(client, user.email, DEFAULT_PASSWORD, OWNER, user.connection.name)

    assert response.status_code == 302


def test_a_blocked_pair_is_refused_without_checking_the_password(client, user, settings) -> None:
    settings.PASSWORD_HASHERS = [
        "tests.tickets.helpers.CountingArgon2Hasher",
        *settings.PASSWORD_HASHERS,
    ]
    guess(client, user, 10)

    with counting_work() as work:
        response = login(client, user.email, DEFAULT_PASSWORD, ATTACKER, user.connection.name)

    assert response.status_code == 429
    assert BLOCKED_TEXT in response.content
    assert work.hashes == 0


def test_the_threshold_is_a_setting(client, user, settings) -> None:
    settings.REKEY_BRUTE_FORCE = {**settings.REKEY_BRUTE_FORCE, "threshold": 3}

    assert guess(client, user, 4) == [400, 400, 429, 429]


def test_a_successful_login_resets_the_count(client, user) -> None:
    guess(client, user, 9)
    ok = login(client, user.email, DEFAULT_PASSWORD, ATTACKER, user.connection.name)
    client.logout()

    assert ok.status_code == 302
    assert guess(client, user, 9) == [400] * 9


def test_an_unknown_email_gets_the_same_blocked_answer_as_a_user(client, user) -> None:
    known = guess(client, user, 11)
    unknown = [
        login(client, "nobody@example.com", f"g{n}", ATTACKER, user.connection.name).status_code
        for n in range(11)
    ]
    known_page = login(client, user.email, "x-x-x-x", ATTACKER, user.connection.name)
    unknown_page = login(client, "nobody@example.com", "x-x-x-x", ATTACKER, user.connection.name)

    assert known == unknown
    assert known_page.status_code == unknown_page.status_code == 429
    assert page_text(known_page, user.email) == page_text(unknown_page, "nobody@example.com")
    assert LoginBlock.objects.count() == 1  # rows only for accounts that exist


def test_a_block_is_logged_limit_wc_once_and_later_attempts_are_counted(client, user) -> None:
    with time_machine.travel(timezone.now(), tick=False):  # one log window
        guess(client, user, 40)

    events = LogEvent.objects.filter(type=LogType.LIMIT_WC).order_by("id")
    assert events.count() == 2  # the block itself, then the first attempt refused unchecked
    assert events[0].user == user
    assert events[0].ip == ATTACKER
    assert LogEvent.objects.filter(type=LogType.FAILED_LOGIN).count() == 10


def test_the_block_mails_an_unblock_link_whose_token_is_stored_hashed(client, user) -> None:
    with captured_tokens() as tokens:
        guess(client, user, 10)
    run_worker()

    delivery = EmailDelivery.objects.get(template_name="blocked_account")
    message = InboxMessage.objects.get()
    assert message.to == user.email
    assert f"/u/unblock?token={tokens[0]}" in message.text_body
    assert tokens[0] not in delivery.text_body + delivery.html_body  # the outbox copy is redacted
    block = LoginBlock.objects.get()
    assert (block.user, block.ip, block.connection) == (user, ATTACKER, user.connection.name)
    assert block.token_hash == bruteforce.token_hash(tokens[0]) != tokens[0]


def test_the_email_is_in_the_users_language(client, connection) -> None:
    user = UserFactory(connection=connection, locale="ja")
    guess(client, user, 10)
    run_worker()

    assert InboxMessage.objects.get().subject == "アカウントがブロックされました"


def test_opening_the_unblock_link_does_not_unblock(client, user) -> None:
    """Mail scanners open links: a GET must not use the token."""
    with captured_tokens() as tokens:
        guess(client, user, 10)
    browser = Client()

    opened = browser.get("/u/unblock", {"token": tokens[0]})
    page = browser.get("/u/unblock")

    assert opened.status_code == 302
    assert opened.headers["Location"] == "/u/unblock"  # the token leaves the URL
    assert page.status_code == 200
    assert b'id="unblock"' in page.content
    assert LoginBlock.objects.count() == 1


def test_confirming_the_unblock_link_releases_the_pair_once(client, user) -> None:
    with captured_tokens() as tokens:
        guess(client, user, 10)
    browser = Client()
    browser.get("/u/unblock", {"token": tokens[0]})

    done = browser.post("/u/unblock")
    again = Client()
    again.get("/u/unblock", {"token": tokens[0]})

    assert done.status_code == 200
    assert LoginBlock.objects.count() == 0
    assert again.post("/u/unblock").status_code == 400  # single use
    event = LogEvent.objects.get(type=LogType.BLOCK_RELEASED)
    assert (event.user, event.details["door"]) == (user, "unblock_link")
    response = login(client, user.email, DEFAULT_PASSWORD, ATTACKER, user.connection.name)
    assert response.status_code == 302


def test_a_forged_unblock_token_is_refused(client, user) -> None:
    guess(client, user, 10)

    response = client.get("/u/unblock", {"token": "forged-token"})

    assert response.status_code == 400
    assert LoginBlock.objects.count() == 1


def test_the_unblock_cookie_cannot_be_forged(client, user) -> None:
    with captured_tokens() as tokens:
        guess(client, user, 10)
    client.cookies["rekey_unblock"] = tokens[0]  # unsigned

    assert client.post("/u/unblock").status_code == 400
    assert LoginBlock.objects.count() == 1


def test_counts_are_shared_by_servers_through_redis(postgres, redis, client, user) -> None:
    """Two servers (two Redis connection pools) count one pair's failures together."""
    from django_redis import get_redis_connection

    guess(client, user, 5)
    get_redis_connection("default").connection_pool.disconnect()
    other_server = Client()

    assert guess(other_server, user, 6) == [400] * 4 + [429, 429]
    assert LoginBlock.objects.filter(user=user, ip=ATTACKER).count() == 1
    assert get_redis_connection("default").keys("*bf:*")


def test_a_block_outlives_a_flushed_cache(client, user) -> None:
    from django.core.cache import cache

    guess(client, user, 10)
    cache.clear()

    response = login(client, user.email, DEFAULT_PASSWORD, ATTACKER, user.connection.name)
    assert response.status_code == 429


def test_unblock_pages_keep_the_token_out_of_the_page(client, user) -> None:
    with captured_tokens() as tokens:
        guess(client, user, 10)
    client.get("/u/unblock", {"token": tokens[0]})

    page = client.get("/u/unblock").content.decode()

    assert tokens[0] not in page
    assert not re.search(r"token=", page)


def test_the_blocked_message_is_in_japanese(client, user) -> None:
    guess(client, user, 10)

    response = client.post(
        "/u/login?ui_locales=ja",
        {"email": user.email, "password": "x", "connection": user.connection.name},
        REMOTE_ADDR=ATTACKER,
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert "アカウントがブロックされました" in response.content.decode()


def test_a_password_change_releases_the_users_blocks(client, user) -> None:
    from accounts.services import Audit, Door, password_set

    guess(client, user, 10)

    password_set(user=user, password="Brand-New-Secret-77", audit=Audit(door=Door.RESET))

    assert LoginBlock.objects.count() == 0
    event = LogEvent.objects.get(type=LogType.BLOCK_RELEASED)
    assert event.details["door"] == "password_change:reset"
    response = login(client, user.email, "Brand-New-Secret-77", ATTACKER, user.connection.name)
    assert response.status_code == 302


def test_attack_blocking_from_many_addresses_sends_one_email_an_hour(client, user) -> None:
    """Attack: a botnet blocking pair after pair would mail the user once per address."""
    with captured_tokens() as tokens:
        for n in range(5):
            guess(client, user, 10, ip=f"203.0.113.{n + 1}")

    assert LoginBlock.objects.filter(user=user).count() == 5
    assert len(tokens) == 1
    assert EmailDelivery.objects.filter(template_name="blocked_account").count() == 1


def test_the_unblock_link_releases_every_block_of_the_user(client, user) -> None:
    with captured_tokens() as tokens:
        guess(client, user, 10, ip="203.0.113.1")
        guess(client, user, 10, ip="203.0.113.2")
    browser = Client()
    browser.get("/u/unblock", {"token": tokens[0]})

    browser.post("/u/unblock")

    assert LoginBlock.objects.count() == 0
    assert LogEvent.objects.filter(type=LogType.BLOCK_RELEASED).count() == 2

"""Each Auth0 policy level's rules, plus min_length, history, personal info and dictionary."""

from __future__ import annotations

import pytest

from accounts.models import Connection
from accounts.policy import PasswordRule, policy_check, policy_rules
from tests.factories import UserFactory


def codes(level: str, password: str, **options) -> set[str]:
    connection = Connection(name="c", password_policy=level, **options)
    return {f.code for f in policy_check(connection, password, None)}


@pytest.mark.parametrize(
    ("level", "password", "expected"),
    [
        ("none", "", {PasswordRule.TOO_SHORT}),
        ("none", "a", set()),
        ("low", "abcde", {PasswordRule.TOO_SHORT}),
        ("low", "abcdef", set()),
        ("fair", "abcdefgh", {PasswordRule.CHARACTER_CLASSES}),
        ("fair", "abcdefG1", set()),
        ("fair", "Abcdef1", {PasswordRule.TOO_SHORT}),
        # fair needs all of lower, upper and digit: a special does not stand in.
        ("fair", "abcdefg!", {PasswordRule.CHARACTER_CLASSES}),
        ("good", "abcdefgh", {PasswordRule.CHARACTER_CLASSES}),
        ("good", "abcdefg!1", set()),
        ("good", "ABCDEFG!1", set()),
        ("good", "abcdeFGH", {PasswordRule.CHARACTER_CLASSES}),
        ("excellent", "abcdeF1!x", {PasswordRule.TOO_SHORT}),
        ("excellent", "abcdeF1!xy", set()),
        ("excellent", "aaabcdeF1!x", {PasswordRule.IDENTICAL_CHARS}),
        ("excellent", "aabcdeF1!x", set()),
    ],
)
def test_auth0_level_rules(level: str, password: str, expected: set[str]) -> None:
    assert codes(level, password) == expected


def test_every_failed_rule_is_named() -> None:
    assert codes("excellent", "aaa") == {
        PasswordRule.TOO_SHORT,
        PasswordRule.CHARACTER_CLASSES,
        PasswordRule.IDENTICAL_CHARS,
    }


def test_min_length_overrides_the_level() -> None:
    assert codes("low", "abcdefghijk", min_length=12) == {PasswordRule.TOO_SHORT}
    assert codes("good", "abcD1", min_length=4) == set()


def test_long_passwords_are_allowed_up_to_the_maximum_and_never_truncated(settings) -> None:
    assert codes("good", "Aa1!" * 16) == set()  # 64 characters
    too_long = "Aa1!" * (settings.REKEY_PASSWORD_MAX_LENGTH // 4 + 1)
    assert codes("good", too_long) == {PasswordRule.TOO_LONG}


def test_dictionary_refuses_common_passwords_and_custom_words() -> None:
    assert codes("none", "password1", dictionary_enable=True) == {PasswordRule.IN_DICTIONARY}
    assert codes("none", "Rekeyrocks", dictionary_enable=True, dictionary=["rekeyrocks"]) == {
        PasswordRule.IN_DICTIONARY
    }
    assert codes("none", "password1", dictionary_enable=False) == set()


@pytest.mark.django_db
def test_no_personal_info_refuses_name_nickname_and_email_local_part(connection) -> None:
    connection.no_personal_info = True
    connection.password_policy = "low"
    user = UserFactory(
        connection=connection,
        email="kaori.tanaka@example.com",
        name="Kaori Tanaka",
        nickname="kao-chan",
        user_metadata={"first_name": "Hikaru"},
    )
    for password in ["xxTanaka99", "KAO-CHAN-2024", "kaori.tanaka!", "hikaru-2020"]:
        assert {f.code for f in policy_check(connection, password, user)} == {
            PasswordRule.PERSONAL_INFO
        }, password
    assert policy_check(connection, "Ocean-Breeze-7", user) == []


@pytest.mark.django_db
def test_history_refuses_the_current_and_recent_passwords(connection) -> None:
    from accounts.services import Audit, Door, password_set

    connection.history_enable = True
    connection.history_size = 2
    connection.save()
    user = UserFactory(connection=connection, password="First-pass-1")
    password_set(user=user, password="Second-pass-2", audit=Audit(door=Door.COMMAND))
    password_set(user=user, password="Third-pass-3", audit=Audit(door=Door.COMMAND))
    assert {f.code for f in policy_check(connection, "Third-pass-3", user)} == {
        PasswordRule.IN_HISTORY
    }
    assert {f.code for f in policy_check(connection, "Second-pass-2", user)} == {
        PasswordRule.IN_HISTORY
    }
    # Only the last two count: the first one is allowed again.
    assert policy_check(connection, "First-pass-1", user) == []


def test_rules_for_display_carry_what_the_page_checks() -> None:
    rules = policy_rules(Connection(name="c", password_policy="excellent"))
    assert [r["code"] for r in rules] == [
        PasswordRule.TOO_SHORT,
        PasswordRule.CHARACTER_CLASSES,
        PasswordRule.IDENTICAL_CHARS,
    ]
    assert rules[0]["min"] == 10
    assert rules[1]["need"] == 3

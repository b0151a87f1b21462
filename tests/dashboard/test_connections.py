"""The password policy editor and its live "try a password" box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Connection, LogEvent, LogType
from tests.factories import SocialConnectionFactory

pytestmark = pytest.mark.django_db

POLICY = {
    "password_policy": "excellent",
    "min_length": "12",
    "history_enable": "on",
    "history_size": "5",
    "no_personal_info": "on",
    "dictionary_enable": "on",
    "dictionary_text": "rekey\nacme\n",
}


def test_each_level_is_spelled_out(staff_client, connection):
    html = staff_client.get(
        reverse("dashboard:connection-detail", args=[connection.id])
    ).content.decode()

    assert "At least 10 characters." in html  # excellent
    assert "No more than 2 identical characters in a row." in html
    assert "At least 6 characters." in html  # low
    assert "Contains all of: lower case letters (a-z), upper case letters (A-Z)" in html  # fair


def test_administrator_saves_the_policy_and_the_change_is_logged(
    staff_client, administrator, connection
):
    response = staff_client.post(
        reverse("dashboard:connection-detail", args=[connection.id]), POLICY
    )

    assert response.status_code == 302
    connection = Connection.objects.get(pk=connection.pk)
    assert (connection.password_policy, connection.min_length) == ("excellent", 12)
    assert (connection.history_enable, connection.history_size) == (True, 5)
    assert connection.no_personal_info and connection.dictionary_enable
    assert connection.dictionary == ["rekey", "acme"]
    event = LogEvent.objects.get(type=LogType.SUCCESS_API_OPERATION)
    assert event.actor == administrator
    assert event.connection == connection.name
    assert event.description == "Update connection password policy"


def test_min_length_outside_1_to_128_is_refused(staff_client, connection):
    response = staff_client.post(
        reverse("dashboard:connection-detail", args=[connection.id]),
        {**POLICY, "min_length": "129"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["min_length"] == ["Between 1 and 128."]
    assert Connection.objects.get(pk=connection.pk).password_policy == "good"


def test_try_a_password_checks_the_unsaved_policy(staff_client, connection):
    response = staff_client.post(
        reverse("dashboard:connection-try-password", args=[connection.id]),
        {**POLICY, "password": "aaaBBB111cc"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "ok": False,
        "rules": [
            {"code": "password_too_short", "text": "At least 12 characters.", "ok": False},
            {
                "code": "password_character_classes",
                "text": "Contains at least 3 of: lower case letters (a-z), upper case letters "
                "(A-Z), numbers (0-9), special characters (e.g. !@#$%^&*).",
                "ok": True,
            },
            {
                "code": "password_identical_chars",
                "text": "No more than 2 identical characters in a row.",
                "ok": False,
            },
            {
                "code": "password_in_history",
                "text": "Not the same as any of your last 5 passwords.",
                "ok": None,
            },
            {
                "code": "password_personal_info",
                "text": "Does not contain your name, nickname, username or email.",
                "ok": None,
            },
            {
                "code": "password_in_dictionary",
                "text": "Not a common password or a word from the dictionary.",
                "ok": True,
            },
        ],
    }
    assert Connection.objects.get(pk=connection.pk).password_policy == "good"
    assert not LogEvent.objects.exists()


def test_try_a_password_refuses_a_word_of_the_edited_dictionary(staff_client, connection):
    response = staff_client.post(
        reverse("dashboard:connection-try-password", args=[connection.id]),
        {**POLICY, "password_policy": "none", "min_length": "", "password": "Acme"},
    )

    rules = {r["code"]: r["ok"] for r in response.json()["rules"]}
    assert response.json()["ok"] is False
    assert rules["password_in_dictionary"] is False


def test_try_a_password_passes_a_good_one(staff_client, connection):
    response = staff_client.post(
        reverse("dashboard:connection-try-password", args=[connection.id]),
        {"password_policy": "good", "history_size": "0", "password": "Tr0ub4dor&3x"},
    )

    assert response.json()["ok"] is True


def test_viewer_may_try_a_password_but_not_save(viewer_client, connection):
    tried = viewer_client.post(
        reverse("dashboard:connection-try-password", args=[connection.id]),
        {"password_policy": "good", "history_size": "0", "password": "x"},
    )
    saved = viewer_client.post(reverse("dashboard:connection-detail", args=[connection.id]), POLICY)

    assert tried.status_code == 200
    assert saved.status_code == 403


def test_social_connection_has_no_policy_to_edit(staff_client):
    social = SocialConnectionFactory()

    html = staff_client.get(
        reverse("dashboard:connection-detail", args=[social.id])
    ).content.decode()

    assert "their passwords are not kept here" in html
    assert 'id="policy-form"' not in html


def test_the_reset_method_is_chosen_on_the_connection_page(staff_client, connection):
    page = staff_client.get(reverse("dashboard:connection-detail", args=[connection.id]))
    assert "A forgotten password is reset with" in page.content.decode()
    response = staff_client.post(
        reverse("dashboard:connection-detail", args=[connection.id]),
        {**POLICY, "password_reset_method": "code"},
    )

    assert response.status_code == 302
    assert Connection.objects.get(pk=connection.pk).password_reset_method == "code"
    staff_client.post(reverse("dashboard:connection-detail", args=[connection.id]), POLICY)
    assert Connection.objects.get(pk=connection.pk).password_reset_method == "code"  # kept

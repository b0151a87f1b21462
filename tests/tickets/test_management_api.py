"""POST /api/v2/tickets/password-change."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from accounts.models import LogEvent
from emails.models import EmailDelivery
from tests.factories import SocialConnectionFactory, UserFactory
from tests.management_api import error
from tickets.models import PasswordChangeTicket
from tickets.services import TicketInvalid, TicketProblem, ticket_check, ticket_redeem

pytestmark = pytest.mark.django_db
URL = "/api/v2/tickets/password-change"
NEW_PASSWORD = "Granite-Orbit-73!"


def token_of(response) -> str:
    url = response.json()["ticket"]
    assert url.startswith("http://127.0.0.1:8000/u/reset-password?ticket=")
    return parse_qs(urlsplit(url).query)["ticket"][0]


def test_a_ticket_for_a_user_id_is_201_with_its_url_and_no_email(api, user, m2m):
    response = api.post(URL, {"user_id": user.user_id})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"ticket"}
    token = token_of(response)
    ticket = ticket_check(token=token)
    assert ticket.user == user
    assert ticket.door == "api"
    assert ticket.expires_at - ticket.created_at == timedelta(seconds=432000)
    assert EmailDelivery.objects.count() == 0
    event = LogEvent.objects.get(type="sapi")
    assert event.client_id == m2m.client_id
    assert event.description == "Create a password change ticket"
    assert token not in str(event.details)


def test_a_ticket_by_connection_id_and_email(api, user):
    response = api.post(URL, {"connection_id": user.connection_id, "email": user.email.upper()})

    assert response.status_code == 201
    assert ticket_check(token=token_of(response)).user == user


def test_ttl_sec_sets_the_lifetime_and_zero_means_five_days(api, user):
    short = ticket_check(token=token_of(api.post(URL, {"user_id": user.user_id, "ttl_sec": 60})))
    assert short.expires_at - short.created_at == timedelta(seconds=60)

    zero = ticket_check(token=token_of(api.post(URL, {"user_id": user.user_id, "ttl_sec": 0})))
    assert zero.expires_at - zero.created_at == timedelta(days=5)


def test_the_options_are_kept_on_the_ticket(api, user):
    response = api.post(
        URL,
        {
            "user_id": user.user_id,
            "result_url": "https://app.example.com/done",
            "mark_email_as_verified": True,
            "includeEmailInRedirect": True,
        },
    )

    ticket = ticket_check(token=token_of(response))
    assert ticket.result_url == "https://app.example.com/done"
    assert ticket.mark_email_as_verified is True
    assert ticket.include_email_in_redirect is True


def test_client_id_names_the_application_of_the_ticket(api, user, m2m):
    response = api.post(URL, {"user_id": user.user_id, "client_id": m2m.client_id})

    assert ticket_check(token=token_of(response)).application == m2m.application


def test_only_the_newest_ticket_is_valid(api, user):
    first = token_of(api.post(URL, {"user_id": user.user_id}))
    second = token_of(api.post(URL, {"user_id": user.user_id}))

    with pytest.raises(TicketInvalid) as caught:
        ticket_check(token=first)
    assert caught.value.problem == TicketProblem.REVOKED
    assert ticket_check(token=second).user == user


def test_a_ticket_is_used_once(api, user):
    token = token_of(api.post(URL, {"user_id": user.user_id}))

    ticket_redeem(token=token, password=NEW_PASSWORD)

    with pytest.raises(TicketInvalid) as caught:
        ticket_redeem(token=token, password="Another-Orbit-74!")
    assert caught.value.problem == TicketProblem.USED


def test_a_ticket_expires_after_its_ttl(api, user):
    token = token_of(api.post(URL, {"user_id": user.user_id, "ttl_sec": 60}))

    with (
        time_machine.travel(timezone.now() + timedelta(seconds=61)),
        pytest.raises(TicketInvalid) as caught,
    ):
        ticket_check(token=token)
    assert caught.value.problem == TicketProblem.EXPIRED


def test_the_ticket_link_opens_the_reset_page(api, user, client):
    url = api.post(URL, {"user_id": user.user_id}).json()["ticket"]

    response = client.get(url.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 302
    assert response["Location"] == "/u/reset-password/set"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"user_id": "auth0|x", "connection_id": "con_x", "email": "a@example.com"},
            "user_id cannot be used together with connection_id or email",
        ),
        (
            {"user_id": "auth0|x", "email": "a@example.com"},
            "user_id cannot be used together with connection_id or email",
        ),
        ({"email": "a@example.com"}, "connection_id is required with email"),
        ({"connection_id": "con_x"}, "email is required with connection_id"),
        ({}, "user_id, or connection_id and email, is required"),
        (
            {"user_id": "auth0|x", "result_url": "https://a.example", "client_id": "c"},
            "result_url cannot be used together with client_id",
        ),
    ],
)
def test_combinations_auth0_refuses_are_400(api, body, message):
    response = api.post(URL, body)

    assert response.status_code == 400
    assert response.json() == error(400, f"Payload validation error: '{message}'.", "invalid_body")
    assert PasswordChangeTicket.objects.count() == 0


def test_a_negative_ttl_is_400(api, user):
    response = api.post(URL, {"user_id": user.user_id, "ttl_sec": -1})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'Ensure this value is greater than or equal to 0.' "
        "on property ttl_sec.",
        "invalid_body",
    )


def test_an_unknown_user_is_404(api):
    response = api.post(URL, {"user_id": "auth0|000000000000000000000000"})

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_an_unknown_email_in_the_connection_is_404(api, connection):
    response = api.post(URL, {"connection_id": connection.id, "email": "nobody@example.com"})

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_an_unknown_connection_is_404(api):
    response = api.post(URL, {"connection_id": "con_0000000000000000", "email": "a@example.com"})

    assert response.status_code == 404
    assert response.json() == error(404, "The connection does not exist", "inexistent_connection")


def test_an_unknown_client_is_400(api, user):
    response = api.post(URL, {"user_id": user.user_id, "client_id": "x" * 32})

    assert response.status_code == 400
    assert response.json() == error(400, "The client does not exist", "inexistent_client")


def test_a_social_user_gets_a_clear_400(api):
    social = UserFactory(connection=SocialConnectionFactory(), user_id="google-oauth2|5")

    response = api.post(URL, {"user_id": social.user_id})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        f"{social.email} signs in with the google-oauth2 connection (Google); its password "
        "is not kept here.",
        "password_not_supported",
    )


def test_tickets_need_create_user_tickets(api_with, user):
    response = api_with("update:users").post(URL, {"user_id": user.user_id})

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: create:user_tickets", "insufficient_scope"
    )


# --- identity and organization_id, as Auth0 takes them ---------------------------------------


def test_identity_naming_the_users_own_identity_is_accepted(api, user):
    bare = user.user_id.removeprefix("auth0|")

    response = api.post(
        URL,
        {
            "user_id": user.user_id,
            "identity": {"user_id": bare, "provider": "auth0", "connection_id": user.connection_id},
        },
    )

    assert response.status_code == 201
    assert PasswordChangeTicket.objects.filter(user=user).count() == 1


def test_identity_of_another_user_is_400_and_issues_nothing(api, user, connection):
    other = UserFactory(connection=connection)

    response = api.post(
        URL,
        {"user_id": user.user_id, "identity": {"user_id": other.user_id, "provider": "auth0"}},
    )

    assert response.status_code == 400
    assert response.json() == error(
        400, "The identity does not belong to the user", "inexistent_user"
    )
    assert not PasswordChangeTicket.objects.exists()


def test_an_organization_id_names_none_rekey_has_so_404_as_auth0(api, user):
    response = api.post(URL, {"user_id": user.user_id, "organization_id": "org_abc123"})

    assert response.status_code == 404
    assert response.json() == error(
        404, "The organization does not exist", "inexistent_organization"
    )
    assert not PasswordChangeTicket.objects.exists()

"""Auth0's official Python SDK (auth0-python) against a live Rekey, changing only the base URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from auth0.authentication import Database, GetToken
from auth0.management import Auth0
from django.contrib.auth.hashers import check_password

from accounts.models import User
from accounts.scopes import management_audience
from emails.models import EmailDelivery
from tests.emails.worker import run_worker
from tests.factories import ApplicationFactory, UserFactory
from tickets.services import ticket_check

# serialized_rollback keeps the default email templates (a data migration) in the live database.
pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NEW_PASSWORD = "Granite-Orbit-73!"


@pytest.fixture
def rekey(live_server, settings):
    """The live server as the tenant: PUBLIC_URL is its URL, as it would be in production."""
    settings.PUBLIC_URL = live_server.url
    return urlsplit(live_server.url).netloc  # the SDK's "domain": host:port


@pytest.fixture
def sdk_token(rekey, m2m) -> str:
    token = GetToken(rekey, m2m.client_id, client_secret=m2m.secret, protocol="http")
    return token.client_credentials(management_audience())["access_token"]


@pytest.fixture
def management(rekey, sdk_token):
    # The generated Management client takes a base URL: the one thing that changes. Its HTTP
    # client is closed afterwards, so no keep-alive connection holds a server thread (and its
    # database connection) past the test.
    with httpx.Client(timeout=30) as http:
        yield Auth0(base_url=f"http://{rekey}/api/v2", token=sdk_token, httpx_client=http)


def test_get_token_client_credentials(rekey, m2m):
    token = GetToken(rekey, m2m.client_id, client_secret=m2m.secret, protocol="http")

    response = token.client_credentials(management_audience())

    assert response["token_type"] == "Bearer"
    assert response["expires_in"] == 86400
    assert "update:users" in response["scope"].split()


def test_database_change_password_sends_the_reset_email(rekey, connection, user):
    spa = ApplicationFactory(connections=[connection])
    database = Database(rekey, spa.client_id, protocol="http")

    answer = database.change_password(email=user.email, connection=connection.name)

    assert answer == "We've just sent you an email to reset your password."
    run_worker()  # the request's work is done by the email worker, so timing tells nothing
    assert EmailDelivery.objects.filter(user=user, template_name="reset_email").count() == 1


def test_users_update_with_a_password_sets_it(management, user):
    updated = management.users.update(
        user.user_id, password=NEW_PASSWORD, connection=user.connection.name
    )

    assert updated.user_id == user.user_id
    assert check_password(NEW_PASSWORD, User.objects.get(pk=user.pk).password)


def test_users_update_with_a_weak_password_raises_the_sdks_bad_request(management, user):
    from auth0.management.errors import BadRequestError

    with pytest.raises(BadRequestError) as caught:
        management.users.update(user.user_id, password="abc", connection=user.connection.name)

    assert caught.value.body["message"] == "PasswordStrengthError: Password is too weak"
    assert [rule["code"] for rule in caught.value.body["rules"]] == [
        "password_too_short",
        "password_character_classes",
    ]


def test_users_get(management, user):
    fetched = management.users.get(user.user_id)

    assert fetched.user_id == user.user_id
    assert fetched.email == user.email
    assert fetched.identities[0].connection == user.connection.name
    assert fetched.identities[0].is_social is False


def test_users_list_pages_through_a_search(management, connection):
    emails = sorted(UserFactory(connection=connection).email for _ in range(3))

    pager = management.users.list(q="email:user*", per_page=2, sort="email:1")

    assert [u.email for u in pager] == emails


def test_tickets_change_password(management, user):
    response = management.tickets.change_password(user_id=user.user_id, ttl_sec=3600)

    assert response.ticket.startswith(f"{management_audience().removesuffix('/api/v2/')}/u/")
    token = response.ticket.split("ticket=", 1)[1]
    assert ticket_check(token=token).user == user

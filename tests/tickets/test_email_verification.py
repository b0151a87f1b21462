"""Email verification: POST /api/v2/tickets/email-verification and /api/v2/jobs/verification-email,
verify_email on user creation, and the link's hosted page (/u/email-verification)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from accounts.jobs.models import Job
from accounts.models import LogEvent, LogType, User
from emails.models import EmailDelivery, InboxMessage
from tests.factories import UserFactory
from tests.management_api import error
from tickets.models import EmailVerificationTicket, PasswordChangeTicket
from tickets.services import token_hash

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^\s\"<]+/u/email-verification\?ticket=[A-Za-z0-9_-]{43}")
VERIFIED = "Your email was verified. You can continue using the application."


@pytest.fixture
def unverified(connection):
    return UserFactory(connection=connection, email="new@example.com", email_verified=False)


def ticket_of(response) -> str:
    return parse_qs(urlsplit(response.json()["ticket"]).query)["ticket"][0]


def open_link(client, token: str, **extra):
    return client.get("/u/email-verification", {"ticket": token}, **extra)


# --- POST /api/v2/tickets/email-verification -------------------------------------------------


def test_ticket_answers_201_with_the_link(api, unverified, settings):
    response = api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id})

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    token = ticket_of(response)
    assert response.json() == {
        "ticket": f"{settings.PUBLIC_URL}/u/email-verification?ticket={token}"
    }
    stored = EmailVerificationTicket.objects.get()
    assert stored.token_hash == token_hash(token)  # only the hash is kept
    assert (stored.expires_at - stored.created_at) == timedelta(seconds=432000)
    assert not EmailDelivery.objects.exists()  # a ticket sends nothing
    assert not PasswordChangeTicket.objects.exists()


def test_ticket_creation_is_logged_sapi(api, unverified, m2m):
    api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id, "ttl_sec": 60})

    event = LogEvent.objects.get()
    assert (event.type, event.description) == ("sapi", "Create an email verification ticket")
    assert event.client_id == m2m.client_id
    assert event.user_id_text == unverified.user_id


def test_opening_the_link_verifies_the_email_once(api, client, unverified):
    token = ticket_of(
        api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id})
    )

    response = open_link(client, token)

    assert response.status_code == 200
    assert VERIFIED in response.content.decode()
    assert "no-cache" in response.headers["Cache-Control"]
    unverified.refresh_from_db()
    assert unverified.email_verified is True
    assert LogEvent.objects.filter(type="sv", user=unverified).count() == 1
    again = open_link(client, token)
    assert again.status_code == 400
    assert "This URL can be used only once" in again.content.decode()
    assert LogEvent.objects.filter(type="fv", user=unverified).count() == 1


def test_the_link_redirects_to_the_result_url_with_the_email_when_asked(api, client, unverified):
    body = {
        "user_id": unverified.user_id,
        "result_url": "https://app.example.com/welcome?from=mail",
        "includeEmailInRedirect": True,
    }
    token = ticket_of(api.post("/api/v2/tickets/email-verification", body))

    response = open_link(client, token)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "app.example.com"
    assert parse_qs(location.query) == {
        "from": ["mail"],
        "success": ["true"],
        "message": [VERIFIED],
        "email": ["new@example.com"],
    }
    again = urlsplit(open_link(client, token).headers["Location"])
    assert parse_qs(again.query)["success"] == ["false"]
    assert parse_qs(again.query)["message"] == ["This URL can be used only once"]


def test_an_expired_link_verifies_nothing(api, client, unverified):
    token = ticket_of(
        api.post(
            "/api/v2/tickets/email-verification", {"user_id": unverified.user_id, "ttl_sec": 60}
        )
    )

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = open_link(client, token)

    assert response.status_code == 400
    assert "Access expired." in response.content.decode()
    unverified.refresh_from_db()
    assert unverified.email_verified is False


def test_only_the_newest_link_works(api, client, unverified):
    body = {"user_id": unverified.user_id}
    older = ticket_of(api.post("/api/v2/tickets/email-verification", body))
    newer = ticket_of(api.post("/api/v2/tickets/email-verification", body))

    assert "replaced by a newer one" in open_link(client, older).content.decode()
    assert open_link(client, newer).status_code == 200


def test_the_page_speaks_japanese(api, client, unverified):
    token = ticket_of(
        api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id})
    )

    response = open_link(client, token, HTTP_ACCEPT_LANGUAGE="ja")

    assert "メールアドレスが確認されました" in response.content.decode()


def test_a_verification_link_is_no_reset_link(api, client, unverified):
    token = ticket_of(
        api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id})
    )

    response = client.get("/u/reset-password", {"ticket": token})

    assert response.status_code != 302  # no way on to /u/reset-password/set
    assert not PasswordChangeTicket.objects.exists()


def test_a_new_email_kills_the_link(api, client, unverified):
    token = ticket_of(
        api.post("/api/v2/tickets/email-verification", {"user_id": unverified.user_id})
    )

    api.patch(f"/api/v2/users/{unverified.user_id}", {"email": "other@example.com"})

    assert open_link(client, token).status_code == 400
    unverified.refresh_from_db()
    assert unverified.email_verified is False


def test_ticket_for_an_unknown_user_answers_404(api, db):
    response = api.post("/api/v2/tickets/email-verification", {"user_id": "auth0|nobody"})

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_ticket_refuses_result_url_with_client_id(api, unverified, m2m):
    body = {
        "user_id": unverified.user_id,
        "result_url": "https://app.example.com/",
        "client_id": m2m.client_id,
    }

    response = api.post("/api/v2/tickets/email-verification", body)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert "result_url cannot be used together with client_id" in response.json()["message"]


def test_ticket_needs_create_user_tickets(api_with, unverified):
    response = api_with("update:users").post(
        "/api/v2/tickets/email-verification", {"user_id": unverified.user_id}
    )

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: create:user_tickets", "insufficient_scope"
    )


# --- POST /api/v2/jobs/verification-email ----------------------------------------------------


def test_job_sends_the_verify_email_email_without_storing_the_link(api, client, unverified, worker):
    response = api.post("/api/v2/jobs/verification-email", {"user_id": unverified.user_id})

    assert response.status_code == 201
    job = Job.objects.get()
    body = response.json()
    assert body == {
        "status": "completed",
        "type": "verification_email",
        "created_at": body["created_at"],
        "id": job.id,
        "connection_id": unverified.connection_id,
    }
    delivery = EmailDelivery.objects.get()
    assert (delivery.template_name, delivery.to) == ("verify_email", "new@example.com")
    assert "/u/email-verification?ticket=REDACTED" in delivery.html_body
    assert not LINK.search(delivery.html_body + delivery.text_body)
    assert LogEvent.objects.filter(type="svr", user=unverified).count() == 1

    worker()

    sent = InboxMessage.objects.get()
    link = LINK.search(sent.text_body)
    assert link is not None
    assert client.get(urlsplit(link.group()).path + "?" + urlsplit(link.group()).query)
    unverified.refresh_from_db()
    assert unverified.email_verified is True
    assert api.get(f"/api/v2/jobs/{job.id}").json()["status"] == "completed"


def test_job_sends_japanese_to_a_japanese_user(api, connection):
    user = UserFactory(connection=connection, email="ja@example.com", locale="ja")

    api.post("/api/v2/jobs/verification-email", {"user_id": user.user_id})

    delivery = EmailDelivery.objects.get()
    assert delivery.subject == "メールアドレスの確認"
    assert delivery.language == "ja"


def test_job_needs_update_users(api_with, unverified):
    response = api_with("create:users").post(
        "/api/v2/jobs/verification-email", {"user_id": unverified.user_id}
    )

    assert response.status_code == 403
    assert response.json()["message"] == "Insufficient scope, expected any of: update:users"


def test_job_for_an_unknown_user_answers_404(api, db):
    response = api.post("/api/v2/jobs/verification-email", {"user_id": "auth0|nobody"})

    assert response.status_code == 404
    assert response.json()["errorCode"] == "inexistent_user"
    assert not Job.objects.exists()


# --- POST /api/v2/users with verify_email ----------------------------------------------------


def test_create_with_verify_email_sends_the_email(api, connection):
    body = {
        "connection": connection.name,
        "email": "made@example.com",
        "password": "Granite-Orbit-73!",
        "verify_email": True,
    }

    assert api.post("/api/v2/users", body).status_code == 201

    delivery = EmailDelivery.objects.get()
    assert delivery.template_name == "verify_email"
    assert delivery.user == User.objects.get(email="made@example.com")


def test_create_with_verify_email_logs_the_callers_address_and_agent(api, connection):
    body = {
        "connection": connection.name,
        "email": "made@example.com",
        "password": "Granite-Orbit-73!",
        "verify_email": True,
    }

    response = api.post(
        "/api/v2/users", body, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="acme-migrator/2.1"
    )

    assert response.status_code == 201
    sent = LogEvent.objects.get(type=LogType.SUCCESS_VERIFICATION_EMAIL_REQUEST)
    assert (sent.ip, sent.user_agent) == ("203.0.113.7", "acme-migrator/2.1")


def test_patch_with_a_new_email_and_verify_email_sends_it_to_the_new_address(api, connection):
    user = UserFactory(connection=connection, email="old@example.com", email_verified=True)

    response = api.patch(
        f"/api/v2/users/{user.user_id}", {"email": "new@example.com", "verify_email": True}
    )

    assert response.status_code == 200
    assert (response.json()["email"], response.json()["email_verified"]) == (
        "new@example.com",
        False,
    )
    delivery = EmailDelivery.objects.get()
    assert (delivery.template_name, delivery.to) == ("verify_email", "new@example.com")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "new@example.com", "verify_email": False},
        {"email": "new@example.com"},
        {"name": "Ada", "verify_email": True},  # no new email: nothing to verify
    ],
)
def test_patch_sends_no_verification_otherwise(api, connection, body):
    user = UserFactory(connection=connection, email="old@example.com")

    assert api.patch(f"/api/v2/users/{user.user_id}", body).status_code == 200

    assert not EmailDelivery.objects.exists()


@pytest.mark.parametrize("flag", [{"verify_email": False}, {}])
def test_create_without_verify_email_sends_nothing(api, connection, flag):
    body = {
        "connection": connection.name,
        "email": "made@example.com",
        "password": "Granite-Orbit-73!",
        **flag,
    }

    assert api.post("/api/v2/users", body).status_code == 201

    assert not EmailDelivery.objects.exists()

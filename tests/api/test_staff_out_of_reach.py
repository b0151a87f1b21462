"""Staff accounts are out of reach of every tenant door (issue 8, "High").

Each attack was seen to hand over the dashboard before the staff realm: a Management API token
changed the administrator's password, made a reset link for them, or moved their email to the
attacker's address so the public forgot-password page mailed the link there. Every door now
answers a staff member exactly as it answers nobody, and the administrator still signs in with
the original password afterwards.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.audit import Audit, Door
from accounts.models import STAFF_CONNECTION_NAME, LogEvent
from emails.models import EmailDelivery
from tests.emails.worker import run_worker
from tests.factories import DEFAULT_PASSWORD, StaffFactory
from tests.management_api import error

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "auth0|000000000000000000000000"


@pytest.fixture
def admin(db):
    return StaffFactory(email="admin@example.com", staff_role="administrator")


def staff_login_works(email: str, password: str = DEFAULT_PASSWORD) -> bool:
    response = Client().post("/dashboard/login", {"email": email, "password": password})
    return response.status_code == 302 and response["Location"] == "/dashboard/"


def assert_same_as_unknown(response, unknown_response) -> None:
    assert response.status_code == unknown_response.status_code
    assert response.json() == unknown_response.json()


def test_attack_patch_the_administrators_password_with_update_users(api_with, admin):
    api = api_with("update:users")
    body = {"password": "Attacker-Owns-It-1", "connection": "Username-Password-Authentication"}

    response = api.patch(f"/api/v2/users/{admin.user_id}", body)
    unknown = api.patch(f"/api/v2/users/{UNKNOWN_ID}", body)

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")
    assert_same_as_unknown(response, unknown)
    assert not staff_login_works(admin.email, "Attacker-Owns-It-1")
    assert staff_login_works(admin.email)


def test_attack_reset_ticket_for_the_administrator_with_create_user_tickets(
    api_with, admin, connection
):
    api = api_with("create:user_tickets")

    by_id = api.post("/api/v2/tickets/password-change", {"user_id": admin.user_id})
    by_email = api.post(
        "/api/v2/tickets/password-change",
        {"connection_id": connection.id, "email": admin.email},
    )
    in_staff_realm = api.post(
        "/api/v2/tickets/password-change",
        {"connection_id": admin.connection_id, "email": admin.email},
    )

    assert_same_as_unknown(
        by_id, api.post("/api/v2/tickets/password-change", {"user_id": UNKNOWN_ID})
    )
    assert_same_as_unknown(
        by_email,
        api.post(
            "/api/v2/tickets/password-change",
            {"connection_id": connection.id, "email": "nobody@example.com"},
        ),
    )
    assert_same_as_unknown(
        in_staff_realm,
        api.post(
            "/api/v2/tickets/password-change",
            {"connection_id": "con_0000000000000000", "email": admin.email},
        ),
    )
    assert by_id.status_code == by_email.status_code == in_staff_realm.status_code == 404
    assert staff_login_works(admin.email)


def test_attack_move_the_administrators_email_then_use_the_forgot_page(api_with, admin, client):
    api = api_with("update:users")

    response = api.patch(f"/api/v2/users/{admin.user_id}", {"email": "attacker@evil.example"})
    assert response.status_code == 404
    # The forgot-password page, with the real address and with the attacker's, in the
    # tenant's connection and naming the staff realm: no email goes anywhere.
    for email in ("admin@example.com", "attacker@evil.example"):
        for connection_name in ("Username-Password-Authentication", STAFF_CONNECTION_NAME):
            client.post(
                "/u/reset-password/request", {"email": email, "connection": connection_name}
            )
    run_worker()

    admin.refresh_from_db()
    assert admin.email == "admin@example.com"
    assert EmailDelivery.objects.count() == 0
    assert staff_login_works(admin.email)


def test_dbconnections_change_password_answers_a_staff_member_as_nobody(client, admin, m2m):
    def send(email: str, connection: str):
        return client.post(
            "/dbconnections/change_password",
            {"email": email, "connection": connection},
            content_type="application/json",
        )

    known = send(admin.email, "Username-Password-Authentication")
    nobody = send("nobody@example.com", "Username-Password-Authentication")
    realm = send(admin.email, STAFF_CONNECTION_NAME)
    unknown_connection = send(admin.email, "No-Such-Connection")
    run_worker()

    assert (known.status_code, known.content) == (nobody.status_code, nobody.content)
    assert (realm.status_code, realm.json()) == (
        unknown_connection.status_code,
        unknown_connection.json(),
    )
    assert EmailDelivery.objects.count() == 0


def test_reads_and_session_ends_do_not_see_staff(api, admin):
    assert api.get("/api/v2/users-by-email", {"email": admin.email}).json() == []
    assert api.get("/api/v2/users", {"q": f'email:"{admin.email}"'}).json() == []
    assert admin.user_id not in [u["user_id"] for u in api.get("/api/v2/users").json()]
    assert api.get(f"/api/v2/users/{admin.user_id}").status_code == 404
    assert api.delete(f"/api/v2/users/{admin.user_id}/sessions").status_code == 404
    assert admin.connection_id not in [c["id"] for c in api.get("/api/v2/connections").json()]
    assert api.get(f"/api/v2/connections/{admin.connection_id}").status_code == 404


def test_the_logs_api_shows_nothing_about_staff(api, admin):
    staff_login_works(admin.email)
    staff_login_works(admin.email, "wrong-password")
    assert LogEvent.objects.filter(connection=STAFF_CONNECTION_NAME).count() == 2

    logs = api.get("/api/v2/logs").json()

    assert [e for e in logs if e.get("connection") == STAFF_CONNECTION_NAME] == []
    staff_event = LogEvent.objects.filter(connection=STAFF_CONNECTION_NAME).first()
    assert api.get(f"/api/v2/logs/{staff_event.log_id}").status_code == 404


def test_the_tenant_login_page_never_signs_staff_in(client, admin):
    for connection_name in ("Username-Password-Authentication", STAFF_CONNECTION_NAME):
        response = client.post(
            "/u/login",
            {"email": admin.email, "password": DEFAULT_PASSWORD, "connection": connection_name},
        )
        assert response.status_code == 400
        assert "Wrong email or password." in response.content.decode()
    assert client.get("/dashboard/").status_code == 302


def test_a_ticket_made_for_staff_by_an_operator_never_works(client, admin):
    from tickets.services import ticket_issue

    _, token = ticket_issue(user=admin, audit=Audit(door=Door.API))

    response = client.get("/u/reset-password", {"ticket": token})

    assert response.status_code == 400


def test_attack_create_a_user_with_the_administrators_id(api_with, admin, connection):
    body = {
        "user_id": admin.user_id,
        "connection": connection.name,
        "email": "attacker@example.com",
        "password": "Attacker-Owns-It-1",
    }

    response = api_with("create:users").post("/api/v2/users", body)

    # The id is taken (ids are unique across the table): the attacker gets nobody's account.
    assert response.status_code == 409
    assert response.json() == error(409, "The user already exists.", "auth0_idp_error")
    admin.refresh_from_db()
    assert admin.email == "admin@example.com"
    assert staff_login_works(admin.email)

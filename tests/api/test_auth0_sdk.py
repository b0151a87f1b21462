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


# --- Issue 10: the calls a migration makes (auth0-python 6.x, only the base URL changed) -----


def test_users_create_keeps_the_given_id(management, connection):
    created = management.users.create(
        connection=connection.name,
        email="migrated@example.com",
        password=NEW_PASSWORD,
        user_id="5f0c1a2b3c4d",
    )

    assert created.user_id == "auth0|5f0c1a2b3c4d"
    assert User.objects.get(email="migrated@example.com").user_id == "auth0|5f0c1a2b3c4d"


def test_users_delete(management, user):
    management.users.delete(user.user_id)

    assert not User.objects.filter(pk=user.pk).exists()


def test_users_logs_list(management, user):
    from accounts.events import log_event
    from accounts.models import LogType

    log_event(type=LogType.SUCCESS_LOGIN, description="Successful login", user=user)

    logs = list(management.users.logs.list(user.user_id))

    assert [log.type for log in logs] == ["s"]


def test_logs_list_with_search(management, user):
    from accounts.events import log_event
    from accounts.models import LogType

    log_event(type=LogType.SUCCESS_LOGIN, description="Successful login", user=user)
    log_event(type=LogType.SUCCESS_CHANGE_PASSWORD, description="Changed", user=user)

    logs = list(management.logs.list(search="type:scp"))

    assert [log.type for log in logs] == ["scp"]


def test_users_sessions_list_get_and_delete(management, user):
    from tests.api.test_sessions import signed_in

    session = signed_in(user)

    listed = list(management.users.sessions.list(user.user_id))
    fetched = management.sessions.get(session.sid)
    management.sessions.delete(session.sid)

    assert [s.id for s in listed] == [session.sid]
    assert fetched.user_id == user.user_id
    assert not User.objects.get(pk=user.pk).sessions.exists()


def test_connections_list_pages_by_checkpoint(management, connection):
    connections = list(management.connections.list(take=1))

    assert [c.name for c in connections] == [connection.name]


def test_connections_update_with_the_whole_options_object(management, connection):
    options = management.connections.get(connection.id).options
    whole = {**dict(options), "brute_force_protection": True, "mfa": {"active": True}}

    updated = management.connections.update(connection.id, options=whole)

    assert updated.options["brute_force_protection"] is True
    assert updated.options["mfa"] == {"active": True}


def test_clients_list_and_get_without_a_secret(management, m2m):
    listed = list(management.clients.list())
    fetched = management.clients.get(m2m.client_id)

    assert [c.client_id for c in listed] == [m2m.client_id]
    assert fetched.name == "Backend"
    assert getattr(fetched, "client_secret", None) is None


def test_client_grants_list(management, m2m):
    grants = list(management.client_grants.list())

    assert [g.client_id for g in grants] == [m2m.client_id]


def test_email_templates_create_get_and_update(management):
    created = management.email_templates.create(
        template="welcome_email",
        body="<p>Hi {{ user.email }}</p>",
        from_="Acme <hello@acme.example>",
        subject="Welcome",
        syntax="liquid",
        enabled=True,
    )
    fetched = management.email_templates.get("welcome_email")
    updated = management.email_templates.update("welcome_email", subject="Welcome aboard")

    assert created.template == fetched.template == "welcome_email"
    assert updated.subject == "Welcome aboard"


def test_tenant_settings_get_and_update(management):
    updated = management.tenants.settings.update(
        friendly_name="Acme", support_email="help@acme.example"
    )
    fetched = management.tenants.settings.get()

    assert updated.friendly_name == fetched.friendly_name == "Acme"
    assert fetched.support_email == "help@acme.example"


def test_jobs_users_imports_create_then_get_and_errors(management, connection, user):
    import json

    import bcrypt

    value = bcrypt.hashpw(b"Sdk-import-7", bcrypt.gensalt(4)).decode()
    entries = [
        {
            "email": "imported@example.com",
            "user_id": "sdk0001",
            "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": value}},
        },
        {"email": user.email},  # exists already, and upsert is false
    ]
    users_file = ("users.json", json.dumps(entries).encode(), "application/json")

    job = management.jobs.users_imports.create(
        users=users_file, connection_id=connection.id, external_id="sdk-1"
    )
    assert (job.status, job.type, job.external_id) == ("pending", "users_import", "sdk-1")
    run_worker()

    done = management.jobs.get(job.id)
    assert done.status == "completed"
    assert done.summary is not None
    assert done.summary.dict() == {"failed": 1, "updated": 0, "inserted": 1, "total": 2}
    errors = management.jobs.errors.get(job.id)
    assert [(e.user, [x.code for x in e.errors]) for e in errors] == [
        ({"email": user.email}, ["DUPLICATED_USER"])
    ]
    imported = User.objects.get(email="imported@example.com")
    assert imported.user_id == "auth0|sdk0001"
    assert check_password("Sdk-import-7", imported.password)


def test_jobs_users_exports_create_then_download_the_location(management, sdk_token, connection):
    import gzip
    import json

    user = UserFactory(connection=connection, email="exported@example.com")

    job = management.jobs.users_exports.create(
        connection_id=connection.id, format="json", fields=[{"name": "email"}, {"name": "user_id"}]
    )
    assert (job.status, job.type) == ("pending", "users_export")
    run_worker()

    done = management.jobs.get(job.id)
    assert done.status == "completed"
    download = httpx.get(done.location, headers={"Authorization": f"Bearer {sdk_token}"})
    assert download.status_code == 200
    assert json.loads(gzip.decompress(download.content)) == {
        "email": "exported@example.com",
        "user_id": user.user_id,
    }


def test_tickets_verify_email_gives_a_link_that_verifies(management, rekey, connection):
    user = UserFactory(connection=connection, email="verify-me@example.com", email_verified=False)

    ticket = management.tickets.verify_email(user_id=user.user_id, ttl_sec=3600)

    assert ticket.ticket.startswith(f"http://{rekey}/u/email-verification?ticket=")
    opened = httpx.get(ticket.ticket)
    assert opened.status_code == 200
    user.refresh_from_db()
    assert user.email_verified is True


def test_jobs_verification_email_create_sends_the_email(management, connection):
    user = UserFactory(connection=connection, email="verify-job@example.com", email_verified=False)

    job = management.jobs.verification_email.create(user_id=user.user_id)

    assert (job.status, job.type) == ("completed", "verification_email")
    assert management.jobs.get(job.id).type == "verification_email"
    delivery = EmailDelivery.objects.get(user=user)
    assert delivery.template_name == "verify_email"


def test_emails_provider_create_get_update(management):
    from emails.models import EmailProvider

    created = management.emails.provider.create(
        name="mailgun",
        credentials={"api_key": "key-sdk-secret", "domain": "mg.acme.example", "region": "eu"},
        default_from_address="Acme <no-reply@acme.example>",
    )
    assert (created.name, created.default_from_address) == (
        "mailgun",
        "Acme <no-reply@acme.example>",
    )

    got = management.emails.provider.get()
    assert (got.name, got.enabled, got.credentials) == ("mailgun", True, None)

    updated = management.emails.provider.update(enabled=False)
    assert updated.enabled is False
    assert "key-sdk-secret" not in str(EmailProvider.objects.values().get())

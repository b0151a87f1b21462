"""``POST /dbconnections/change_password``: the Authentication API contract."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlencode

import pytest
from django.core import mail

from accounts.models import LogEvent, LogType
from emails.models import EmailDelivery, InboxMessage
from tests.factories import (
    ApplicationFactory,
    ConnectionFactory,
    SocialConnectionFactory,
    UserFactory,
)
from tests.tickets.helpers import counting_work
from tickets.models import PasswordChangeTicket

URL = "/dbconnections/change_password"
CONNECTION = "Username-Password-Authentication"
OK_BODY = b"We've just sent you an email to reset your password."

pytestmark = pytest.mark.django_db


def post_json(client, data, **extra):
    return client.post(URL, data=json.dumps(data), content_type="application/json", **extra)


# They count this IP's requests, whatever the email: they change from one request to the next.
PER_REQUEST_HEADERS = {"x-ratelimit-remaining", "x-ratelimit-reset"}


def answer(response) -> tuple:
    return (
        response.status_code,
        response.content,
        tuple(
            sorted(
                (name, "*" if name.lower() in PER_REQUEST_HEADERS else value)
                for name, value in response.headers.items()
            )
        ),
        tuple(sorted(response.cookies.keys())),
    )


@pytest.fixture
def four_kinds_of_email(db, settings):
    settings.PASSWORD_HASHERS = [
        "tests.tickets.helpers.CountingArgon2Hasher",
        *settings.PASSWORD_HASHERS,
    ]
    ConnectionFactory()
    UserFactory(email="known@example.com")
    UserFactory(email="blocked@example.com", blocked=True)
    UserFactory(email="social@example.com", connection=SocialConnectionFactory())
    return {
        "known": "known@example.com",
        "unknown": "nobody@example.com",
        "blocked": "blocked@example.com",
        "social": "social@example.com",
    }


def test_every_kind_of_email_gets_the_same_answer_for_the_same_work(client, four_kinds_of_email):
    # The first request of a process reads the connection (then kept: accounts.config_cache).
    post_json(client, {"email": "warm@example.com", "connection": CONNECTION})
    seen = {}
    for kind, email in four_kinds_of_email.items():
        with counting_work() as work:
            response = post_json(client, {"email": email, "connection": CONNECTION})
        seen[kind] = (answer(response), work.queries, work.hashes, work.enqueues)

    first = seen["known"]
    assert first[0][0] == 200
    assert first[0][1] == OK_BODY
    assert dict(first[0][2])["Content-Type"] == "text/plain; charset=utf-8"
    assert first[0][3] == ()
    assert first[2] == 0  # no password hashing on any path
    assert first[3] == ["reset_request_check_task"]  # the lookup itself happens in the worker
    for kind, result in seen.items():
        assert result == first, kind


def test_the_request_only_writes_rows_and_the_worker_sends(client, four_kinds_of_email, worker):
    post_json(client, {"email": "known@example.com", "connection": CONNECTION})

    assert InboxMessage.objects.count() == 0
    assert EmailDelivery.objects.count() == 0
    worker()
    message = InboxMessage.objects.get()
    assert message.to == "known@example.com"
    assert "/u/reset-password?ticket=" in message.text_body
    assert PasswordChangeTicket.objects.count() == 1


def test_unknown_blocked_and_social_emails_get_no_email_and_no_ticket(
    client, four_kinds_of_email, worker
):
    for kind in ("unknown", "blocked", "social"):
        post_json(client, {"email": four_kinds_of_email[kind], "connection": CONNECTION})
    worker()

    assert InboxMessage.objects.count() == 0
    assert PasswordChangeTicket.objects.count() == 0


def test_requests_are_logged_scpr_or_fcpr_with_the_reason(client, four_kinds_of_email, worker):
    for kind in ("known", "unknown", "blocked"):
        post_json(client, {"email": four_kinds_of_email[kind], "connection": CONNECTION})
    assert not LogEvent.objects.exists()  # the request wrote only its task
    worker()

    logs = list(LogEvent.objects.order_by("id").values_list("type", "description", "user_name"))
    assert logs == [
        (LogType.SUCCESS_CHANGE_PASSWORD_REQUEST, "Change password request", "known@example.com"),
        (LogType.FAILED_CHANGE_PASSWORD_REQUEST, "User does not exist", "nobody@example.com"),
        (LogType.FAILED_CHANGE_PASSWORD_REQUEST, "User is blocked", "blocked@example.com"),
    ]


def test_a_form_encoded_body_is_accepted(client, user):
    response = client.post(
        URL,
        data=urlencode({"email": user.email, "connection": CONNECTION}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response.content == OK_BODY


def bad(response, description, error="invalid_request"):
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": error, "error_description": description}
    assert list(response.cookies.keys()) == []


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"connection": CONNECTION}, "Missing required parameter: email"),
        ({"email": "a@example.com"}, "Missing required parameter: connection"),
        ({"email": ["a@example.com"], "connection": CONNECTION}, "email must be a single string."),
        ({"email": {"a": 1}, "connection": CONNECTION}, "email must be a single string."),
        ({"email": "not-an-email", "connection": CONNECTION}, "email is not an email address."),
    ],
)
def test_malformed_json_is_refused_with_400(client, connection, body, description):
    bad(post_json(client, body), description)


def test_an_email_repeated_in_a_form_is_refused(client, connection):
    response = client.post(
        URL,
        data="email=a%40example.com&email=b%40example.com&connection=" + CONNECTION,
        content_type="application/x-www-form-urlencoded",
    )

    bad(response, "Duplicate parameters are not allowed.")


def test_duplicate_json_keys_are_refused(client, connection):
    body = f'{{"email": "a@example.com", "email": "b@example.com", "connection": "{CONNECTION}"}}'
    response = client.post(URL, data=body, content_type="application/json")

    bad(response, "Duplicate parameters are not allowed.")


def test_form_and_query_string_mixed_are_refused(client, connection):
    response = client.post(
        URL + "?email=a%40example.com",
        data=urlencode({"email": "b@example.com", "connection": CONNECTION}),
        content_type="application/x-www-form-urlencoded",
    )

    bad(response, "Parameters belong in the body, not the query string.")


def test_json_sent_as_a_form_is_refused(client, connection):
    body = json.dumps({"email": "a@example.com", "connection": CONNECTION})
    response = client.post(URL, data=body, content_type="application/x-www-form-urlencoded")

    bad(response, "A JSON body must be sent as application/json.")


def test_an_unknown_client_is_refused(client, connection):
    response = post_json(
        client, {"email": "a@example.com", "connection": CONNECTION, "client_id": "x" * 32}
    )

    bad(response, "Unknown client.", error="invalid_client")


def test_an_unknown_connection_is_refused(client, connection):
    response = post_json(client, {"email": "a@example.com", "connection": "nope"})

    bad(response, "Connection not found.", error="bad.connection")


def test_a_connection_not_enabled_for_the_client_is_refused(client, connection):
    other = ConnectionFactory(name="Other-DB")
    app = ApplicationFactory(connections=[other])

    response = post_json(
        client, {"email": "a@example.com", "connection": CONNECTION, "client_id": app.client_id}
    )

    bad(response, "Connection is not enabled for this client.", error="bad.connection")


def test_mail_goes_to_the_stored_address_not_the_one_typed(client, connection, worker):
    UserFactory(email="mike@example.org")

    # Full-width letters: NFKC makes them "mike", so it is the same account.
    post_json(client, {"email": "\uff4d\uff49\uff4b\uff45@EXAMPLE.org", "connection": CONNECTION})
    worker()

    assert InboxMessage.objects.get().to == "mike@example.org"


def test_a_lookalike_dotless_i_matches_nobody(client, connection, worker):
    # Django CVE-2019-19844: "m\u0131ke".upper() == "MIKE"; case folding keeps them apart.
    UserFactory(email="mike@example.org")

    response = post_json(client, {"email": "m\u0131ke@example.org", "connection": CONNECTION})
    worker()

    assert response.content == OK_BODY
    assert InboxMessage.objects.count() == 0
    assert LogEvent.objects.get().description == "User does not exist"


def test_host_and_forwarded_host_do_not_change_the_link(client, user, settings, worker):
    settings.ALLOWED_HOSTS = ["*"]
    settings.USE_X_FORWARDED_HOST = True
    settings.PUBLIC_URL = "https://login.example.com"

    post_json(
        client,
        {"email": user.email, "connection": CONNECTION},
        HTTP_HOST="evil.example",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    worker()

    body = InboxMessage.objects.get().text_body
    assert "evil.example" not in body
    assert "https://login.example.com/u/reset-password?ticket=" in body


def test_cors_allows_an_origin_of_the_application(client, user):
    app = ApplicationFactory(allowed_origins=["https://app.example.com"])

    response = post_json(
        client,
        {"email": user.email, "connection": CONNECTION, "client_id": app.client_id},
        HTTP_ORIGIN="https://app.example.com",
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_cors_refuses_an_origin_the_application_does_not_allow(client, user):
    ApplicationFactory(allowed_origins=["https://other.example.com"])
    app = ApplicationFactory(allowed_origins=["https://app.example.com"])

    response = post_json(
        client,
        {"email": user.email, "connection": CONNECTION, "client_id": app.client_id},
        HTTP_ORIGIN="https://other.example.com",
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight_reads_allowed_origins_per_request(client, connection):
    app = ApplicationFactory(allowed_origins=[])
    preflight = {
        "HTTP_ORIGIN": "https://new.example.com",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    }
    assert "Access-Control-Allow-Origin" not in client.options(URL, **preflight).headers

    app.allowed_origins = ["https://new.example.com"]
    app.save()
    response = client.options(URL, **preflight)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://new.example.com"


def test_over_the_ip_limit_the_answer_is_429_with_rate_limit_headers(client, connection, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password": "2/m/ip"}
    body = {"email": "a@example.com", "connection": CONNECTION}
    post_json(client, body)
    post_json(client, body)

    response = post_json(client, body)

    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {
        "error": "too_many_requests",
        "error_description": "Too many requests. Try again in 30 seconds.",
    }
    assert LogEvent.objects.filter(type=LogType.API_LIMIT).count() == 1


def test_a_success_carries_auth0s_rate_limit_headers(client, connection, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password": "5/m/ip"}
    body = {"email": "a@example.com", "connection": CONNECTION}
    post_json(client, body)

    response = post_json(client, body)

    assert response.status_code == 200
    assert response.content == OK_BODY
    assert response.headers["x-ratelimit-limit"] == "5"
    assert response.headers["x-ratelimit-remaining"] == "3"
    assert int(response.headers["x-ratelimit-reset"]) > 0
    assert "Retry-After" not in response.headers


def test_a_refused_request_carries_the_rate_limit_headers_too(client, connection):
    response = post_json(client, {"email": "a@example.com", "connection": "nope"})

    assert response.status_code == 400
    assert response.headers["x-ratelimit-limit"].isdigit()


def test_no_rate_limit_headers_when_limits_are_off(client, connection, settings):
    settings.RATELIMIT_ENABLE = False

    response = post_json(client, {"email": "a@example.com", "connection": CONNECTION})

    assert response.status_code == 200
    assert "x-ratelimit-limit" not in response.headers


def test_over_the_email_limit_the_answer_stays_200_and_no_extra_email_goes(
    client, user, settings, worker
):
    settings.REKEY_RATELIMITS = {
        **settings.REKEY_RATELIMITS,
        "change_password_email": "1/m/ip_key~2",
        "change_password_email_any": "",
    }
    body = {"email": user.email, "connection": CONNECTION}
    answers = {answer(post_json(client, body)) for _ in range(3)}
    worker()

    assert len(answers) == 1
    assert next(iter(answers))[1] == OK_BODY
    assert InboxMessage.objects.count() == 2
    fcpr = LogEvent.objects.get(type=LogType.FAILED_CHANGE_PASSWORD_REQUEST)
    assert fcpr.description == "Too many password reset requests for this email"


def test_ratelimit_enable_off_switches_the_limits_off(client, connection, settings):
    settings.RATELIMIT_ENABLE = False
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password": "1/m/ip"}
    body = {"email": "a@example.com", "connection": CONNECTION}

    statuses = {post_json(client, body).status_code for _ in range(3)}

    assert statuses == {200}


def test_a_failing_email_backend_leaves_the_answer_unchanged(
    client, user, settings, worker, request
):
    # A port held bound but not listening: the SMTP connection is refused.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    request.addfinalizer(held.close)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": held.getsockname()[1], "timeout": 5},
        }
    }

    response = post_json(client, {"email": user.email, "connection": CONNECTION})
    worker()

    assert response.status_code == 200
    assert response.content == OK_BODY
    delivery = EmailDelivery.objects.get()
    assert delivery.status == "queued"
    assert delivery.attempts == 1
    assert delivery.last_error == "ConnectionRefusedError"
    assert delivery.next_attempt_at is not None
    assert mail.outbox == []

"""Email templates: get and update, in Auth0's names."""

from __future__ import annotations

import json

import pytest

from accounts.audit import Audit, Door
from accounts.models import LogEvent
from emails.models import EmailTemplate
from emails.rendering import TEMPLATE_MAX_BYTES
from tests.emails.limits import HUGE_LOOP, NESTED_LOOPS, budget
from tests.management_api import error

pytestmark = pytest.mark.django_db
URL = "/api/v2/email-templates/reset_email"


def expected(template: EmailTemplate) -> dict:
    template.refresh_from_db()
    return {
        "template": template.name,
        "language": template.language,
        "body": template.body,
        "from": template.from_address,
        "subject": template.subject,
        "syntax": "liquid",
        "resultUrl": template.result_url or None,
        "urlLifetimeInSeconds": template.url_lifetime_in_seconds,
        "includeEmailInRedirect": template.include_email_in_redirect,
        "enabled": template.enabled,
    }


def test_get_returns_the_english_template_by_default(api):
    response = api.get(URL)

    assert response.status_code == 200
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    assert response.json() == expected(template)
    assert response.json()["urlLifetimeInSeconds"] == 432000


def test_get_takes_a_language(api):
    response = api.get(URL, {"language": "ja"})

    assert response.json() == expected(EmailTemplate.objects.get(name="reset_email", language="ja"))


def test_get_a_template_that_does_not_exist_is_404(api):
    response = api.get("/api/v2/email-templates/welcome_email")

    assert response.status_code == 404
    assert response.json() == error(
        404, "The template does not exist.", "inexistent_email_template"
    )


def test_patch_changes_the_properties_sent_and_logs_sapi(api, m2m):
    response = api.patch(
        URL,
        {
            "subject": "Reset your {{ application.name }} password",
            "from": "Acme <it@acme.example>",
            "resultUrl": "https://acme.example/done",
            "urlLifetimeInSeconds": 3600,
            "includeEmailInRedirect": True,
            "enabled": True,
        },
    )

    assert response.status_code == 200
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    assert response.json() == expected(template)
    assert template.subject == "Reset your {{ application.name }} password"
    assert template.from_address == "Acme <it@acme.example>"
    assert template.url_lifetime_in_seconds == 3600
    event = LogEvent.objects.get(type="sapi")
    assert event.client_id == m2m.client_id
    assert event.details["fields"] == [
        "enabled",
        "from_address",
        "include_email_in_redirect",
        "result_url",
        "subject",
        "url_lifetime_in_seconds",
    ]


def test_the_new_lifetime_applies_to_the_next_reset_link(api, user):
    from tickets.services import ticket_issue

    api.patch(URL, {"urlLifetimeInSeconds": 600})

    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    assert (ticket.expires_at - ticket.created_at).total_seconds() == 600


def test_patch_refuses_a_body_that_is_not_liquid(api):
    response = api.patch(URL, {"body": "{% if %}"})

    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["errorCode"] == "invalid_body"
    assert body["message"].startswith("Payload validation error: 'Invalid Liquid template: ")
    assert body["message"].endswith("' on property body.")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"syntax": "handlebars"}, "'\"handlebars\" is not a valid choice.' on property syntax"),
        ({"from": "not an address"}, "'Not a valid sender address' on property from"),
        (
            {"urlLifetimeInSeconds": 0},
            "'Ensure this value is greater than or equal to 1.' on property urlLifetimeInSeconds",
        ),
        ({"colour": "red"}, "'Additional properties not allowed: colour'"),
    ],
)
def test_patch_refuses_invalid_properties(api, payload, message):
    response = api.patch(URL, payload)

    assert response.status_code == 400
    assert response.json() == error(400, f"Payload validation error: {message}.", "invalid_body")


def test_patch_cannot_rename_a_template(api):
    response = api.patch(URL, {"template": "password_changed"})

    assert response.status_code == 400
    assert response.json() == error(400, "The template name cannot be changed", "invalid_body")


def test_templates_need_their_scopes(api_with):
    read = api_with("update:email_templates").get(URL)
    write = api_with("read:email_templates").patch(URL, {"enabled": False})

    assert read.json() == error(
        403, "Insufficient scope, expected any of: read:email_templates", "insufficient_scope"
    )
    assert write.json() == error(
        403, "Insufficient scope, expected any of: update:email_templates", "insufficient_scope"
    )


@pytest.mark.parametrize("source", [HUGE_LOOP, NESTED_LOOPS], ids=["loop", "nested"])
@pytest.mark.parametrize("prop", ["body", "subject"])
def test_patch_refuses_a_hostile_template_within_the_budget(api, source, prop):
    with budget():
        response = api.patch(URL, {prop: source})

    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Payload validation error: 'Invalid Liquid template: loop iteration")
    assert message.endswith(f"' on property {prop}.")


def test_patch_refuses_a_body_over_100_kb(api):
    response = api.patch(URL, {"body": "é" * (TEMPLATE_MAX_BYTES // 2 + 1)})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'The template is larger than 100 KB (100000 bytes).' "
        "on property body.",
        "invalid_body",
    )


# --- Auth0's template names, POST and PUT, the PATCH round trip, Liquid in from -------------

WHOLE = {
    "template": "welcome_email",
    "body": "<p>Welcome, {{ user.email }}</p>",
    "from": "{{ application.name }} <hello@acme.example>",
    "subject": "Welcome to {{ application.name }}",
    "syntax": "liquid",
    "enabled": True,
}


def test_a_get_sent_back_as_a_patch_goes_through(api):
    # Before: the language GET returns made the round trip fail with "Additional properties".
    before = api.get(URL).json()

    response = api.patch(URL, before)

    assert response.status_code == 200
    assert response.json() == before


def test_patch_cannot_move_a_template_to_another_language(api):
    response = api.patch(URL, {"language": "ja"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "The template language cannot be changed (it is the ?language= asked)",
        "invalid_body",
    )


def test_post_creates_a_template_and_answers_200_as_auth0(api, m2m):
    response = api.post("/api/v2/email-templates", WHOLE)

    assert response.status_code == 200
    template = EmailTemplate.objects.get(name="welcome_email", language="en")
    assert response.json() == expected(template)
    assert response.json() == {
        **WHOLE,
        "language": "en",
        "resultUrl": None,
        "urlLifetimeInSeconds": 432000,
        "includeEmailInRedirect": False,
    }
    event = LogEvent.objects.get(type="sapi")
    assert event.description == "Create email template"
    assert event.client_id == m2m.client_id


@pytest.mark.parametrize(
    "name",
    [
        "verify_email_by_code",
        "welcome_email",
        # blocked_account, reset_email_by_code and verify_email exist already: Rekey sends them.
        "stolen_credentials",
        "enrollment_email",
        "mfa_oob_code",
        "user_invitation",
        "change_password",
        "password_reset",
    ],
)
def test_every_auth0_template_name_can_be_created_and_read(api, name):
    created = api.post("/api/v2/email-templates", {**WHOLE, "template": name})
    got = api.get(f"/api/v2/email-templates/{name}")

    assert created.status_code == 200
    assert got.json() == created.json()


def test_post_in_japanese(api):
    response = api.post("/api/v2/email-templates?language=ja", WHOLE)

    assert response.json()["language"] == "ja"
    assert EmailTemplate.objects.filter(name="welcome_email", language="ja").exists()


def test_post_of_a_template_that_exists_is_409(api):
    response = api.post("/api/v2/email-templates", {**WHOLE, "template": "reset_email"})

    assert response.status_code == 409
    assert response.json() == error(
        409, "Template (reset_email) already exists.", "email_template_conflict"
    )


def test_post_of_a_name_auth0_does_not_have_is_400(api):
    response = api.post("/api/v2/email-templates", {**WHOLE, "template": "newsletter"})

    assert response.status_code == 400
    assert response.json()["message"].endswith("on property template.")


def test_post_without_a_subject_is_400(api):
    body = {k: v for k, v in WHOLE.items() if k != "subject"}

    response = api.post("/api/v2/email-templates", body)

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Payload validation error: 'This field is required.' on property subject."
    )


def test_post_needs_create_email_templates(api_with):
    response = api_with("update:email_templates").post("/api/v2/email-templates", WHOLE)

    assert response.status_code == 403
    assert not EmailTemplate.objects.filter(name="welcome_email").exists()


def test_put_replaces_the_whole_template(api):
    api.patch(URL, {"resultUrl": "https://acme.example/done", "urlLifetimeInSeconds": 600})

    response = api.generic(
        "PUT",
        URL,
        json.dumps({**WHOLE, "template": "reset_email"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 200
    template = EmailTemplate.objects.get(name="reset_email", language="en")
    assert response.json() == expected(template)
    assert template.result_url == ""
    assert template.url_lifetime_in_seconds == 432000
    assert template.subject == WHOLE["subject"]


def test_put_of_a_template_that_does_not_exist_is_404(api):
    response = api.generic(
        "PUT",
        "/api/v2/email-templates/welcome_email",
        json.dumps(WHOLE),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 404


def test_liquid_in_from_is_checked_when_saved(api):
    response = api.patch(URL, {"from": "{{ application.name <x@acme.example>"})

    assert response.status_code == 400
    assert response.json()["message"].endswith("' on property from.")


def test_liquid_renders_in_from_and_subject(api, user, m2m):
    from emails.models import EmailDelivery
    from emails.services import template_email_enqueue

    api.post("/api/v2/email-templates", WHOLE)

    template_email_enqueue(name="welcome_email", user=user, application=m2m.application)

    delivery = EmailDelivery.objects.get()
    assert delivery.from_address == "Backend <hello@acme.example>"
    assert delivery.subject == "Welcome to Backend"

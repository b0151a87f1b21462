"""Email templates: get and update, in Auth0's names."""

from __future__ import annotations

import pytest

from accounts.models import LogEvent
from emails.models import EmailTemplate
from tests.api.conftest import error

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
    from tickets.models import TicketDoor
    from tickets.services import ticket_issue

    api.patch(URL, {"urlLifetimeInSeconds": 600})

    ticket, _ = ticket_issue(user=user, door=TicketDoor.SELF_SERVICE)
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

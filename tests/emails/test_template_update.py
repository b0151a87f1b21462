"""email_template_update: the one writer of templates (dashboard editor, Management API)."""

from __future__ import annotations

import pytest

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from emails.models import EmailTemplate
from emails.services import TemplateInvalid, email_template_update

pytestmark = pytest.mark.django_db


def reset_template() -> EmailTemplate:
    return EmailTemplate.objects.get(name="reset_email", language="en")


def test_update_saves_the_fields_and_logs_sapi() -> None:
    email_template_update(
        template=reset_template(),
        changes={"subject": "Reset, {{ user.email }}"},
        audit=Audit(door=Door.COMMAND),
    )
    assert reset_template().subject == "Reset, {{ user.email }}"
    event = LogEvent.objects.get(type=LogType.SUCCESS_API_OPERATION)
    assert event.details == {"template": "reset_email", "language": "en", "fields": ["subject"]}


def test_invalid_liquid_is_refused_and_changes_nothing() -> None:
    before = reset_template().body
    with pytest.raises(TemplateInvalid) as info:
        email_template_update(
            template=reset_template(), changes={"body": "{% if %}"}, audit=Audit(door=Door.COMMAND)
        )
    assert info.value.prop == "body"
    assert reset_template().body == before
    assert not LogEvent.objects.exists()

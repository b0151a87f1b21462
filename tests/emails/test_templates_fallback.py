"""A missing template row falls back to the built-in template: the email is never dropped."""

from __future__ import annotations

import pytest

from emails.models import EmailTemplate
from emails.selectors import email_template_get

pytestmark = pytest.mark.django_db


def test_missing_template_row_falls_back_to_the_builtin_one() -> None:
    EmailTemplate.objects.all().delete()
    template = email_template_get(name="reset_email", language="ja")
    assert template is not None and template.pk is None
    assert template.language == "ja"
    assert template.subject == "パスワードの再設定"
    assert template.enabled


def test_an_edited_row_wins_over_the_builtin_one() -> None:
    EmailTemplate.objects.filter(name="reset_email", language="en").update(subject="Custom")
    assert email_template_get(name="reset_email", language="en").subject == "Custom"


def test_an_unknown_template_name_is_none() -> None:
    assert email_template_get(name="no_such_template") is None

"""Serializers of the email templates endpoints, in Auth0's names."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from accounts.api.serializers.base import StrictInputSerializer
from emails.models import TEMPLATE_NAMES, EmailTemplate, TemplateLanguage, TemplateSyntax


class ManagementEmailTemplateSerializer(serializers.Serializer):
    """Auth0's email template (one language of ours; ``language`` is our addition)."""

    template = serializers.CharField()
    language = serializers.CharField()
    body = serializers.CharField()
    # "from" is a Python keyword: declared under another name, renamed in to_representation.
    from_ = serializers.CharField()
    subject = serializers.CharField()
    syntax = serializers.CharField()
    resultUrl = serializers.CharField(allow_null=True)  # Auth0's wire names from here on
    urlLifetimeInSeconds = serializers.IntegerField()
    includeEmailInRedirect = serializers.BooleanField()
    enabled = serializers.BooleanField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("from_")

    def to_representation(self, template: EmailTemplate) -> dict[str, Any]:
        return {
            "template": template.name,
            "language": template.language,
            "body": template.body,
            "from": template.from_address,
            "subject": template.subject,
            "syntax": template.syntax,
            "resultUrl": template.result_url or None,
            "urlLifetimeInSeconds": template.url_lifetime_in_seconds,
            "includeEmailInRedirect": template.include_email_in_redirect,
            "enabled": template.enabled,
        }


class EmailTemplateQuerySerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=TemplateLanguage.values, required=False, default=TemplateLanguage.EN
    )


def _from_address(value: str) -> None:
    if value and "{" not in value:  # Liquid is checked when it is saved, and renders per email
        _, address = parseaddr(value)
        try:
            validate_email(address)
        except DjangoValidationError as exc:
            raise serializers.ValidationError("Not a valid sender address") from exc


class EmailTemplateUpdateInputSerializer(StrictInputSerializer):
    template = serializers.ChoiceField(choices=TEMPLATE_NAMES, required=False)
    # What GET returns, so that a GET sent back as a PATCH goes through; it names, not changes.
    language = serializers.ChoiceField(choices=TemplateLanguage.values, required=False)
    body = serializers.CharField(required=False, max_length=100_000, trim_whitespace=False)
    subject = serializers.CharField(required=False, max_length=255)
    syntax = serializers.ChoiceField(choices=TemplateSyntax.values, required=False)
    resultUrl = serializers.URLField(  # Auth0's wire names from here on
        required=False, allow_null=True, allow_blank=True, max_length=2000
    )
    urlLifetimeInSeconds = serializers.IntegerField(
        required=False, min_value=1, max_value=30 * 86400
    )
    includeEmailInRedirect = serializers.BooleanField(required=False)
    enabled = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.CharField(
            required=False, allow_blank=True, max_length=255, validators=[_from_address]
        )


class EmailTemplateCreateInputSerializer(EmailTemplateUpdateInputSerializer):
    """Auth0's POST (create) and PUT (replace): the whole template."""

    template = serializers.ChoiceField(choices=TEMPLATE_NAMES)
    body = serializers.CharField(max_length=100_000, trim_whitespace=False)
    subject = serializers.CharField(max_length=255)
    syntax = serializers.ChoiceField(choices=TemplateSyntax.values)
    enabled = serializers.BooleanField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"].required = True

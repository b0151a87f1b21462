"""Email templates: get and update the templates that exist, in Auth0's names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, ManagementApiError, bad_request, not_found
from accounts.api.serializers.base import error_responses
from emails.api.serializers import (
    EmailTemplateCreateInputSerializer,
    EmailTemplateQuerySerializer,
    EmailTemplateUpdateInputSerializer,
    ManagementEmailTemplateSerializer,
)
from emails.models import DEFAULT_URL_LIFETIME, EmailTemplate
from emails.services import TemplateInvalid, email_template_update

TAG = "Email templates"
NAME_PARAMETER = OpenApiParameter(
    "templateName", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. reset_email"
)
# Auth0's property -> our model field.
FIELDS = {
    "body": "body",
    "from": "from_address",
    "subject": "subject",
    "syntax": "syntax",
    "resultUrl": "result_url",
    "urlLifetimeInSeconds": "url_lifetime_in_seconds",
    "includeEmailInRedirect": "include_email_in_redirect",
    "enabled": "enabled",
}


def template_or_404(name: str, language: str) -> EmailTemplate:
    template = EmailTemplate.objects.filter(name=name, language=language).first()
    if template is None:
        raise not_found("The template does not exist.", ErrorCode.INEXISTENT_EMAIL_TEMPLATE)
    return template


class EmailTemplateGetApi(ManagementApi):
    """Get an email template."""

    required_scopes = {"GET": ("read:email_templates",)}
    query_serializers = {"GET": EmailTemplateQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_email_templates_by_template_name",
        summary="Get an email template",
        parameters=[NAME_PARAMETER, EmailTemplateQuerySerializer],
        responses={200: ManagementEmailTemplateSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, templateName: str) -> Response:
        """The template of that name, in ``language`` (English by default)."""
        query = self.query()
        template = template_or_404(templateName, query["language"])
        return Response(ManagementEmailTemplateSerializer(template).data)


class EmailTemplateWriteApi(ManagementApi):
    """What the template writes share: the one service, and its errors in Auth0's words."""

    def write(self, template: EmailTemplate, changes: dict[str, Any]) -> None:
        try:
            email_template_update(
                template=template,
                changes=changes,
                audit=self.door_audit,
                details={"method": self.request.method, "path": self.request.path},
            )
        except TemplateInvalid as exc:
            prop = "from" if exc.prop == "from_address" else exc.prop
            raise bad_request(f"Payload validation error: '{exc}' on property {prop}.") from exc


class EmailTemplateUpdateApi(EmailTemplateWriteApi):
    """Update an email template."""

    required_scopes = {"PATCH": ("update:email_templates",)}
    query_serializers = {"PATCH": EmailTemplateQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_email_templates_by_template_name",
        summary="Update an email template",
        description="`body` and `subject` are Liquid; a template that does not parse is a 400.",
        parameters=[NAME_PARAMETER, EmailTemplateQuerySerializer],
        request=EmailTemplateUpdateInputSerializer,
        responses={200: ManagementEmailTemplateSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request, templateName: str) -> Response:
        """Change the properties sent; logged as ``sapi``."""
        query = self.query()
        template = template_or_404(templateName, query["language"])
        data = self.body(EmailTemplateUpdateInputSerializer)
        self.write(template, _changes(data, template))
        return Response(ManagementEmailTemplateSerializer(template).data)


def _changes(data: dict[str, Any], template: EmailTemplate) -> dict[str, Any]:
    """Auth0's properties as model fields; ``template`` and ``language`` name, never change."""
    if data.pop("template", template.name) != template.name:
        raise bad_request("The template name cannot be changed")
    if data.pop("language", template.language) != template.language:
        raise bad_request("The template language cannot be changed (it is the ?language= asked)")
    changes: dict[str, Any] = {FIELDS[key]: value for key, value in data.items()}
    if "result_url" in changes:
        changes["result_url"] = changes["result_url"] or ""
    return changes


# What PUT puts back where a property is not sent: it replaces the whole template.
REPLACED_DEFAULTS = {
    "result_url": "",
    "url_lifetime_in_seconds": DEFAULT_URL_LIFETIME,
    "include_email_in_redirect": False,
}


class EmailTemplateReplaceApi(EmailTemplateWriteApi):
    """Replace an email template."""

    required_scopes = {"PUT": ("update:email_templates",)}
    query_serializers = {"PUT": EmailTemplateQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="put_email_templates_by_template_name",
        summary="Replace an email template",
        description="Every property not sent goes back to its default.",
        parameters=[NAME_PARAMETER, EmailTemplateQuerySerializer],
        request=EmailTemplateCreateInputSerializer,
        responses={200: ManagementEmailTemplateSerializer, **error_responses(400, 404)},
    )
    def put(self, request: Request, templateName: str) -> Response:
        """Replace the whole template; logged as ``sapi``."""
        query = self.query()
        template = template_or_404(templateName, query["language"])
        data = self.body(EmailTemplateCreateInputSerializer)
        self.write(template, {**REPLACED_DEFAULTS, **_changes(data, template)})
        return Response(ManagementEmailTemplateSerializer(template).data)


class EmailTemplateCreateApi(EmailTemplateWriteApi):
    """Create an email template."""

    required_scopes = {"POST": ("create:email_templates",)}
    query_serializers = {"POST": EmailTemplateQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="post_email_templates",
        summary="Create an email template",
        description="Answers 200 as Auth0 does; 409 when the template exists in that language.",
        parameters=[EmailTemplateQuerySerializer],
        request=EmailTemplateCreateInputSerializer,
        responses={200: ManagementEmailTemplateSerializer, **error_responses(400, 409)},
    )
    def post(self, request: Request) -> Response:
        """Create a template of one of Auth0's names; logged as ``sapi``."""
        data = self.body(EmailTemplateCreateInputSerializer)
        language = data.get("language") or self.query()["language"]
        name = data["template"]
        if EmailTemplate.objects.filter(name=name, language=language).exists():
            raise ManagementApiError(
                409, f"Template ({name}) already exists.", ErrorCode.EMAIL_TEMPLATE_EXISTS
            )
        template = EmailTemplate(name=name, language=language)
        data["language"] = language
        self.write(template, {**REPLACED_DEFAULTS, **_changes(data, template)})
        return Response(ManagementEmailTemplateSerializer(template).data)

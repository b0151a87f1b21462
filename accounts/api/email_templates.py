"""Email templates: get and update the templates that exist, in Auth0's names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.email_templates import (
    EmailTemplateQuerySerializer,
    EmailTemplateUpdateInputSerializer,
    ManagementEmailTemplateSerializer,
)
from emails.models import EmailTemplate
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

    @extend_schema(
        tags=[TAG],
        operation_id="get_email_templates_by_template_name",
        summary="Get an email template",
        parameters=[NAME_PARAMETER, EmailTemplateQuerySerializer],
        responses={200: ManagementEmailTemplateSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, templateName: str) -> Response:
        """The template of that name, in ``language`` (English by default)."""
        query = self.query(EmailTemplateQuerySerializer)
        template = template_or_404(templateName, query["language"])
        return Response(ManagementEmailTemplateSerializer(template).data)


class EmailTemplateUpdateApi(ManagementApi):
    """Update an email template."""

    required_scopes = {"PATCH": ("update:email_templates",)}

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
        query = self.query(EmailTemplateQuerySerializer)
        template = template_or_404(templateName, query["language"])
        data = self.body(EmailTemplateUpdateInputSerializer)
        if data.pop("template", templateName) != templateName:
            raise bad_request("The template name cannot be changed")
        changes: dict[str, Any] = {FIELDS[key]: value for key, value in data.items()}
        if "result_url" in changes:
            changes["result_url"] = changes["result_url"] or ""
        try:
            email_template_update(
                template=template,
                changes=changes,
                application=self.client.application,
                request=self.django_request,
                details={"method": request.method, "path": request.path},
            )
        except TemplateInvalid as exc:
            raise bad_request(f"Payload validation error: '{exc}' on property {exc.prop}.") from exc
        return Response(ManagementEmailTemplateSerializer(template).data)

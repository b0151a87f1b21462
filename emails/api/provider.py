"""The email provider: get, create and update the one the worker sends through."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, ManagementApiError, bad_request, not_found
from accounts.api.serializers.base import (
    FieldsQuerySerializer,
    FilterableOutputSerializer,
    StrictInputSerializer,
    error_responses,
    fields_applied,
)
from emails.models import EmailProvider
from emails.provider import PROVIDERS, ProviderInvalid, email_provider_get, email_provider_set

TAG = "Emails"


class EmailProviderInputSerializer(StrictInputSerializer):
    name = serializers.ChoiceField(choices=sorted(PROVIDERS))
    enabled = serializers.BooleanField(required=False)
    default_from_address = serializers.CharField(required=False, allow_blank=True, max_length=255)
    credentials = serializers.DictField(help_text="Write-only: never answered back")
    settings = serializers.DictField(required=False)


class EmailProviderUpdateInputSerializer(EmailProviderInputSerializer):
    name = serializers.ChoiceField(choices=sorted(PROVIDERS), required=False)
    credentials = serializers.DictField(required=False, help_text="Replaces the credentials")


class EmailProviderSerializer(FilterableOutputSerializer):
    """The provider, without its credentials (they are written, never read)."""

    name = serializers.CharField()
    enabled = serializers.BooleanField()
    default_from_address = serializers.CharField()
    settings = serializers.DictField()


def provider_data(provider: EmailProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "enabled": provider.enabled,
        "default_from_address": provider.default_from_address,
        "settings": provider.settings,
    }


def _not_configured() -> ManagementApiError:
    return not_found("The email provider is not configured.", ErrorCode.INEXISTENT_EMAIL_PROVIDER)


class EmailProviderGetApi(ManagementApi):
    """Get the email provider."""

    required_scopes = {"GET": ("read:email_provider",)}
    query_serializers = {"GET": FieldsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_provider",
        summary="Get the email provider",
        description="`credentials` are never answered: they are sealed at rest and write-only.",
        parameters=[FieldsQuerySerializer],
        responses={200: EmailProviderSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        """The provider the worker sends through (when enabled)."""
        query = self.query()
        provider = email_provider_get()
        if provider is None:
            raise _not_configured()
        return Response(fields_applied(provider_data(provider), query))


class EmailProviderCreateApi(ManagementApi):
    """Configure the email provider."""

    required_scopes = {"POST": ("create:email_provider",)}

    @extend_schema(
        tags=[TAG],
        operation_id="post_provider",
        summary="Configure the email provider",
        description=(
            "`name`: smtp (`smtp_host`, `smtp_port`, optional `smtp_user`, `smtp_pass`), "
            "mailgun (`api_key`, `domain`, optional `region`), sendgrid (`api_key`), ses "
            "(`accessKeyId`, `secretAccessKey`, `region`), postmark, sparkpost, mandrill "
            "(`api_key`), each sent through its anymail backend. While it is enabled the "
            "worker sends through it instead of EMAIL_BACKEND."
        ),
        request=EmailProviderInputSerializer,
        responses={201: EmailProviderSerializer, **error_responses(400, 409)},
    )
    def post(self, request: Request) -> Response:
        """Create the provider (409 when one is configured: PATCH it)."""
        data = self.body(EmailProviderInputSerializer)
        if email_provider_get() is not None:
            raise ManagementApiError(
                409, "The email provider is already configured.", ErrorCode.EMAIL_PROVIDER_EXISTS
            )
        provider = _provider_set(self, data)
        return Response(provider_data(provider), status=status.HTTP_201_CREATED)


def _provider_set(api: ManagementApi, data: dict[str, Any]) -> EmailProvider:
    try:
        return email_provider_set(
            name=data.get("name"),
            credentials=data.get("credentials"),
            enabled=data.get("enabled"),
            default_from_address=data.get("default_from_address"),
            provider_settings=data.get("settings"),
            application=api.client.application,
            request=api.django_request,
        )
    except ProviderInvalid as exc:
        raise bad_request(str(exc)) from exc


class EmailProviderUpdateApi(ManagementApi):
    """Update the email provider."""

    required_scopes = {"PATCH": ("update:email_provider",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_provider",
        summary="Update the email provider",
        description=(
            "Only the properties sent change; `credentials`, when sent, replace the old ones "
            "whole, and a new `name` needs its own."
        ),
        request=EmailProviderUpdateInputSerializer,
        responses={200: EmailProviderSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request) -> Response:
        """Change the provider that is configured."""
        data = self.body(EmailProviderUpdateInputSerializer)
        if email_provider_get() is None:
            raise _not_configured()
        return Response(provider_data(_provider_set(self, data)))

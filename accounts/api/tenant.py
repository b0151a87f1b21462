"""Tenant settings: get and update the ones Rekey uses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.serializers.base import (
    FieldsQuerySerializer,
    FilterableOutputSerializer,
    StrictInputSerializer,
    error_responses,
    fields_applied,
)
from accounts.models import TenantSettings
from accounts.selectors import tenant_settings
from accounts.services import tenant_settings_update

TAG = "Tenants"
LOCALE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


class TenantChangePasswordSerializer(StrictInputSerializer):
    enabled = serializers.BooleanField(required=False)
    html = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class TenantSettingsUpdateInputSerializer(StrictInputSerializer):
    friendly_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    support_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    support_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    default_language = serializers.RegexField(LOCALE, required=False, max_length=16)
    enabled_locales = serializers.ListField(
        child=serializers.RegexField(LOCALE, max_length=16), required=False, max_length=100
    )
    change_password = TenantChangePasswordSerializer(required=False)


class ManagementTenantSettingsSerializer(FilterableOutputSerializer):
    """Auth0's tenant settings, those Rekey keeps and uses."""

    friendly_name = serializers.CharField()
    support_email = serializers.CharField()
    support_url = serializers.CharField()
    default_language = serializers.CharField()
    enabled_locales = serializers.ListField(child=serializers.CharField())
    change_password = serializers.DictField()

    def to_representation(self, instance: TenantSettings) -> dict[str, Any]:
        return {
            "friendly_name": instance.friendly_name,
            "support_email": instance.support_email,
            "support_url": instance.support_url,
            "default_language": instance.default_language,
            "enabled_locales": list(instance.enabled_locales or [instance.default_language]),
            "change_password": {"enabled": False, "html": ""} | dict(instance.change_password),
        }


class TenantSettingsQuerySerializer(FieldsQuerySerializer):
    """``fields``/``include_fields`` of the tenant settings."""


class TenantSettingsGetApi(ManagementApi):
    """Get the tenant settings."""

    required_scopes = {"GET": ("read:tenant_settings",)}
    query_serializers = {"GET": TenantSettingsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_settings",
        summary="Get tenant settings",
        parameters=[TenantSettingsQuerySerializer],
        responses={200: ManagementTenantSettingsSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        """The settings Rekey keeps; emails render them as tenant, support_email, support_url."""
        data = ManagementTenantSettingsSerializer(tenant_settings()).data
        return Response(fields_applied(data, self.query()))


class TenantSettingsUpdateApi(ManagementApi):
    """Update the tenant settings."""

    required_scopes = {"PATCH": ("update:tenant_settings",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_settings",
        summary="Update tenant settings",
        request=TenantSettingsUpdateInputSerializer,
        responses={200: ManagementTenantSettingsSerializer, **error_responses(400)},
    )
    def patch(self, request: Request) -> Response:
        """Change the settings sent; logged as ``sapi``."""
        changes = self.body(TenantSettingsUpdateInputSerializer)
        if "change_password" in changes:
            current = dict(tenant_settings().change_password or {})
            changes["change_password"] = current | dict(changes["change_password"])
        updated = tenant_settings_update(changes=changes, audit=self.door_audit)
        return Response(ManagementTenantSettingsSerializer(updated).data)

"""Serializers of the clients and client grants endpoints: Auth0's client and grant objects."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.pages import page_serializer
from accounts.api.serializers.base import (
    FieldsQuerySerializer,
    FilterableOutputSerializer,
    PageQuerySerializer,
)
from accounts.models import Application, AppType, ClientGrant

PUBLIC_TYPES = {AppType.SPA, AppType.NATIVE}


class ManagementClientJwtSerializer(serializers.Serializer):
    alg = serializers.CharField()
    lifetime_in_seconds = serializers.IntegerField()
    secret_encoded = serializers.BooleanField()


class ManagementClientSerializer(FilterableOutputSerializer):
    """Auth0's client (application) object.

    ``client_secret`` is never returned, ``read:client_keys`` or not: Rekey keeps only a hash of
    it. The secret is shown once, when the dashboard makes or rotates it.
    """

    client_id = serializers.CharField()
    tenant = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    app_type = serializers.CharField()
    is_first_party = serializers.BooleanField()
    oidc_conformant = serializers.BooleanField()
    # Auth0's wire name; "global" is a Python keyword.
    is_global = serializers.BooleanField()
    callbacks = serializers.ListField(child=serializers.CharField())
    allowed_origins = serializers.ListField(child=serializers.CharField())
    web_origins = serializers.ListField(child=serializers.CharField())
    allowed_logout_urls = serializers.ListField(child=serializers.CharField())
    grant_types = serializers.ListField(child=serializers.CharField())
    initiate_login_uri = serializers.CharField()
    token_endpoint_auth_method = serializers.CharField()
    jwt_configuration = ManagementClientJwtSerializer()
    sso_disabled = serializers.BooleanField()
    cross_origin_authentication = serializers.BooleanField()
    custom_login_page_on = serializers.BooleanField()
    client_metadata = serializers.DictField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["global"] = fields.pop("is_global")
        return fields

    def to_representation(self, application: Application) -> dict[str, Any]:
        public = application.app_type in PUBLIC_TYPES
        return {
            "client_id": application.client_id,
            "tenant": self.context.get("tenant", ""),
            "name": application.name,
            "description": "",
            "app_type": application.app_type,
            "is_first_party": True,
            "oidc_conformant": True,
            "global": False,
            "callbacks": [],
            "allowed_origins": list(application.allowed_origins or []),
            "web_origins": list(application.allowed_origins or []),
            "allowed_logout_urls": [],
            "grant_types": list(application.grant_types or _default_grants(application)),
            "initiate_login_uri": application.default_login_route,
            "token_endpoint_auth_method": "none" if public else "client_secret_post",
            "jwt_configuration": {
                "alg": "RS256",
                "lifetime_in_seconds": 36000,
                "secret_encoded": False,
            },
            "sso_disabled": False,
            "cross_origin_authentication": bool(application.allowed_origins),
            "custom_login_page_on": True,
            "client_metadata": {},
        }


def _default_grants(application: Application) -> list[str]:
    if application.app_type == AppType.M2M:
        return ["client_credentials"]
    if application.app_type == AppType.REGULAR_WEB:
        return ["authorization_code", "implicit", "refresh_token", "client_credentials"]
    return ["authorization_code", "implicit", "refresh_token"]


ManagementClientPageSerializer = page_serializer(
    "ManagementClientPageSerializer", ManagementClientSerializer, "clients"
)


class ClientListQuerySerializer(PageQuerySerializer, FieldsQuerySerializer):
    external_client_id = serializers.CharField(required=False, max_length=255)
    # default=None: a boolean left out of a query string would otherwise read as false.
    is_global = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_first_party = serializers.BooleanField(required=False, allow_null=True, default=None)
    # Comma-separated, as Auth0 takes it: app_type=spa,non_interactive
    app_type = serializers.CharField(required=False, max_length=200)


class ClientFieldsQuerySerializer(FieldsQuerySerializer):
    """``fields``/``include_fields`` of one client."""


def grant_id(grant: ClientGrant) -> str:
    """Auth0's ``cgr_`` + 16 alphanumerics, made from the row's key."""
    return f"cgr_{grant.pk:016d}"


class ManagementClientGrantSerializer(serializers.Serializer):
    """Auth0's client grant object."""

    id = serializers.CharField()
    client_id = serializers.CharField()
    audience = serializers.CharField()
    scope = serializers.ListField(child=serializers.CharField())

    def to_representation(self, grant: ClientGrant) -> dict[str, Any]:
        return {
            "id": grant_id(grant),
            "client_id": grant.application_id,
            "audience": grant.audience,
            "scope": [scope for scope in grant.scopes if isinstance(scope, str)],
        }


ManagementClientGrantPageSerializer = page_serializer(
    "ManagementClientGrantPageSerializer",
    ManagementClientGrantSerializer,
    "client_grants",
    checkpoint=True,
    doc="""A page of grants: with totals (``include_totals``), or after a checkpoint
    (``from``/``take``: ``next`` is the ``from`` of the following page, if any).""",
)


class ClientGrantListQuerySerializer(PageQuerySerializer):
    audience = serializers.CharField(required=False, max_length=255)
    client_id = serializers.CharField(required=False, max_length=64)
    allow_any_organization = serializers.BooleanField(required=False)
    # Only clients hold grants here, for no organization, and none is a default.
    subject_type = serializers.ChoiceField(choices=["client", "user"], required=False)
    default_for = serializers.CharField(required=False, max_length=64)
    take = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(required=False, max_length=64)
        return fields

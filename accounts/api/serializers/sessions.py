"""Serializers of the sessions endpoints: Auth0's session object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from accounts.api.pages import page_serializer
from accounts.api.serializers.base import Auth0DateTimeField
from accounts.models import UserSession


class ManagementSessionDeviceSerializer(serializers.Serializer):
    initial_user_agent = serializers.CharField()
    initial_ip = serializers.CharField(allow_null=True)
    last_user_agent = serializers.CharField()
    last_ip = serializers.CharField(allow_null=True)


class ManagementSessionMethodSerializer(serializers.Serializer):
    name = serializers.CharField()
    timestamp = Auth0DateTimeField()


class ManagementSessionAuthenticationSerializer(serializers.Serializer):
    methods = ManagementSessionMethodSerializer(many=True)


class ManagementSessionSerializer(serializers.Serializer):
    """Auth0's session object; Rekey records the sign-in and the browser it came from.

    ``expires_at`` and ``idle_expires_at`` are the session cookie's expiry (Django's sessions
    have one); ``clients`` is empty: a Rekey session is the hosted login's, not an application's.
    """

    id = serializers.CharField(source="sid")
    user_id = serializers.CharField()
    created_at = Auth0DateTimeField()
    updated_at = Auth0DateTimeField()
    authenticated_at = Auth0DateTimeField()
    last_interacted_at = Auth0DateTimeField()
    expires_at = Auth0DateTimeField(allow_null=True)
    idle_expires_at = Auth0DateTimeField(allow_null=True)
    device = ManagementSessionDeviceSerializer()
    clients = serializers.ListField(child=serializers.DictField())
    authentication = ManagementSessionAuthenticationSerializer()

    def to_representation(self, instance: UserSession) -> dict[str, Any]:
        expiry: dict[str, datetime] = self.context.get("expiry", {})
        expires = expiry.get(instance.session_key)
        date = Auth0DateTimeField()
        return {
            "id": instance.sid,
            "user_id": instance.user.user_id,
            "created_at": date.to_representation(instance.created_at),
            "updated_at": date.to_representation(instance.last_seen_at),
            "authenticated_at": date.to_representation(instance.created_at),
            "last_interacted_at": date.to_representation(instance.last_seen_at),
            "expires_at": date.to_representation(expires) if expires else None,
            "idle_expires_at": date.to_representation(expires) if expires else None,
            "device": {
                "initial_user_agent": instance.user_agent,
                "initial_ip": instance.ip,
                "last_user_agent": instance.user_agent,
                "last_ip": instance.ip,
            },
            "clients": [],
            "authentication": {
                "methods": [
                    {"name": "pwd", "timestamp": date.to_representation(instance.created_at)}
                ]
            },
        }


ManagementSessionPageSerializer = page_serializer(
    "ManagementSessionPageSerializer",
    ManagementSessionSerializer,
    "sessions",
    totals=False,
    checkpoint=True,
)


class UserSessionListQuerySerializer(serializers.Serializer):
    take = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)
    # Sent by auth0-python 6.x; a checkpoint page has no totals, so it changes nothing.
    include_totals = serializers.BooleanField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(required=False, max_length=40)
        return fields

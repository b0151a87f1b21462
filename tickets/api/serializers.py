"""Serializers of the tickets endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers.base import StrictInputSerializer

DEFAULT_TTL = 432000  # five days, as Auth0
MAX_TTL = 365 * 86400


class TicketIdentityInputSerializer(StrictInputSerializer):
    """Auth0's ``identity``: which of the user's identities (a Rekey user has one)."""

    user_id = serializers.CharField(max_length=128)
    provider = serializers.CharField(max_length=64)
    connection_id = serializers.CharField(required=False, max_length=20)


class PasswordChangeTicketInputSerializer(StrictInputSerializer):
    user_id = serializers.CharField(required=False, max_length=128)
    connection_id = serializers.CharField(required=False, max_length=20)
    email = serializers.EmailField(required=False, max_length=254)
    result_url = serializers.URLField(required=False, max_length=2000)
    ttl_sec = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TTL)
    mark_email_as_verified = serializers.BooleanField(required=False, default=False)
    includeEmailInRedirect = serializers.BooleanField(required=False, default=False)  # Auth0's
    client_id = serializers.CharField(required=False, max_length=64)
    identity = TicketIdentityInputSerializer(required=False)
    organization_id = serializers.CharField(required=False, max_length=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The combinations Auth0 refuses.
        if "user_id" in attrs and ("connection_id" in attrs or "email" in attrs):
            raise serializers.ValidationError(
                "user_id cannot be used together with connection_id or email"
            )
        if "email" in attrs and "connection_id" not in attrs:
            raise serializers.ValidationError("connection_id is required with email")
        if "connection_id" in attrs and "email" not in attrs:
            raise serializers.ValidationError("email is required with connection_id")
        if "user_id" not in attrs and "email" not in attrs:
            raise serializers.ValidationError("user_id, or connection_id and email, is required")
        if "result_url" in attrs and "client_id" in attrs:
            raise serializers.ValidationError("result_url cannot be used together with client_id")
        return attrs


class PasswordChangeTicketSerializer(serializers.Serializer):
    ticket = serializers.URLField()


class EmailVerificationTicketInputSerializer(StrictInputSerializer):
    user_id = serializers.CharField(max_length=128)
    result_url = serializers.URLField(required=False, max_length=2000)
    ttl_sec = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TTL)
    includeEmailInRedirect = serializers.BooleanField(required=False, default=False)  # Auth0's
    client_id = serializers.CharField(required=False, max_length=64)
    identity = TicketIdentityInputSerializer(required=False)
    organization_id = serializers.CharField(required=False, max_length=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "result_url" in attrs and ("client_id" in attrs or "organization_id" in attrs):
            raise serializers.ValidationError(
                "result_url cannot be used together with client_id or organization_id"
            )
        return attrs


class EmailVerificationTicketSerializer(serializers.Serializer):
    ticket = serializers.URLField()


class VerificationEmailJobInputSerializer(StrictInputSerializer):
    user_id = serializers.CharField(max_length=128)
    client_id = serializers.CharField(required=False, max_length=64)
    identity = TicketIdentityInputSerializer(required=False)
    organization_id = serializers.CharField(required=False, max_length=50)

"""Serializers of the refresh-token endpoints (Auth0's shapes)."""

from __future__ import annotations

from rest_framework import serializers


class RefreshTokenDeviceSerializer(serializers.Serializer):
    initial_ip = serializers.CharField(allow_null=True)
    initial_user_agent = serializers.CharField()
    last_ip = serializers.CharField(allow_null=True)
    last_user_agent = serializers.CharField()


class ResourceServerSerializer(serializers.Serializer):
    audience = serializers.CharField()
    scopes = serializers.CharField()


class RefreshTokenSerializer(serializers.Serializer):
    """One refresh token: never the token itself, only its id and where it came from."""

    id = serializers.CharField()
    user_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    idle_expires_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_exchanged_at = serializers.DateTimeField(allow_null=True)
    client_id = serializers.CharField()
    session_id = serializers.CharField(allow_null=True)
    rotating = serializers.BooleanField()
    device = RefreshTokenDeviceSerializer()
    resource_servers = ResourceServerSerializer(many=True)


class RefreshTokensSerializer(serializers.Serializer):
    tokens = RefreshTokenSerializer(many=True)

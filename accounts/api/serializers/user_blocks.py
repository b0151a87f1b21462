"""Serializers of the user-blocks endpoints (brute-force blocks, Auth0's shapes)."""

from __future__ import annotations

from rest_framework import serializers


class UserBlockSerializer(serializers.Serializer):
    """One blocked pair: the login identifier, the address and the connection."""

    identifier = serializers.CharField()
    ip = serializers.CharField()
    connection = serializers.CharField()


class UserBlocksSerializer(serializers.Serializer):
    """The blocked pairs of a user or an identifier."""

    blocked_for = UserBlockSerializer(many=True)


class UserBlocksQuerySerializer(serializers.Serializer):
    """``identifier``: the email the logins were tried with."""

    identifier = serializers.CharField(max_length=254)
    consider_brute_force_enablement = serializers.BooleanField(required=False, default=False)


class UserBlocksByIdQuerySerializer(serializers.Serializer):
    """Auth0's optional flag, accepted and ignored (the setting is global here)."""

    consider_brute_force_enablement = serializers.BooleanField(required=False, default=False)

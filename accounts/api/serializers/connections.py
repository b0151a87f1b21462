"""Serializers of the connections endpoints: Auth0's connection object and password options."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers.base import PageQuerySerializer, StrictInputSerializer
from accounts.models import Connection, PolicyLevel
from accounts.policy import LEVELS


class PasswordComplexityOptionsSerializer(StrictInputSerializer):
    min_length = serializers.IntegerField(min_value=1, max_value=128)


class PasswordHistoryOptionsSerializer(StrictInputSerializer):
    enable = serializers.BooleanField()
    size = serializers.IntegerField(min_value=0, max_value=24, required=False)


class PasswordNoPersonalInfoOptionsSerializer(StrictInputSerializer):
    enable = serializers.BooleanField()


class PasswordDictionaryOptionsSerializer(StrictInputSerializer):
    enable = serializers.BooleanField()
    dictionary = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=200, required=False
    )


class ConnectionOptionsSerializer(StrictInputSerializer):
    """The password options of a database connection, as Auth0 names them."""

    passwordPolicy = serializers.ChoiceField(  # Auth0's wire name
        choices=PolicyLevel.values, required=False, allow_null=True
    )
    password_complexity_options = PasswordComplexityOptionsSerializer(required=False)
    password_history = PasswordHistoryOptionsSerializer(required=False)
    password_no_personal_info = PasswordNoPersonalInfoOptionsSerializer(required=False)
    password_dictionary = PasswordDictionaryOptionsSerializer(required=False)


class ConnectionUpdateInputSerializer(StrictInputSerializer):
    options = ConnectionOptionsSerializer(required=False)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=128)


class ManagementConnectionSerializer(serializers.Serializer):
    """Auth0's connection object."""

    id = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    strategy = serializers.CharField()
    realms = serializers.ListField(child=serializers.CharField())
    is_domain_connection = serializers.BooleanField()
    enabled_clients = serializers.ListField(child=serializers.CharField())
    options = serializers.DictField()

    def to_representation(self, connection: Connection) -> dict[str, Any]:
        return {
            "id": connection.id,
            "name": connection.name,
            "display_name": connection.display_name or connection.name,
            "strategy": connection.strategy,
            "realms": [connection.name],
            "is_domain_connection": False,
            "enabled_clients": sorted(a.client_id for a in connection.applications.all()),
            "options": connection_options(connection),
        }


def connection_options(connection: Connection) -> dict[str, Any]:
    if not connection.is_database:
        return {}
    level = LEVELS[connection.password_policy]
    return {
        "passwordPolicy": connection.password_policy,
        "password_complexity_options": {"min_length": connection.min_length or level["min_length"]},
        "password_history": {
            "enable": connection.history_enable,
            "size": connection.history_size,
        },
        "password_no_personal_info": {"enable": connection.no_personal_info},
        "password_dictionary": {
            "enable": connection.dictionary_enable,
            "dictionary": list(connection.dictionary or []),
        },
    }


class ManagementConnectionPageSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    connections = ManagementConnectionSerializer(many=True)


class ConnectionListQuerySerializer(PageQuerySerializer):
    strategy = serializers.CharField(required=False, max_length=32)
    name = serializers.CharField(required=False, max_length=128)

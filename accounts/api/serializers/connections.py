"""Serializers of the connections endpoints: Auth0's connection object and password options."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from accounts.api.pages import page_serializer
from accounts.api.serializers.base import (
    FieldsQuerySerializer,
    FilterableOutputSerializer,
    PageQuerySerializer,
    StrictInputSerializer,
)
from accounts.models import Connection, PolicyLevel, ResetMethod
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


OPTIONS_EXTRA_MAX_BYTES = 64 * 1024


class ConnectionOptionsSerializer(serializers.Serializer):
    """Auth0's whole ``options`` object: the password options Rekey applies, checked, and
    every other option (``brute_force_protection``, ``mfa``, ...) kept as sent in ``extra``."""

    passwordPolicy = serializers.ChoiceField(  # Auth0's wire name
        choices=PolicyLevel.values, required=False, allow_null=True
    )
    password_complexity_options = PasswordComplexityOptionsSerializer(required=False)
    password_history = PasswordHistoryOptionsSerializer(required=False)
    password_no_personal_info = PasswordNoPersonalInfoOptionsSerializer(required=False)
    password_dictionary = PasswordDictionaryOptionsSerializer(required=False)
    # Rekey's own: how a forgot-password request reaches the user, a link or a 6-digit code.
    password_reset_method = serializers.ChoiceField(choices=ResetMethod.values, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected an object")
        extra = {key: value for key, value in data.items() if key not in self.fields}
        if len(json.dumps(extra)) > OPTIONS_EXTRA_MAX_BYTES:
            raise serializers.ValidationError(
                f"The options may not exceed {OPTIONS_EXTRA_MAX_BYTES} bytes"
            )
        known = {key: value for key, value in data.items() if key in self.fields}
        return {**super().to_internal_value(known), "extra": extra}


class ConnectionFieldsQuerySerializer(FieldsQuerySerializer):
    """``fields``/``include_fields`` of one connection."""


class ConnectionUpdateInputSerializer(StrictInputSerializer):
    options = ConnectionOptionsSerializer(required=False)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=128)
    enabled_clients = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=1000
    )


class ManagementConnectionSerializer(FilterableOutputSerializer):
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
    """The options Rekey applies, over those it keeps for Auth0's tools."""
    extra = dict(connection.options_extra or {})
    if not connection.is_database:
        return extra
    level = LEVELS[connection.password_policy]
    return extra | {
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
        "password_reset_method": connection.password_reset_method,
    }


ManagementConnectionPageSerializer = page_serializer(
    "ManagementConnectionPageSerializer",
    ManagementConnectionSerializer,
    "connections",
    length=False,
    checkpoint=True,
    doc="""A page of connections: with totals (``include_totals``: start, limit, total), or after a
    checkpoint (``from``/``take``: ``next`` is the ``from`` of the following page, if any).""",
)


class ConnectionListQuerySerializer(PageQuerySerializer, FieldsQuerySerializer):
    # Auth0 takes several: ?strategy=auth0&strategy=samlp (any of them).
    strategy = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=20
    )
    name = serializers.CharField(required=False, max_length=128)
    take = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(required=False, max_length=64)
        return fields


class ConnectionClientSerializer(serializers.Serializer):
    client_id = serializers.CharField()


ConnectionClientPageSerializer = page_serializer(
    "ConnectionClientPageSerializer",
    ConnectionClientSerializer,
    "clients",
    totals=False,
    checkpoint=True,
)


class ConnectionClientsQuerySerializer(serializers.Serializer):
    take = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(required=False, max_length=64)
        return fields


class ConnectionClientChangeSerializer(StrictInputSerializer):
    client_id = serializers.CharField(max_length=64)
    status = serializers.BooleanField()

"""Serializers of the logs endpoints: Auth0's log event."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.pages import page_serializer
from accounts.api.serializers.base import (
    Auth0DateTimeField,
    FieldsQuerySerializer,
    FilterableOutputSerializer,
    PageQuerySerializer,
)


class ManagementLogSerializer(FilterableOutputSerializer):
    """Auth0's log event (``type`` is Auth0's code: scp, fcp, sapi, ...)."""

    log_id = serializers.CharField()
    date = Auth0DateTimeField()
    type = serializers.CharField()
    description = serializers.CharField()
    client_id = serializers.CharField()
    client_name = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    user_id = serializers.CharField(source="user_id_text")
    user_name = serializers.CharField()
    connection = serializers.CharField()
    connection_id = serializers.CharField()
    details = serializers.DictField()


ManagementLogPageSerializer = page_serializer(
    "ManagementLogPageSerializer", ManagementLogSerializer, "logs"
)


class LogListQuerySerializer(PageQuerySerializer, FieldsQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    # What auth0-python 4.x+ and node-auth0 send for ``q`` (Auth0 takes either name).
    search = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    sort = serializers.ChoiceField(choices=["date:1", "date:-1"], required=False)
    # Checkpoint paging: the events after log id ``from``, oldest first, ``take`` at a time.
    take = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(required=False, max_length=40)
        return fields


class UserLogListQuerySerializer(PageQuerySerializer):
    """Auth0's paging of a user's log events (``GET /api/v2/users/{id}/logs``)."""

    sort = serializers.ChoiceField(choices=["date:1", "date:-1"], required=False)

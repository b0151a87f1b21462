"""Serializers of the logs endpoints: Auth0's log event."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers.base import Auth0DateTimeField, PageQuerySerializer


class ManagementLogSerializer(serializers.Serializer):
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


class ManagementLogPageSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    limit = serializers.IntegerField()
    length = serializers.IntegerField()
    total = serializers.IntegerField()
    logs = ManagementLogSerializer(many=True)


class LogListQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    sort = serializers.ChoiceField(choices=["date:1", "date:-1"], required=False)
    # Checkpoint paging: the events after log id ``from``, oldest first, ``take`` at a time.
    take = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        self.fields["from"] = serializers.CharField(required=False, max_length=40)

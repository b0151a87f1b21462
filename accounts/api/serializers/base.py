"""Building blocks shared by the Management API's serializers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Refuses properties it does not know, as Auth0's payload validation does."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        "non_field_errors": [
                            "Additional properties not allowed: " + ",".join(map(str, unknown))
                        ]
                    }
                )
        return super().to_internal_value(data)


class Auth0DateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with milliseconds and ``Z``, as Auth0 writes dates."""

    def to_representation(self, value: datetime) -> str:
        # DRF answers None itself for a null attribute: value is always a datetime here.
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class PageQuerySerializer(serializers.Serializer):
    """``page`` (0-based), ``per_page`` (max 100) and ``include_totals``, as Auth0 pages."""

    page = serializers.IntegerField(required=False, min_value=0, max_value=100_000, default=0)
    per_page = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)
    include_totals = serializers.BooleanField(required=False, default=False)


class FieldsQuerySerializer(serializers.Serializer):
    """Auth0's ``fields`` (comma-separated properties) and ``include_fields`` (keep or drop)."""

    # Auth0's parameter name; DRF's metaclass takes it out of the class, so it does not
    # shadow Serializer.fields at run time.
    fields = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=1000
    )
    include_fields = serializers.BooleanField(required=False, default=True)


class FilterableOutputSerializer(serializers.Serializer):
    """An output whose every property is optional in the schema: ``fields`` can drop any."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


def fields_filtered(data: dict[str, Any], fields: str | None, include: bool) -> dict[str, Any]:
    """Auth0's ``fields``/``include_fields``: keep (or drop) the named properties."""
    names = {name for name in re.split(r"\s*,\s*", fields or "") if name}
    if not names:
        return data
    if include:
        return {key: value for key, value in data.items() if key in names}
    return {key: value for key, value in data.items() if key not in names}


def fields_applied(data: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a validated query's ``fields``/``include_fields`` applied."""
    return fields_filtered(data, query.get("fields"), query.get("include_fields", True))


class ApiErrorSerializer(serializers.Serializer):
    """Auth0's error body."""

    statusCode = serializers.IntegerField()  # Auth0's wire name
    error = serializers.CharField()
    message = serializers.CharField()
    errorCode = serializers.CharField()  # Auth0's wire name


class PasswordRuleFailureSerializer(serializers.Serializer):
    """One rule of the connection's password policy that the password broke."""

    code = serializers.CharField()
    message = serializers.CharField()


class PasswordErrorSerializer(ApiErrorSerializer):
    """Auth0's PasswordStrengthError, plus each failed rule (which Auth0 does not give)."""

    rules = PasswordRuleFailureSerializer(many=True, required=False)


AUTH_ERRORS = (401, 403, 429)


def error_responses(*codes: int) -> dict[int, type[serializers.Serializer]]:
    """The documented error responses of an operation (401, 403 and 429 always)."""
    return {code: ApiErrorSerializer for code in sorted({*codes, *AUTH_ERRORS})}

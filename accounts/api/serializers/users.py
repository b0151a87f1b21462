"""Serializers of the users endpoints: Auth0's user object and its inputs."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.pages import page_serializer
from accounts.api.serializers.base import (
    Auth0DateTimeField,
    FieldsQuerySerializer,
    PageQuerySerializer,
    StrictInputSerializer,
)
from accounts.models import GIVEN_USER_ID_PATTERN, User

METADATA_MAX_BYTES = 16 * 1024
SORT_FIELDS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "last_login": "last_login",
    "email": "email_key",
    "name": "name",
    "user_id": "user_id",
    "logins_count": "logins_count",
}
# Keys Auth0 leaves out of a user object when they have no value.
OMIT_WHEN_EMPTY = ("username", "given_name", "family_name", "nickname", "picture", "last_ip")


class ManagementIdentitySerializer(serializers.Serializer):
    """One of the user's identities (Auth0 links several; we hold one per user)."""

    connection = serializers.CharField()
    provider = serializers.CharField()
    user_id = serializers.CharField()
    isSocial = serializers.BooleanField()  # Auth0's wire name


@extend_schema_field(ManagementIdentitySerializer(many=True))
class IdentitiesField(serializers.Field):
    """The user's identities, built from the user's id and connection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, user: User) -> list[dict[str, Any]]:
        _provider, _, local_id = user.user_id.partition("|")
        return [
            {
                "connection": user.connection.name,
                "provider": user.connection.strategy,
                "user_id": local_id or user.user_id,
                "isSocial": user.connection.is_social,
            }
        ]


class ManagementUserSerializer(serializers.Serializer):
    """Auth0's user object; every property is optional because ``fields`` can drop any."""

    user_id = serializers.CharField()
    email = serializers.CharField()
    email_verified = serializers.BooleanField()
    username = serializers.CharField(required=False)
    name = serializers.CharField()
    given_name = serializers.CharField(required=False)
    family_name = serializers.CharField(required=False)
    nickname = serializers.CharField(required=False)
    picture = serializers.CharField(required=False)
    user_metadata = serializers.DictField()
    app_metadata = serializers.DictField()
    blocked = serializers.BooleanField()
    identities = IdentitiesField()
    created_at = Auth0DateTimeField()
    updated_at = Auth0DateTimeField()
    last_password_reset = Auth0DateTimeField(allow_null=True)
    last_login = Auth0DateTimeField(allow_null=True)
    last_ip = serializers.CharField(required=False)
    logins_count = serializers.IntegerField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def to_representation(self, instance: User) -> dict[str, Any]:
        data = super().to_representation(instance)
        for key in OMIT_WHEN_EMPTY:
            if not data.get(key):
                data.pop(key, None)
        return data


ManagementUserPageSerializer = page_serializer(
    "ManagementUserPageSerializer",
    ManagementUserSerializer,
    "users",
    doc="A page of users with totals (``include_totals=true``).",
)


class UserListQuerySerializer(PageQuerySerializer, FieldsQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    sort = serializers.RegexField(
        r"^(" + "|".join(SORT_FIELDS) + r"):(1|-1)$", required=False, max_length=40
    )
    connection = serializers.CharField(required=False, max_length=128)
    search_engine = serializers.ChoiceField(choices=["v1", "v2", "v3"], required=False)
    primary_order = serializers.BooleanField(required=False)


class UserByEmailQuerySerializer(FieldsQuerySerializer):
    email = serializers.CharField(max_length=254)


class UserFieldsQuerySerializer(FieldsQuerySerializer):
    """``fields``/``include_fields`` of one user."""


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value)) > METADATA_MAX_BYTES:
        raise serializers.ValidationError(f"Metadata may not exceed {METADATA_MAX_BYTES} bytes")
    return value


class MetadataField(serializers.DictField):
    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return _metadata(super().to_internal_value(data))


class _UserProfileInputSerializer(StrictInputSerializer):
    email_verified = serializers.BooleanField(required=False)
    verify_email = serializers.BooleanField(required=False)
    username = serializers.RegexField(
        r"^[A-Za-z0-9_+\-.!#$'^`~@]{1,128}$", required=False, allow_null=True
    )
    name = serializers.CharField(required=False, allow_null=True, max_length=255)
    given_name = serializers.CharField(required=False, allow_null=True, max_length=150)
    family_name = serializers.CharField(required=False, allow_null=True, max_length=150)
    nickname = serializers.CharField(required=False, allow_null=True, max_length=150)
    picture = serializers.URLField(required=False, allow_null=True, max_length=500)
    user_metadata = MetadataField(required=False)
    app_metadata = MetadataField(required=False)
    blocked = serializers.BooleanField(required=False)


class UserCreateInputSerializer(_UserProfileInputSerializer):
    # Auth0 answers auth0|<user_id>; one given with auth0| already (as Auth0 exports them) is kept.
    user_id = serializers.RegexField(GIVEN_USER_ID_PATTERN, required=False, max_length=126)
    connection = serializers.CharField(max_length=128)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(trim_whitespace=False, max_length=4096)


class UserUpdateInputSerializer(_UserProfileInputSerializer):
    connection = serializers.CharField(required=False, max_length=128)
    email = serializers.EmailField(required=False, max_length=254)
    password = serializers.CharField(required=False, trim_whitespace=False, max_length=4096)
    client_id = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "username" in attrs and "email" in attrs:
            # Auth0 refuses both in one update: each is an identifier of the sign-in.
            raise serializers.ValidationError("Cannot update username and email simultaneously")
        if "password" in attrs:
            # Auth0 refuses these together: each would need its own verification flow.
            for other in ("email", "email_verified", "username"):
                if other in attrs:
                    raise serializers.ValidationError(
                        f"Cannot update password and {other} simultaneously"
                    )
        return attrs

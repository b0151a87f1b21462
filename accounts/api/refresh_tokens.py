"""Refresh tokens of users (Auth0's /users/{id}/refresh-tokens and /refresh-tokens/{id})."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, not_found
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.refresh_tokens import RefreshTokenSerializer, RefreshTokensSerializer
from accounts.api.users import USER_ID_PARAMETER, user_or_404
from accounts.models import RefreshToken, RefreshTokenRotation
from accounts.selectors import refresh_token_by_id, refresh_tokens_live
from accounts.services.refresh_tokens import refresh_tokens_revoke

TAG = "Refresh Tokens"
TOKEN_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="ID of the refresh token."
)


def refresh_token_data(token: RefreshToken) -> dict[str, Any]:
    """Auth0's refresh-token object."""
    application = token.application
    last = token.last_used_at or token.created_at
    return {
        "id": token.id,
        "user_id": token.user.user_id,
        "created_at": token.created_at,
        "idle_expires_at": min(
            last + timedelta(seconds=application.refresh_token_idle_lifetime), token.expires_at
        ),
        "expires_at": token.expires_at,
        "last_exchanged_at": token.last_used_at,
        "client_id": application.client_id,
        "session_id": None,
        "rotating": application.refresh_token_rotation == RefreshTokenRotation.ROTATING,
        "device": {
            "initial_ip": token.ip,
            "initial_user_agent": token.user_agent,
            "last_ip": token.ip,
            "last_user_agent": token.user_agent,
        },
        "resource_servers": [
            {"audience": settings.PUBLIC_URL + "/userinfo", "scopes": token.scope}
        ],
    }


def _token_or_404(token_id: str) -> RefreshToken:
    token = refresh_token_by_id(token_id)
    if token is None:
        raise not_found("The refresh token does not exist.", ErrorCode.NOT_FOUND)
    return token


class UserRefreshTokensGetApi(ManagementApi):
    required_scopes = {"GET": ("read:refresh_tokens",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_refresh_tokens_for_user",
        summary="Get a user's refresh tokens",
        parameters=[USER_ID_PARAMETER],
        responses={200: RefreshTokensSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The user's refresh tokens still in force (never the tokens themselves)."""
        user = user_or_404(id)
        tokens = refresh_tokens_live(user).select_related("user")
        return Response({"tokens": [refresh_token_data(t) for t in tokens[:100]]})


class UserRefreshTokensDeleteApi(ManagementApi):
    required_scopes = {"DELETE": ("delete:refresh_tokens",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_refresh_tokens_for_user",
        summary="Delete a user's refresh tokens",
        parameters=[USER_ID_PARAMETER],
        responses={202: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """Revoke every refresh token of the user."""
        user = user_or_404(id)
        refresh_tokens_revoke(user=user, audit=self.door_audit)
        return Response(status=status.HTTP_202_ACCEPTED)


class RefreshTokenGetApi(ManagementApi):
    required_scopes = {"GET": ("read:refresh_tokens",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_refresh_token",
        summary="Get a refresh token",
        parameters=[TOKEN_ID_PARAMETER],
        responses={200: RefreshTokenSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """One refresh token by id."""
        return Response(refresh_token_data(_token_or_404(id)))


class RefreshTokenDeleteApi(ManagementApi):
    required_scopes = {"DELETE": ("delete:refresh_tokens",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_refresh_token",
        summary="Delete a refresh token",
        parameters=[TOKEN_ID_PARAMETER],
        responses={202: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """Revoke one refresh token (and the tokens rotated from the same grant)."""
        token = _token_or_404(id)
        refresh_tokens_revoke(
            refresh_token=token,
            audit=self.door_audit,
            description="Revoke refresh token",
        )
        return Response(status=status.HTTP_202_ACCEPTED)

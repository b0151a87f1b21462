"""User blocks: the (IP, account) pairs that brute-force protection blocked; list and remove."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.user_blocks import (
    UserBlocksByIdQuerySerializer,
    UserBlocksQuerySerializer,
    UserBlocksSerializer,
)
from accounts.api.users import USER_ID_PARAMETER, user_or_404
from accounts.bruteforce import (
    login_blocks_of_identifier,
    login_blocks_of_user,
    login_blocks_release,
)
from accounts.models import LoginBlock

TAG = "User Blocks"


def blocks_data(blocks: QuerySet[LoginBlock]) -> dict[str, list[dict[str, str]]]:
    return {
        "blocked_for": [
            {"identifier": block.user.email, "ip": block.ip, "connection": block.connection}
            for block in blocks.select_related("user")
        ]
    }


def _of_identifier(identifier: str) -> QuerySet[LoginBlock]:
    # Staff accounts are out of reach of tenant doors: their blocks are nobody's here.
    return login_blocks_of_identifier(identifier=identifier).exclude(user__is_staff=True)


class UserBlocksGetApi(ManagementApi):
    """The blocks of a user."""

    required_scopes = {"GET": ("read:users",)}
    query_serializers = {"GET": UserBlocksByIdQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_user_blocks_by_id",
        summary="Get a user's blocks",
        parameters=[USER_ID_PARAMETER, UserBlocksByIdQuerySerializer],
        responses={200: UserBlocksSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """Every (IP, identifier, connection) blocked for the user by brute-force protection."""
        self.query()
        user = user_or_404(id)
        return Response(blocks_data(login_blocks_of_user(user=user)))


class UserBlocksDeleteApi(ManagementApi):
    """Unblock a user."""

    required_scopes = {"DELETE": ("update:users",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_user_blocks_by_id",
        summary="Unblock a user",
        parameters=[USER_ID_PARAMETER],
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """Remove every brute-force block of the user (not the user's ``blocked`` flag)."""
        user = user_or_404(id)
        login_blocks_release(blocks=login_blocks_of_user(user=user), audit=self.door_audit)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserBlocksByIdentifierGetApi(ManagementApi):
    """The blocks of an identifier."""

    required_scopes = {"GET": ("read:users",)}
    query_serializers = {"GET": UserBlocksQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_user_blocks",
        summary="Get blocks by identifier",
        parameters=[UserBlocksQuerySerializer],
        responses={200: UserBlocksSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        """Every blocked pair of whoever logs in with this email."""
        query = self.query()
        return Response(blocks_data(_of_identifier(query["identifier"])))


class UserBlocksByIdentifierDeleteApi(ManagementApi):
    """Unblock by identifier."""

    required_scopes = {"DELETE": ("update:users",)}
    query_serializers = {"DELETE": UserBlocksQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_user_blocks",
        summary="Unblock by identifier",
        parameters=[UserBlocksQuerySerializer],
        responses={204: None, **error_responses(400)},
    )
    def delete(self, request: Request) -> Response:
        """Remove every brute-force block of whoever logs in with this email."""
        query = self.query()
        login_blocks_release(blocks=_of_identifier(query["identifier"]), audit=self.door_audit)
        return Response(status=status.HTTP_204_NO_CONTENT)

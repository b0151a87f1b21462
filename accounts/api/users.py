"""Users: list and search, get, get by email, create, update (password too), force sign-in."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, ManagementApiError, bad_request, not_found
from accounts.api.lucene import QuerySyntaxError
from accounts.api.pages import list_or_page, page_response
from accounts.api.serializers.base import (
    PasswordErrorSerializer,
    error_responses,
    fields_applied,
)
from accounts.api.serializers.users import (
    SORT_FIELDS,
    ManagementUserPageSerializer,
    ManagementUserSerializer,
    UserByEmailQuerySerializer,
    UserCreateInputSerializer,
    UserFieldsQuerySerializer,
    UserListQuerySerializer,
    UserUpdateInputSerializer,
)
from accounts.api.user_search import user_condition
from accounts.models import User
from accounts.selectors import (
    connection_by_name,
    tenant_users_bytewise,
    user_by_user_id,
    users_by_email,
)
from accounts.services import (
    DirectSetDisabled,
    PasswordChangeError,
    PasswordNotSupported,
    PasswordPolicyError,
    UserAlreadyExists,
    sessions_expire,
    user_create,
    user_delete,
    user_update,
)

TAG = "Users"
METADATA_ONLY = {"app_metadata", "user_metadata"}
# Auth0 serves the first 1000 results of a search, whatever the paging; export for the rest.
SEARCH_WINDOW = 1000
USER_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The user's id, e.g. auth0|..."
)
FIELDS_PARAMETERS = [
    OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated properties"),
    OpenApiParameter("include_fields", OpenApiTypes.BOOL, description="Keep (true) or drop"),
]


def password_error(error: PasswordChangeError) -> ManagementApiError:
    """The answer to a refused password, with each failed rule named."""
    if isinstance(error, PasswordPolicyError):
        return bad_request(
            "PasswordStrengthError: Password is too weak",
            ErrorCode.PASSWORD_STRENGTH,
            rules=[{"code": f.code, "message": f.message} for f in error.failures],
        )
    if isinstance(error, PasswordNotSupported):
        return bad_request(error.message, ErrorCode.PASSWORD_NOT_SUPPORTED)
    if isinstance(error, DirectSetDisabled):
        return ManagementApiError(403, error.message, ErrorCode.DIRECT_PASSWORD_SET_DISABLED)
    return bad_request(error.message, ErrorCode.OPERATION_NOT_SUPPORTED)


def user_or_404(user_id: str) -> User:
    """A tenant user by id; a staff member's id is answered as an unknown one."""
    user = user_by_user_id(user_id)
    if user is None:
        raise not_found("The user does not exist.", ErrorCode.INEXISTENT_USER)
    return user


def user_data(user: User, query: dict[str, Any] | None = None) -> dict[str, Any]:
    data = ManagementUserSerializer(user).data
    if query:
        return fields_applied(data, query)
    return data


class UserListApi(ManagementApi):
    """List or search users."""

    required_scopes = {"GET": ("read:users",)}
    query_serializers = {"GET": UserListQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_users",
        summary="List or search users",
        parameters=[UserListQuerySerializer],
        responses={
            200: list_or_page(
                "ManagementUserListResponse", ManagementUserSerializer, ManagementUserPageSerializer
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Users matching ``q``, a page at a time; with totals when asked."""
        query = self.query()
        try:
            users = tenant_users_bytewise().filter(user_condition(query.get("q") or ""))
        except QuerySyntaxError as exc:
            raise bad_request(
                f"Query validation error: '{exc}' on property q.",
                ErrorCode.INVALID_QUERY_STRING,
            ) from exc
        if connection := query.get("connection"):
            users = users.filter(connection__name=connection)
        field, direction = (query.get("sort") or "created_at:-1").split(":")
        prefix = "-" if direction == "-1" else ""
        users = users.order_by(f"{prefix}{SORT_FIELDS[field]}", f"{prefix}id")
        page, per_page = query["page"], query["per_page"]
        start = page * per_page
        if start + per_page > SEARCH_WINDOW:
            raise bad_request(
                f"You can only page through the first {SEARCH_WINDOW} records.",
                ErrorCode.INVALID_QUERY_STRING,
            )
        return page_response(
            query, users, "users", lambda page: [user_data(u, query) for u in page]
        )


class UserCreateApi(ManagementApi):
    """Create a user in a database connection."""

    required_scopes = {"POST": ("create:users",)}

    @extend_schema(
        tags=[TAG],
        operation_id="post_users",
        summary="Create a user",
        request=UserCreateInputSerializer,
        responses={
            201: ManagementUserSerializer,
            400: PasswordErrorSerializer,
            **error_responses(409),
        },
    )
    def post(self, request: Request) -> Response:
        """Create a user; the connection's password policy applies to the password."""
        data = self.body(UserCreateInputSerializer)
        connection = connection_by_name(data.pop("connection"))
        if connection is None:
            raise bad_request("The connection does not exist.", ErrorCode.INEXISTENT_CONNECTION)
        profile = {key: value for key, value in data.items() if value is not None}
        try:
            user = user_create(
                connection=connection,
                audit=self.door_audit,
                **profile,
            )
        except PasswordChangeError as exc:
            raise password_error(exc) from exc
        except UserAlreadyExists as exc:
            raise ManagementApiError(409, str(exc), ErrorCode.USER_EXISTS) from exc
        return Response(user_data(user), status=status.HTTP_201_CREATED)


class UserGetApi(ManagementApi):
    """Get a user."""

    required_scopes = {"GET": ("read:users",)}
    query_serializers = {"GET": UserFieldsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_users_by_id",
        summary="Get a user",
        parameters=[USER_ID_PARAMETER, *FIELDS_PARAMETERS],
        responses={200: ManagementUserSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The user with this id."""
        query = self.query()
        return Response(user_data(user_or_404(id), query))


class UserUpdateApi(ManagementApi):
    """Update a user; with ``password``, set the password directly."""

    # update:users_app_metadata alone lets a client change the metadata and nothing else.
    required_scopes = {"PATCH": ("update:users", "update:users_app_metadata")}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_users_by_id",
        summary="Update a user",
        description=(
            "With `password`, sets the password through the connection's policy: no email "
            "goes out, every session and token of the user ends, outstanding tickets are "
            "revoked. A weak password answers 400 `PasswordStrengthError: Password is too weak` "
            "with each failed rule in `rules`."
        ),
        parameters=[USER_ID_PARAMETER],
        request=UserUpdateInputSerializer,
        responses={
            200: ManagementUserSerializer,
            400: PasswordErrorSerializer,
            **error_responses(404, 409),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        """Update the user's profile, block state or password."""
        user = user_or_404(id)
        data = self.body(UserUpdateInputSerializer)
        if "update:users" not in self.client.scopes and set(data) - METADATA_ONLY:
            raise ManagementApiError(
                403,
                "Insufficient scope, expected any of: update:users",
                ErrorCode.INSUFFICIENT_SCOPE,
            )
        connection = data.pop("connection", None)
        if connection is not None and connection != user.connection.name:
            raise bad_request(
                f"The user does not have an identity in the connection {connection}",
                ErrorCode.INEXISTENT_CONNECTION,
            )
        # As in Auth0: with a new email, true sends the verify_email email to it.
        verify_email = bool(data.pop("verify_email", False))
        data.pop("client_id", None)
        try:
            user = user_update(
                user=user, changes=data, audit=self.door_audit, verify_email=verify_email
            )
        except PasswordChangeError as exc:
            raise password_error(exc) from exc
        except UserAlreadyExists as exc:
            raise ManagementApiError(409, str(exc), ErrorCode.USER_EXISTS) from exc
        return Response(user_data(user))


class UserDeleteApi(ManagementApi):
    """Delete a user."""

    required_scopes = {"DELETE": ("delete:users",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_users_by_id",
        summary="Delete a user",
        description=(
            "Their reset links are revoked and their sessions end; logged as `sdu`. As in "
            "Auth0, an id that names nobody answers 204 as well."
        ),
        parameters=[USER_ID_PARAMETER],
        responses={204: None, **error_responses()},
    )
    def delete(self, request: Request, id: str) -> Response:
        """Delete the user with this id, if there is one."""
        user = user_by_user_id(id)
        if user is not None:
            user_delete(user=user, audit=self.door_audit)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UsersByEmailApi(ManagementApi):
    """Users with this email, in every connection."""

    required_scopes = {"GET": ("read:users",)}
    query_serializers = {"GET": UserByEmailQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_users_by_email",
        summary="Search users by email",
        parameters=[UserByEmailQuerySerializer],
        responses={200: ManagementUserSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        """Users whose email matches, compared case-insensitively and Unicode-safely."""
        query = self.query()
        users = users_by_email(query["email"]).order_by("created_at", "id")[:100]
        return Response([user_data(user, query) for user in users])


class UserSessionsDeleteApi(ManagementApi):
    """Force sign-in: end every session and token of the user."""

    required_scopes = {"DELETE": ("delete:sessions",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_user_sessions",
        summary="Delete the user's sessions (force sign-in)",
        parameters=[USER_ID_PARAMETER],
        responses={202: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """End every session of the user; they must sign in again everywhere."""
        user = user_or_404(id)
        sessions_expire(user=user, audit=self.door_audit)
        return Response(status=status.HTTP_202_ACCEPTED)

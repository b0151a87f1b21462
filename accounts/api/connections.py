"""Connections: list, get, and update their password options."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.connections import (
    ConnectionListQuerySerializer,
    ConnectionUpdateInputSerializer,
    ManagementConnectionPageSerializer,
    ManagementConnectionSerializer,
)
from accounts.models import Connection, PolicyLevel
from accounts.services import connection_policy_update

TAG = "Connections"
CONNECTION_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The connection's id, con_..."
)


def connection_or_404(connection_id: str) -> Connection:
    connection = (
        Connection.objects.prefetch_related("applications").filter(id=connection_id).first()
    )
    if connection is None:
        raise not_found("The connection does not exist", ErrorCode.INEXISTENT_CONNECTION)
    return connection


class ConnectionListApi(ManagementApi):
    """List connections."""

    required_scopes = {"GET": ("read:connections",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_connections",
        summary="List connections",
        parameters=[ConnectionListQuerySerializer],
        responses={
            200: PolymorphicProxySerializer(
                component_name="ManagementConnectionListResponse",
                serializers=[
                    ManagementConnectionSerializer(many=True),
                    ManagementConnectionPageSerializer,
                ],
                resource_type_field_name=None,
                many=False,
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Connections, by name, a page at a time."""
        query = self.query(ConnectionListQuerySerializer)
        connections = Connection.objects.prefetch_related("applications").order_by("name", "id")
        if strategy := query.get("strategy"):
            connections = connections.filter(strategy=strategy)
        if name := query.get("name"):
            connections = connections.filter(name=name)
        start = query["page"] * query["per_page"]
        rows = [
            ManagementConnectionSerializer(c).data
            for c in connections[start : start + query["per_page"]]
        ]
        if not query["include_totals"]:
            return Response(rows)
        return Response(
            {
                "start": start,
                "limit": query["per_page"],
                "total": connections.count(),
                "connections": rows,
            }
        )


class ConnectionGetApi(ManagementApi):
    """Get a connection."""

    required_scopes = {"GET": ("read:connections",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_connections_by_id",
        summary="Get a connection",
        parameters=[CONNECTION_ID_PARAMETER],
        responses={200: ManagementConnectionSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The connection with this id, with its password options."""
        return Response(ManagementConnectionSerializer(connection_or_404(id)).data)


class ConnectionUpdateApi(ManagementApi):
    """Update a connection's display name or password options."""

    required_scopes = {"PATCH": ("update:connections",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_connections_by_id",
        summary="Update a connection",
        description=(
            "The password options sent replace those settings; options not sent keep their "
            "value (Auth0 replaces the whole `options` object: sending all of it, as Auth0 "
            "asks, gives the same result here)."
        ),
        parameters=[CONNECTION_ID_PARAMETER],
        request=ConnectionUpdateInputSerializer,
        responses={200: ManagementConnectionSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        """Change the connection's password policy; logged as ``sapi``."""
        connection = connection_or_404(id)
        data = self.body(ConnectionUpdateInputSerializer)
        if "display_name" in data and data["display_name"] != connection.display_name:
            connection.display_name = data["display_name"]
            connection.save(update_fields=["display_name", "updated_at"])
            self.audit("Update a connection", fields=["display_name"])
        options: dict[str, Any] | None = data.get("options")
        if options:
            if not connection.is_database:
                raise bad_request(
                    "Password options apply to database connections only",
                    ErrorCode.OPERATION_NOT_SUPPORTED,
                )
            connection_policy_update(
                connection=connection,
                actor=None,
                request=self.django_request,
                **_policy(connection, options),
            )
        return Response(ManagementConnectionSerializer(connection_or_404(id)).data)


def _policy(connection: Connection, options: dict[str, Any]) -> dict[str, Any]:
    """The connection's whole policy with the options sent applied over it."""
    policy: dict[str, Any] = {
        "password_policy": connection.password_policy,
        "min_length": connection.min_length,
        "history_enable": connection.history_enable,
        "history_size": connection.history_size,
        "no_personal_info": connection.no_personal_info,
        "dictionary_enable": connection.dictionary_enable,
        "dictionary": list(connection.dictionary or []),
    }
    if "passwordPolicy" in options:
        policy["password_policy"] = options["passwordPolicy"] or PolicyLevel.NONE
    if complexity := options.get("password_complexity_options"):
        policy["min_length"] = complexity["min_length"]
    if history := options.get("password_history"):
        policy["history_enable"] = history["enable"]
        policy["history_size"] = history.get("size", connection.history_size)
    if personal := options.get("password_no_personal_info"):
        policy["no_personal_info"] = personal["enable"]
    if dictionary := options.get("password_dictionary"):
        policy["dictionary_enable"] = dictionary["enable"]
        if "dictionary" in dictionary:
            policy["dictionary"] = dictionary["dictionary"]
    return policy

"""Connections: list, get, and update their password options."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.pages import checkpoint_response, list_or_page, page_response
from accounts.api.serializers.base import error_responses, fields_applied
from accounts.api.serializers.connections import (
    ConnectionClientChangeSerializer,
    ConnectionClientPageSerializer,
    ConnectionClientsQuerySerializer,
    ConnectionFieldsQuerySerializer,
    ConnectionListQuerySerializer,
    ConnectionUpdateInputSerializer,
    ManagementConnectionPageSerializer,
    ManagementConnectionSerializer,
)
from accounts.models import Application, Connection, PolicyLevel
from accounts.selectors import applications, tenant_connections
from accounts.services import connection_clients_set, connection_update

TAG = "Connections"
CONNECTION_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The connection's id, con_..."
)


def connection_or_404(connection_id: str) -> Connection:
    connection = (
        tenant_connections().prefetch_related("applications").filter(id=connection_id).first()
    )
    if connection is None:
        raise not_found("The connection does not exist", ErrorCode.INEXISTENT_CONNECTION)
    return connection


class ConnectionListApi(ManagementApi):
    """List connections."""

    required_scopes = {"GET": ("read:connections",)}
    query_serializers = {"GET": ConnectionListQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_connections",
        summary="List connections",
        parameters=[ConnectionListQuerySerializer],
        responses={
            200: list_or_page(
                "ManagementConnectionListResponse",
                ManagementConnectionSerializer,
                ManagementConnectionPageSerializer,
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Connections, by name a page at a time, or by id after a checkpoint ``from``."""
        query = self.query()
        connections = tenant_connections().prefetch_related("applications").order_by("name", "id")
        if strategies := query.get("strategy"):
            connections = connections.filter(strategy__in=strategies)
        if name := query.get("name"):
            connections = connections.filter(name=name)

        def rows(page: Iterable[Connection]) -> list[Any]:
            return [fields_applied(ManagementConnectionSerializer(c).data, query) for c in page]

        if "from" in query or "take" in query:
            connections = connections.order_by("id")
            if checkpoint := query.get("from"):
                connections = connections.filter(id__gt=checkpoint)
            take = query.get("take", 50)
            return checkpoint_response(connections, "connections", rows, take, lambda c: c.id)
        return page_response(query, connections, "connections", rows, length=False)


class ConnectionGetApi(ManagementApi):
    """Get a connection."""

    required_scopes = {"GET": ("read:connections",)}
    query_serializers = {"GET": ConnectionFieldsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_connections_by_id",
        summary="Get a connection",
        parameters=[CONNECTION_ID_PARAMETER, ConnectionFieldsQuerySerializer],
        responses={200: ManagementConnectionSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The connection with this id, with its password options."""
        data = ManagementConnectionSerializer(connection_or_404(id)).data
        return Response(fields_applied(data, self.query()))


class ConnectionUpdateApi(ManagementApi):
    """Update a connection's display name or password options."""

    required_scopes = {"PATCH": ("update:connections",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_connections_by_id",
        summary="Update a connection",
        description=(
            "`options` may be the whole object Auth0 returns: the password options are checked "
            "and applied; every other option (`brute_force_protection`, `mfa`, ...) is kept as "
            "sent, replacing those kept before, and returned. Password options not sent keep "
            "their value (Auth0 would reset them: send the whole object, as Auth0 asks). "
            "`enabled_clients` replaces the applications enabled on the connection."
        ),
        parameters=[CONNECTION_ID_PARAMETER],
        request=ConnectionUpdateInputSerializer,
        responses={200: ManagementConnectionSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        """Change the connection's name, options or clients; logged as ``sapi``."""
        connection = connection_or_404(id)
        data = self.body(ConnectionUpdateInputSerializer)
        options: dict[str, Any] | None = data.get("options")
        policy = extra = None
        if options is not None:
            extra = options.pop("extra")
            if options and not connection.is_database:
                raise bad_request(
                    "Password options apply to database connections only",
                    ErrorCode.OPERATION_NOT_SUPPORTED,
                )
            policy = _policy(connection, options) if connection.is_database else None
        clients = None
        if "enabled_clients" in data:
            clients = applications_or_400(data["enabled_clients"], "enabled_clients")
        connection_update(
            connection=connection,
            display_name=data.get("display_name"),
            policy=policy,
            options_extra=extra,
            enabled_clients=clients,
            audit=self.door_audit,
        )
        return Response(ManagementConnectionSerializer(connection_or_404(id)).data)


def applications_or_400(client_ids: list[str], prop: str) -> list[Application]:
    """The applications of these client ids (a 400 naming the first unknown one)."""
    found = {a.client_id: a for a in applications().filter(client_id__in=client_ids)}
    for client_id in client_ids:
        if client_id not in found:
            raise bad_request(
                f"Payload validation error: 'Client {client_id} does not exist' on property {prop}."
            )
    return list(found.values())


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
    if "password_reset_method" in options:
        policy["password_reset_method"] = options["password_reset_method"]
    if dictionary := options.get("password_dictionary"):
        policy["dictionary_enable"] = dictionary["enable"]
        if "dictionary" in dictionary:
            policy["dictionary"] = dictionary["dictionary"]
    return policy


class ConnectionClientsGetApi(ManagementApi):
    """The applications enabled on a connection."""

    required_scopes = {"GET": ("read:connections",)}
    query_serializers = {"GET": ConnectionClientsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_connection_clients",
        summary="Get the clients enabled on a connection",
        parameters=[CONNECTION_ID_PARAMETER, ConnectionClientsQuerySerializer],
        responses={200: ConnectionClientPageSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """Client ids, ``take`` at a time after ``from``."""
        query = self.query()
        clients = connection_or_404(id).applications.order_by("client_id")
        if checkpoint := query.get("from"):
            clients = clients.filter(client_id__gt=checkpoint)
        return checkpoint_response(
            clients.values_list("client_id", flat=True),
            "clients",
            lambda page: [{"client_id": c} for c in page],
            query["take"],
            str,
        )


class ConnectionClientsUpdateApi(ManagementApi):
    """Enable or disable applications on a connection."""

    required_scopes = {"PATCH": ("update:connections",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_clients",
        summary="Enable or disable clients on a connection",
        parameters=[CONNECTION_ID_PARAMETER],
        request=ConnectionClientChangeSerializer(many=True),
        responses={204: None, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        """``[{"client_id", "status"}]``: status true enables, false disables."""
        connection = connection_or_404(id)
        serializer = ConnectionClientChangeSerializer(data=request.data, many=True)
        if not isinstance(request.data, list) or len(request.data) > 50:
            raise bad_request("Payload validation error: 'Expected an array of up to 50 items'.")
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data
        found = applications_or_400([c["client_id"] for c in changes], "client_id")
        by_id = {a.client_id: a for a in found}
        connection_clients_set(
            connection=connection,
            enable=[by_id[c["client_id"]] for c in changes if c["status"]],
            disable=[by_id[c["client_id"]] for c in changes if not c["status"]],
            audit=self.door_audit,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

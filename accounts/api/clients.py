"""Clients (applications) and client grants: list and get, read only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.pages import checkpoint_response, list_or_page, page_response
from accounts.api.serializers.base import error_responses, fields_applied
from accounts.api.serializers.clients import (
    ClientFieldsQuerySerializer,
    ClientGrantListQuerySerializer,
    ClientListQuerySerializer,
    ManagementClientGrantPageSerializer,
    ManagementClientGrantSerializer,
    ManagementClientPageSerializer,
    ManagementClientSerializer,
    grant_id,
)
from accounts.models import Application, ClientGrant
from accounts.selectors import applications, client_grants

TAG = "Clients"
SECRET_NOTE = (
    "`client_secret` is never returned, with `read:client_keys` or without: Rekey keeps only a "
    "hash of it. The secret is shown once, when the dashboard makes or rotates it."
)


def client_data(application: Application, query: dict[str, Any]) -> dict[str, Any]:
    tenant = urlsplit(settings.PUBLIC_URL).hostname or ""
    data = ManagementClientSerializer(application, context={"tenant": tenant}).data
    return fields_applied(data, query)


class ClientListApi(ManagementApi):
    """List clients."""

    required_scopes = {"GET": ("read:clients",)}
    query_serializers = {"GET": ClientListQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_clients",
        summary="List clients",
        description=SECRET_NOTE,
        parameters=[ClientListQuerySerializer],
        responses={
            200: list_or_page(
                "ManagementClientListResponse",
                ManagementClientSerializer,
                ManagementClientPageSerializer,
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Clients by name, a page at a time."""
        query = self.query()
        clients = applications().order_by("name", "client_id")
        if query.get("is_global") is True or query.get("is_first_party") is False:
            clients = clients.none()  # every Rekey client is first party and not global
        if app_types := query.get("app_type"):
            clients = clients.filter(app_type__in=[t.strip() for t in app_types.split(",")])
        return page_response(
            query, clients, "clients", lambda page: [client_data(c, query) for c in page]
        )


class ClientGetApi(ManagementApi):
    """Get a client."""

    required_scopes = {"GET": ("read:clients",)}
    query_serializers = {"GET": ClientFieldsQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_clients_by_id",
        summary="Get a client",
        description=SECRET_NOTE,
        parameters=[
            OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH),
            ClientFieldsQuerySerializer,
        ],
        responses={200: ManagementClientSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The client with this id."""
        application = applications().filter(client_id=id).first()
        if application is None:
            raise not_found("The client does not exist", ErrorCode.INEXISTENT_CLIENT)
        return Response(client_data(application, self.query()))


class ClientGrantListApi(ManagementApi):
    """List client grants."""

    required_scopes = {"GET": ("read:client_grants",)}
    query_serializers = {"GET": ClientGrantListQuerySerializer}

    @extend_schema(
        tags=["Client grants"],
        operation_id="get_client_grants",
        summary="List client grants",
        parameters=[ClientGrantListQuerySerializer],
        responses={
            200: list_or_page(
                "ManagementClientGrantListResponse",
                ManagementClientGrantSerializer,
                ManagementClientGrantPageSerializer,
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Grants, optionally of one audience or client, a page at a time."""
        query = self.query()
        grants = client_grants().order_by("pk")
        if audience := query.get("audience"):
            grants = grants.filter(audience=audience)
        if client_id := query.get("client_id"):
            grants = grants.filter(application_id=client_id)
        if query.get("subject_type") == "user" or query.get("default_for"):
            grants = grants.none()
        if "from" in query or "take" in query:
            if checkpoint := query.get("from"):
                grants = grants.filter(pk__gt=_grant_pk(checkpoint))
            return checkpoint_response(
                grants, "client_grants", _grant_rows, query.get("take", 50), grant_id
            )
        return page_response(query, grants, "client_grants", _grant_rows)


def _grant_rows(grants: Iterable[ClientGrant]) -> list[Any]:
    return [ManagementClientGrantSerializer(g).data for g in grants]


def _grant_pk(checkpoint: str) -> int:
    try:
        return int(checkpoint.removeprefix("cgr_"))
    except ValueError as exc:
        raise bad_request(
            "Query validation error: 'from is not a client grant id' on property from.",
            ErrorCode.INVALID_QUERY_STRING,
        ) from exc

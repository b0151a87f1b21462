"""Log events: search (page or checkpoint) and get one."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.lucene import QuerySyntaxError, Term, parse
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.logs import (
    LogListQuerySerializer,
    ManagementLogPageSerializer,
    ManagementLogSerializer,
)
from accounts.api.user_search import date_filter
from accounts.models import LogEvent

TAG = "Logs"


def _exact(field: str) -> Callable[[Term], Q]:
    def build(term: Term) -> Q:
        if term.is_range:
            raise QuerySyntaxError(f"{field} does not take a range")
        lookup = "startswith" if term.prefix else "exact"
        return Q(**{f"{field}__{lookup}": term.value})

    return build


LOG_FIELDS: dict[str, Callable[[Term], Q]] = {
    "type": _exact("type"),
    "user_id": _exact("user_id_text"),
    "user_name": _exact("user_name"),
    "client_id": _exact("client_id"),
    "connection": _exact("connection"),
    "connection_id": _exact("connection_id"),
    "ip": _exact("ip"),
    "log_id": _exact("log_id"),
    "date": date_filter("date"),
}


def logs_search(query: str) -> Q:
    """The filter of a log search ``q``."""
    condition = Q()
    for term in parse(query):
        if term.field is None:
            condition &= Q(description__icontains=term.value)
            continue
        build = LOG_FIELDS.get(term.field)
        if build is None:
            raise QuerySyntaxError(f"searching on {term.field} is not supported")
        condition &= build(term)
    return condition


class LogListApi(ManagementApi):
    """Search log events."""

    required_scopes = {"GET": ("read:logs",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_logs",
        summary="Search log events",
        parameters=[LogListQuerySerializer],
        responses={
            200: PolymorphicProxySerializer(
                component_name="ManagementLogListResponse",
                serializers=[ManagementLogSerializer(many=True), ManagementLogPageSerializer],
                resource_type_field_name=None,
                many=False,
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Log events matching ``q``: by page (newest first) or after a checkpoint ``from``."""
        query = self.query(LogListQuerySerializer)
        try:
            condition = logs_search(query.get("q") or "")
        except QuerySyntaxError as exc:
            raise bad_request(
                f"Query validation error: '{exc}' on property q.",
                ErrorCode.INVALID_QUERY_STRING,
            ) from exc
        logs = LogEvent.objects.filter(condition)
        if "from" in query or "take" in query:
            # log ids begin with a millisecond timestamp: their order is the events' order.
            if checkpoint := query.get("from"):
                logs = logs.filter(log_id__gt=checkpoint)
            after = logs.order_by("log_id")[: query.get("take", 50)]
            return Response(ManagementLogSerializer(after, many=True).data)
        ascending = query.get("sort") == "date:1"
        logs = logs.order_by(*(("date", "id") if ascending else ("-date", "-id")))
        start = query["page"] * query["per_page"]
        rows = ManagementLogSerializer(logs[start : start + query["per_page"]], many=True).data
        if not query["include_totals"]:
            return Response(rows)
        return Response(
            {
                "start": start,
                "limit": query["per_page"],
                "length": len(rows),
                "total": logs.count(),
                "logs": rows,
            }
        )


class LogGetApi(ManagementApi):
    """Get a log event."""

    required_scopes = {"GET": ("read:logs",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_logs_by_id",
        summary="Get a log event",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: ManagementLogSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The log event with this id."""
        event = LogEvent.objects.filter(log_id=id).first()
        if event is None:
            raise not_found("Log event not found", ErrorCode.INEXISTENT_LOG)
        return Response(ManagementLogSerializer(event).data)

"""Log events: search (page or checkpoint) and get one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.lucene import QuerySyntaxError, Term, parse
from accounts.api.pages import list_or_page, page_response
from accounts.api.serializers.base import error_responses, fields_applied
from accounts.api.serializers.logs import (
    LogListQuerySerializer,
    ManagementLogPageSerializer,
    ManagementLogSerializer,
    UserLogListQuerySerializer,
)
from accounts.api.user_search import date_filter
from accounts.models import LogEvent
from accounts.selectors import logs_search, tenant_log_events, user_by_user_id

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


def log_condition(query: str) -> Q:
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


def log_rows(events: Iterable[LogEvent], query: dict[str, Any]) -> list[dict[str, Any]]:
    return [fields_applied(ManagementLogSerializer(event).data, query) for event in events]


def _sorted(logs: QuerySet[LogEvent], query: dict[str, Any]) -> QuerySet[LogEvent]:
    """Newest first, or oldest first with ``sort=date:1``."""
    ascending = query.get("sort") == "date:1"
    return logs.order_by(*(("date", "id") if ascending else ("-date", "-id")))


class LogListApi(ManagementApi):
    """Search log events."""

    required_scopes = {"GET": ("read:logs", "read:logs_users")}
    query_serializers = {"GET": LogListQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_logs",
        summary="Search log events",
        parameters=[LogListQuerySerializer],
        responses={
            200: list_or_page(
                "ManagementLogListResponse", ManagementLogSerializer, ManagementLogPageSerializer
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        """Log events matching ``q``: by page (newest first) or after a checkpoint ``from``."""
        query = self.query()
        try:
            condition = log_condition(query.get("q") or query.get("search") or "")
        except QuerySyntaxError as exc:
            raise bad_request(
                f"Query validation error: '{exc}' on property q.",
                ErrorCode.INVALID_QUERY_STRING,
            ) from exc
        logs = logs_search(events=tenant_log_events(), condition=condition)
        if "from" in query or "take" in query:
            # log ids begin with a millisecond timestamp: their order is the events' order.
            if checkpoint := query.get("from"):
                logs = logs.filter(log_id__gt=checkpoint)
            after = logs.order_by("log_id")[: query.get("take", 50)]
            return Response(log_rows(after, query))
        return page_response(
            query, _sorted(logs, query), "logs", lambda page: log_rows(page, query)
        )


class LogGetApi(ManagementApi):
    """Get a log event."""

    required_scopes = {"GET": ("read:logs", "read:logs_users")}

    @extend_schema(
        tags=[TAG],
        operation_id="get_logs_by_id",
        summary="Get a log event",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: ManagementLogSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The log event with this id."""
        event = tenant_log_events().filter(log_id=id).first()
        if event is None:
            raise not_found("Log event not found", ErrorCode.INEXISTENT_LOG)
        return Response(ManagementLogSerializer(event).data)


class UserLogListApi(ManagementApi):
    """A user's log events."""

    required_scopes = {"GET": ("read:logs", "read:logs_users")}
    query_serializers = {"GET": UserLogListQuerySerializer}

    @extend_schema(
        tags=[TAG],
        operation_id="get_logs_by_user",
        summary="Get a user's log events",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH),
            UserLogListQuerySerializer,
        ],
        responses={
            200: list_or_page(
                "ManagementUserLogListResponse",
                ManagementLogSerializer,
                ManagementLogPageSerializer,
            ),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        """The user's events, newest first by default, a page at a time."""
        query = self.query()
        user = user_by_user_id(id)
        if user is None:
            raise not_found("The user does not exist.", ErrorCode.INEXISTENT_USER)
        logs = _sorted(tenant_log_events().filter(user=user), query)
        return page_response(query, logs, "logs", lambda page: log_rows(page, {}))

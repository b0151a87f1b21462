"""Sessions: a user's login sessions, get one, end one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.sessions.models import Session
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.pages import checkpoint_response
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.sessions import (
    ManagementSessionPageSerializer,
    ManagementSessionSerializer,
    UserSessionListQuerySerializer,
)
from accounts.api.users import USER_ID_PARAMETER, user_or_404
from accounts.models import UserSession
from accounts.selectors import tenant_sessions
from accounts.services import session_delete

TAG = "Sessions"
SESSION_ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)


def sessions_data(sessions: Iterable[UserSession]) -> list[dict[str, Any]]:
    sessions = list(sessions)
    expiry: dict[str, datetime] = dict(
        Session.objects.filter(session_key__in=[s.session_key for s in sessions]).values_list(
            "session_key", "expire_date"
        )
    )
    context = {"expiry": expiry}
    return [ManagementSessionSerializer(s, context=context).data for s in sessions]


def session_or_404(session_id: str) -> UserSession:
    """A tenant user's session by id; a staff member's is answered as an unknown one."""
    session = tenant_sessions().filter(sid=session_id).first()
    if session is None:
        raise not_found("The session does not exist", ErrorCode.INEXISTENT_SESSION)
    return session


class UserSessionListApi(ManagementApi):
    """A user's login sessions."""

    required_scopes = {"GET": ("read:sessions",)}
    query_serializers = {"GET": UserSessionListQuerySerializer}

    @extend_schema(
        tags=["Users"],
        operation_id="get_sessions_for_user",
        summary="Get a user's sessions",
        description="Checkpoint paging: `next` names the `from` of the following page.",
        parameters=[USER_ID_PARAMETER, UserSessionListQuerySerializer],
        responses={200: ManagementSessionPageSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The user's sessions, oldest first, ``take`` at a time after ``from``."""
        query = self.query()
        user = user_or_404(id)
        sessions = tenant_sessions().filter(user=user).order_by("id")
        if checkpoint := query.get("from"):
            after = sessions.filter(sid=checkpoint).values_list("id", flat=True).first()
            if after is None:
                raise bad_request(
                    "Query validation error: 'from is not a session of this user' on "
                    "property from.",
                    ErrorCode.INVALID_QUERY_STRING,
                )
            sessions = sessions.filter(id__gt=after)
        return checkpoint_response(
            sessions, "sessions", sessions_data, query["take"], lambda s: s.sid
        )


class SessionGetApi(ManagementApi):
    """Get a session."""

    required_scopes = {"GET": ("read:sessions",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_session",
        summary="Get a session",
        parameters=[SESSION_ID_PARAMETER],
        responses={200: ManagementSessionSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The session with this id."""
        return Response(sessions_data([session_or_404(id)])[0])


class SessionDeleteApi(ManagementApi):
    """End a session."""

    required_scopes = {"DELETE": ("delete:sessions",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_session",
        summary="Delete a session",
        description="The browser signed in with it must sign in again; logged as `sapi`.",
        parameters=[SESSION_ID_PARAMETER],
        responses={200: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """End the session with this id."""
        session_delete(session=session_or_404(id), audit=self.door_audit)
        return Response(status=status.HTTP_200_OK)

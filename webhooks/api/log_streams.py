"""Log streams (Auth0's type http): list, create, get, update, delete."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.serializers.base import StrictInputSerializer, error_responses
from webhooks.models import LogStream, LogStreamFormat, LogStreamStatus
from webhooks.streams import (
    StreamInvalid,
    log_stream_create,
    log_stream_delete,
    log_stream_update,
)

TAG = "Log streams"
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)


class LogStreamSinkInputSerializer(StrictInputSerializer):
    httpEndpoint = serializers.URLField(required=False, max_length=2000)
    httpAuthorization = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    httpContentType = serializers.CharField(required=False, max_length=100)
    httpContentFormat = serializers.ChoiceField(required=False, choices=LogStreamFormat.values)


class LogStreamFilterSerializer(StrictInputSerializer):
    type = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=64)


class LogStreamCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(required=False, max_length=200)
    type = serializers.ChoiceField(choices=["http"])
    sink = LogStreamSinkInputSerializer()
    filters = LogStreamFilterSerializer(many=True, required=False)
    # Auth0's priority streams have no meaning here (one delivery path): accepted and ignored.
    isPriority = serializers.BooleanField(required=False)
    startFrom = serializers.DateTimeField(required=False)


class LogStreamUpdateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(required=False, max_length=200)
    status = serializers.ChoiceField(
        required=False, choices=[LogStreamStatus.ACTIVE, LogStreamStatus.PAUSED]
    )
    sink = LogStreamSinkInputSerializer(required=False)
    filters = LogStreamFilterSerializer(many=True, required=False)


class ManagementLogStreamSerializer(serializers.Serializer):
    """Auth0's log stream; the sink's ``httpAuthorization`` is write-only here (kept sealed)."""

    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    sink = serializers.DictField()
    filters = serializers.ListField(child=serializers.DictField())

    def to_representation(self, instance: LogStream) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "name": instance.name,
            "type": instance.type,
            "status": instance.status,
            "sink": {
                "httpEndpoint": instance.endpoint,
                "httpContentType": instance.content_type,
                "httpContentFormat": instance.content_format,
            },
            "filters": list(instance.filters),
        }


def stream_or_404(stream_id: str) -> LogStream:
    stream = LogStream.objects.filter(pk=stream_id).first()
    if stream is None:
        raise not_found("The log stream does not exist.", ErrorCode.NOT_FOUND)
    return stream


SINK_FIELDS = {
    "httpEndpoint": "endpoint",
    "httpAuthorization": "authorization",
    "httpContentType": "content_type",
    "httpContentFormat": "content_format",
}


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = {SINK_FIELDS[key]: value for key, value in dict(data.pop("sink", {})).items()}
    if "filters" in data:
        changes["filters"] = [dict(item) for item in data.pop("filters")]
    changes.update(data)
    return changes


class LogStreamListApi(ManagementApi):
    """Get log streams."""

    required_scopes = {"GET": ("read:log_streams",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_log_streams",
        summary="Get log streams",
        responses={200: ManagementLogStreamSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        """Every log stream of the tenant."""
        return Response(ManagementLogStreamSerializer(LogStream.objects.all(), many=True).data)


class LogStreamCreateApi(ManagementApi):
    """Create a log stream."""

    required_scopes = {"POST": ("create:log_streams",)}

    @extend_schema(
        tags=[TAG],
        operation_id="post_log_streams",
        summary="Create a log stream",
        description="Type `http` only. The endpoint must be https to a public address.",
        request=LogStreamCreateInputSerializer,
        responses={200: ManagementLogStreamSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        """Create an active stream of the events logged from now on; logged as ``sapi``."""
        data = self.body(LogStreamCreateInputSerializer)
        data.pop("type")
        data.pop("isPriority", None)
        start_from = data.pop("startFrom", None)
        changes = _changes(data)
        if "endpoint" not in changes:
            raise bad_request("Payload validation error: 'Missing required property: httpEndpoint'")
        try:
            stream = log_stream_create(
                name=changes.pop("name", "") or changes["endpoint"],
                **changes,
                start_from=start_from,
                application=self.client.application,
                request=self.django_request,
            )
        except StreamInvalid as exc:
            raise bad_request(str(exc)) from exc
        return Response(ManagementLogStreamSerializer(stream).data)


class LogStreamGetApi(ManagementApi):
    """Get a log stream."""

    required_scopes = {"GET": ("read:log_streams",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_log_streams_by_id",
        summary="Get a log stream",
        parameters=[ID_PARAMETER],
        responses={200: ManagementLogStreamSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The stream with that id."""
        return Response(ManagementLogStreamSerializer(stream_or_404(id)).data)


class LogStreamUpdateApi(ManagementApi):
    """Update a log stream."""

    required_scopes = {"PATCH": ("update:log_streams",)}

    @extend_schema(
        tags=[TAG],
        operation_id="patch_log_streams_by_id",
        summary="Update a log stream",
        description="`status` `active` resumes a paused or suspended stream from where it was.",
        parameters=[ID_PARAMETER],
        request=LogStreamUpdateInputSerializer,
        responses={200: ManagementLogStreamSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request, id: str) -> Response:
        """Change the properties sent; logged as ``sapi``."""
        stream = stream_or_404(id)
        data = self.body(LogStreamUpdateInputSerializer)
        try:
            log_stream_update(
                stream=stream,
                changes=_changes(data),
                application=self.client.application,
                request=self.django_request,
            )
        except StreamInvalid as exc:
            raise bad_request(str(exc)) from exc
        return Response(ManagementLogStreamSerializer(stream).data)


class LogStreamDeleteApi(ManagementApi):
    """Delete a log stream."""

    required_scopes = {"DELETE": ("delete:log_streams",)}

    @extend_schema(
        tags=[TAG],
        operation_id="delete_log_streams_by_id",
        summary="Delete a log stream",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """Delete the stream; logged as ``sapi``."""
        log_stream_delete(
            stream=stream_or_404(id),
            application=self.client.application,
            request=self.django_request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

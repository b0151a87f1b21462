"""The webhooks app's Management API operations (log streams)."""

from django.urls import path

from accounts.api.auth import route
from webhooks.api import log_streams

LogStreamsApi = route("LogStreamsApi", log_streams.LogStreamListApi, log_streams.LogStreamCreateApi)
LogStreamApi = route(
    "LogStreamApi",
    log_streams.LogStreamGetApi,
    log_streams.LogStreamUpdateApi,
    log_streams.LogStreamDeleteApi,
)

urlpatterns = [
    path("api/v2/log-streams", LogStreamsApi.as_view(), name="log-streams"),
    path("api/v2/log-streams/<str:id>", LogStreamApi.as_view(), name="log-stream"),
]

"""The accounts app's API: the token endpoint, the JWKS, and the Management API's users and
their sessions, tokens and blocks, clients, connections, tenant settings and logs (each route
with its own prefix; config/api.py composes the apps' APIs)."""

from django.urls import path, re_path

from accounts.api import (
    authenticators,
    clients,
    connections,
    jobs,
    logs,
    oauth,
    refresh_tokens,
    sessions,
    tenant,
    user_blocks,
    users,
)
from accounts.api.auth import route

JOB_ID = r"(?P<id>(?!verification-email$)[^/]+)"
UsersApi = route("UsersApi", users.UserListApi, users.UserCreateApi)
UserApi = route("UserApi", users.UserGetApi, users.UserUpdateApi, users.UserDeleteApi)
UserSessionsApi = route("UserSessionsApi", sessions.UserSessionListApi, users.UserSessionsDeleteApi)
SessionApi = route("SessionApi", sessions.SessionGetApi, sessions.SessionDeleteApi)
UserBlocksApi = route(
    "UserBlocksApi",
    user_blocks.UserBlocksByIdentifierGetApi,
    user_blocks.UserBlocksByIdentifierDeleteApi,
)
UserBlockApi = route("UserBlockApi", user_blocks.UserBlocksGetApi, user_blocks.UserBlocksDeleteApi)
UserRefreshTokensApi = route(
    "UserRefreshTokensApi",
    refresh_tokens.UserRefreshTokensGetApi,
    refresh_tokens.UserRefreshTokensDeleteApi,
)
RefreshTokenApi = route(
    "RefreshTokenApi", refresh_tokens.RefreshTokenGetApi, refresh_tokens.RefreshTokenDeleteApi
)
TenantSettingsApi = route(
    "TenantSettingsApi", tenant.TenantSettingsGetApi, tenant.TenantSettingsUpdateApi
)
ConnectionClientsApi = route(
    "ConnectionClientsApi",
    connections.ConnectionClientsGetApi,
    connections.ConnectionClientsUpdateApi,
)
ConnectionApi = route(
    "ConnectionApi", connections.ConnectionGetApi, connections.ConnectionUpdateApi
)

urlpatterns = [
    path("oauth/token", oauth.OAuthTokenApi.as_view(), name="oauth-token"),
    path(".well-known/jwks.json", oauth.jwks_view, name="jwks"),
    path("api/v2/users", UsersApi.as_view(), name="users"),
    path("api/v2/users/<str:id>", UserApi.as_view(), name="user"),
    path("api/v2/users/<str:id>/sessions", UserSessionsApi.as_view(), name="user-sessions"),
    path("api/v2/sessions/<str:id>", SessionApi.as_view(), name="session"),
    path("api/v2/users/<str:id>/logs", logs.UserLogListApi.as_view(), name="user-logs"),
    path(
        "api/v2/users/<str:id>/refresh-tokens",
        UserRefreshTokensApi.as_view(),
        name="user-refresh-tokens",
    ),
    path(
        "api/v2/users/<str:id>/authenticators",
        authenticators.UserAuthenticatorsDeleteApi.as_view(),
        name="user-authenticators",
    ),
    path("api/v2/refresh-tokens/<str:id>", RefreshTokenApi.as_view(), name="refresh-token"),
    path("api/v2/user-blocks", UserBlocksApi.as_view(), name="user-blocks"),
    path("api/v2/user-blocks/<str:id>", UserBlockApi.as_view(), name="user-block"),
    path("api/v2/users-by-email", users.UsersByEmailApi.as_view(), name="users-by-email"),
    path("api/v2/connections", connections.ConnectionListApi.as_view(), name="connections"),
    path("api/v2/connections/<str:id>", ConnectionApi.as_view(), name="connection"),
    path(
        "api/v2/connections/<str:id>/clients",
        ConnectionClientsApi.as_view(),
        name="connection-clients",
    ),
    path("api/v2/clients", clients.ClientListApi.as_view(), name="clients"),
    path("api/v2/clients/<str:id>", clients.ClientGetApi.as_view(), name="client"),
    path("api/v2/client-grants", clients.ClientGrantListApi.as_view(), name="client-grants"),
    path("api/v2/tenants/settings", TenantSettingsApi.as_view(), name="tenant-settings"),
    path("api/v2/jobs/users-imports", jobs.UsersImportJobCreateApi.as_view(), name="users-imports"),
    path("api/v2/jobs/users-exports", jobs.UsersExportJobCreateApi.as_view(), name="users-exports"),
    # Any id but verification-email, the tickets app's route on the same prefix.
    re_path(rf"^api/v2/jobs/{JOB_ID}$", jobs.JobGetApi.as_view(), name="job"),
    re_path(rf"^api/v2/jobs/{JOB_ID}/errors$", jobs.JobErrorsApi.as_view(), name="job-errors"),
    re_path(rf"^api/v2/jobs/{JOB_ID}/file$", jobs.JobFileApi.as_view(), name="job-file"),
    path("api/v2/logs", logs.LogListApi.as_view(), name="logs"),
    path("api/v2/logs/<str:id>", logs.LogGetApi.as_view(), name="log"),
]

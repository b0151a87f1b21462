"""Routes of the token endpoint, the JWKS and the Management API (each with its own prefix,
since config/urls.py includes this module at the root)."""

from typing import Any

from django.conf import settings
from django.urls import path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import connections, email_templates, logs, oauth, tickets, users
from accounts.api.auth import route
from accounts.api.errors import api_not_found

app_name = "api"

# Swagger UI (served by the sidecar from our own static files) sets inline styles.
DOCS_CSP: dict[str, Any] = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}

UsersApi = route("UsersApi", users.UserListApi, users.UserCreateApi)
UserApi = route("UserApi", users.UserGetApi, users.UserUpdateApi)
EmailTemplateApi = route(
    "EmailTemplateApi", email_templates.EmailTemplateGetApi, email_templates.EmailTemplateUpdateApi
)
ConnectionApi = route(
    "ConnectionApi", connections.ConnectionGetApi, connections.ConnectionUpdateApi
)

urlpatterns = [
    path("oauth/token", oauth.OAuthTokenApi.as_view(), name="oauth-token"),
    path(".well-known/jwks.json", oauth.jwks_view, name="jwks"),
    path("api/v2/users", UsersApi.as_view(), name="users"),
    path("api/v2/users/<str:id>", UserApi.as_view(), name="user"),
    path(
        "api/v2/users/<str:id>/sessions",
        users.UserSessionsDeleteApi.as_view(),
        name="user-sessions",
    ),
    path("api/v2/users-by-email", users.UsersByEmailApi.as_view(), name="users-by-email"),
    path("api/v2/connections", connections.ConnectionListApi.as_view(), name="connections"),
    path("api/v2/connections/<str:id>", ConnectionApi.as_view(), name="connection"),
    path(
        "api/v2/tickets/password-change",
        tickets.PasswordChangeTicketCreateApi.as_view(),
        name="tickets-password-change",
    ),
    path(
        "api/v2/email-templates/<str:templateName>",
        EmailTemplateApi.as_view(),
        name="email-template",
    ),
    path("api/v2/logs", logs.LogListApi.as_view(), name="logs"),
    path("api/v2/logs/<str:id>", logs.LogGetApi.as_view(), name="log"),
    path("api/v2/schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/v2/docs",
        csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    # Anything else under /api/v2/ is a 404 in Auth0's shape, not Django's HTML page.
    re_path(r"^api/v2/.*$", api_not_found, name="not-found"),
]

"""The OIDC endpoints on Auth0's paths: /authorize, /userinfo, /oauth/revoke, /v2/logout and
/.well-known/openid-configuration; ``token_response`` answers /oauth/token's user grants."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from accounts.events import log_event
from accounts.models import LogType, User
from accounts.oidc.server import OIDC_GRANT_TYPES, PASSWORD_REALM, TokenRequest, server
from accounts.oidc.tokens import OIDC_SCOPES, user_access_token_verify, user_claims
from accounts.selectors import application_by_client_id, user_by_user_id
from accounts.tokens import InvalidToken, issuer

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SUCCESS_LOG = {
    "authorization_code": (LogType.SUCCESS_CODE_EXCHANGE, "Authorization Code for Access Token"),
    "refresh_token": (LogType.SUCCESS_REFRESH_EXCHANGE, "Refresh Token for Access Token"),
}
FAILURE_LOG = {
    "authorization_code": LogType.FAILED_CODE_EXCHANGE,
    "refresh_token": LogType.FAILED_REFRESH_EXCHANGE,
    "password": LogType.FAILED_PASSWORD_EXCHANGE,
    PASSWORD_REALM: LogType.FAILED_PASSWORD_EXCHANGE,
}
# Parameters of /authorize passed on to the hosted login page.
LOGIN_PARAMS = ("client_id", "connection", "ui_locales", "login_hint", "screen_hint")


def token_response(http_request: HttpRequest, data: Any) -> HttpResponse:
    """/oauth/token for the user grants (code, refresh, password, password-realm)."""
    request = TokenRequest(http_request, "/oauth/token", dict(data.items()))
    response: HttpResponse = server.create_token_response(request)
    grant_type = request.payload.grant_type or ""
    application = request.client.application if request.client else None
    response = _auth0_shape(response, grant_type)
    if response.status_code == 200:
        if grant_type in SUCCESS_LOG:
            type_, description = SUCCESS_LOG[grant_type]
            log_event(
                type=type_,
                description=description,
                user=request.user,
                application=application,
                request=http_request,
                details={"scope": json.loads(response.content).get("scope", "")},
            )
    elif not request.logged and grant_type in FAILURE_LOG:
        body = json.loads(response.content or b"{}")
        log_event(
            type=FAILURE_LOG[grant_type],
            description=str(body.get("error_description") or body.get("error", ""))[:500],
            application=application,
            request=http_request,
            details={"grant_type": grant_type, "error": body.get("error", "")},
        )
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def _auth0_shape(response: HttpResponse, grant_type: str) -> HttpResponse:
    """Auth0's answer to a grant the application may not use: 403 and its own words."""
    if response.status_code != 400:
        return response
    body = json.loads(response.content or b"{}")
    if body.get("error") != "unauthorized_client":
        return response
    return JsonResponse(
        {
            "error": "unauthorized_client",
            "error_description": f"Grant type '{grant_type}' not allowed for the client.",
        },
        status=403,
    )


def callback_origin(next_url: str) -> str | None:
    """The origin of the allowed callback a login's ``next`` (an /authorize URL) returns to.

    The login page's CSP must allow it in form-action: browsers apply form-action to the
    redirects that follow the form's POST (/u/login, then /authorize, then the callback).
    """
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or parts.path != reverse("accounts:authorize"):
        return None
    query = parse_qs(parts.query)
    application = application_by_client_id((query.get("client_id") or [""])[0])
    redirect_uri = (query.get("redirect_uri") or [""])[0]
    if application is None or redirect_uri not in (application.callbacks or []):
        return None
    target = urlsplit(redirect_uri)
    return f"{target.scheme}://{target.netloc}" if target.scheme and target.netloc else None


def tenant_session_user(request: HttpRequest) -> User | None:
    """The signed-in end user; a staff session is nobody here."""
    user = request.user
    if not user.is_authenticated or not isinstance(user, User):
        return None
    if user.is_staff or user.connection.is_staff_realm or user.blocked:
        return None
    return user


def _error_page(request: HttpRequest, error: OAuth2Error) -> HttpResponse:
    return render(
        request,
        "accounts/oidc_error.html",
        {"error": error.error, "description": error.get_error_description()},
        status=400,
    )


@never_cache
@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    """Authorization code flow: sign in on the hosted page, then back to an allowed callback."""
    oauth_request = TokenRequest(request, "/authorize", request.GET.dict())
    user = tenant_session_user(request)
    prompt = request.GET.get("prompt", "")
    connection = request.GET.get("connection", "")
    if user is not None and connection and user.connection.name != connection:
        user = None
    if user is not None and "login" in prompt.split():
        logout(request)
        user = None
    try:
        grant = server.get_consent_grant(oauth_request, end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(oauth_request, error)
        return _error_page(request, error)
    if user is None:
        params = {k: v for k, v in request.GET.items() if k != "prompt"}
        login_params = {k: request.GET[k] for k in LOGIN_PARAMS if k in request.GET}
        login_params["next"] = reverse("accounts:authorize") + "?" + urlencode(params)
        return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode(login_params))
    application = grant.client.application
    enabled = list(application.enabled_connections.values_list("pk", flat=True))
    if enabled and user.connection_id not in enabled:
        denied = OAuth2Error(
            description="The user's connection is not enabled for this application.",
            redirect_uri=grant.redirect_uri,
        )
        denied.error = "access_denied"
        denied.state = request.GET.get("state")
        return server.handle_error_response(oauth_request, denied)
    response: HttpResponse = server.create_authorization_response(
        oauth_request, grant_user=user, grant=grant
    )
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """The signed-in user's claims, for an access token still in force."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return _unauthorized("invalid_request", "Missing access token")
    try:
        user, claims = user_access_token_verify(header[7:].strip(), user_by_user_id)
    except InvalidToken as exc:
        return _unauthorized("invalid_token", str(exc))
    return JsonResponse(user_claims(user, str(claims.get("scope", ""))), headers=NO_STORE)


def _unauthorized(error: str, description: str) -> HttpResponse:
    response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return response


@csrf_exempt
@sensitive_post_parameters("token", "client_secret")
@never_cache
@require_http_methods(["POST"])
def revoke(request: HttpRequest) -> HttpResponse:
    """RFC 7009 for refresh tokens: the token's whole family ends."""
    data: dict[str, Any]
    if request.content_type == "application/json":
        try:
            loaded = json.loads(request.body or b"{}")
        except ValueError:
            loaded = None
        data = loaded if isinstance(loaded, dict) else {}
    else:
        data = request.POST.dict()
    oauth_request = TokenRequest(request, "/oauth/revoke", data)
    response: HttpResponse = server.create_endpoint_response("revocation", oauth_request)
    return response


@never_cache
@require_GET
def logout_view(request: HttpRequest) -> HttpResponse:
    """Auth0's /v2/logout: end the hosted session; ``returnTo`` must be an allowed logout URL."""
    return_to = request.GET.get("returnTo", "")
    application = application_by_client_id(request.GET.get("client_id", ""))
    if return_to and (application is None or return_to not in application.allowed_logout_urls):
        return render(
            request,
            "accounts/oidc_error.html",
            {
                "error": "invalid_request",
                "description": "The returnTo URL is not in the application's allowed logout URLs.",
            },
            status=400,
        )
    user = tenant_session_user(request)
    if user is not None:
        log_event(
            type=LogType.SUCCESS_LOGOUT,
            description="Success Logout",
            user=user,
            application=application,
            request=request,
            details={"return_to": return_to},
        )
        logout(request)
    return HttpResponseRedirect(return_to or reverse("accounts:login"))


@require_GET
def openid_configuration(request: HttpRequest) -> JsonResponse:
    """The discovery document (OpenID Connect Discovery 1.0)."""
    base = settings.PUBLIC_URL
    document = {
        "issuer": issuer(),
        "authorization_endpoint": base + "/authorize",
        "token_endpoint": base + "/oauth/token",
        "userinfo_endpoint": base + "/userinfo",
        "jwks_uri": base + "/.well-known/jwks.json",
        "revocation_endpoint": base + "/oauth/revoke",
        "end_session_endpoint": base + "/v2/logout",
        "scopes_supported": list(OIDC_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": sorted(OIDC_GRANT_TYPES | {"client_credentials"}),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "aud",
            "auth_time",
            "email",
            "email_verified",
            "exp",
            "family_name",
            "given_name",
            "iat",
            "iss",
            "locale",
            "name",
            "nickname",
            "nonce",
            "picture",
            "sub",
            "updated_at",
        ],
        "request_uri_parameter_supported": False,
    }
    response = JsonResponse(document)
    response["Cache-Control"] = "public, max-age=300"
    return response

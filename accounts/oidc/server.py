"""authlib's authorization server wired to Rekey's applications, users and token storage."""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    RefreshTokenGrant,
    ResourceOwnerPasswordCredentialsGrant,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from joserfc.jwk import RSAKey

from accounts import bruteforce
from accounts.audit import Audit, Door
from accounts.events import log_event
from accounts.models import (
    Application,
    AppType,
    AuthorizationCode,
    LogType,
    RefreshToken,
    RefreshTokenRotation,
    User,
)
from accounts.oidc.tokens import OIDC_SCOPES, user_access_token_issue, user_claims
from accounts.selectors import (
    application_by_client_id,
    connection_for_application,
    tenant_users,
    user_by_email,
)
from accounts.services import application_secret_check, login_record
from accounts.services.refresh_tokens import (
    code_create,
    code_use,
    refresh_token_create,
    refresh_token_use,
    token_hash,
)
from accounts.tokens import issuer, signing_key

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
# The grants this server answers at /oauth/token (client_credentials stays in accounts.api.oauth).
OIDC_GRANT_TYPES = {"authorization_code", "refresh_token", "password", PASSWORD_REALM}
# Opt-in grants: Auth0 never enables them by default.
EXPLICIT_GRANTS = {"password", PASSWORD_REALM}
ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
ID_TOKEN_LIFETIME = 36000  # Auth0's default: 10 hours


def grant_allowed(application: Application, grant_type: str) -> bool:
    """Whether the application may use the grant (Auth0's defaults when none are listed)."""
    if application.grant_types:
        return grant_type in application.grant_types
    if grant_type in EXPLICIT_GRANTS:
        return False
    return application.app_type != AppType.M2M


class Client(ClientMixin):
    """An application as authlib sees a client."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.client_id = application.client_id

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        callbacks = self.application.callbacks or []
        return callbacks[0] if len(callbacks) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in OIDC_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.application.callbacks or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return application_secret_check(application=self.application, secret=client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.application.is_public_client:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and grant_allowed(self.application, "authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_allowed(self.application, grant_type)


class Code:
    """An authorization code row as authlib reads it."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce or None

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Refresh:
    """A refresh token row as authlib reads it."""

    def __init__(self, row: RefreshToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.application_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_user(self) -> User:
        return self.row.user

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class TokenRequest(OAuth2Request):
    """An OAuth request from data already parsed (form or JSON, as Auth0's SDKs send)."""

    def __init__(self, http_request: HttpRequest, path: str, data: dict[str, Any]) -> None:
        super().__init__(
            http_request.method or "GET", settings.PUBLIC_URL + path, headers=http_request.headers
        )
        clean = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        self.payload = BasicOAuth2Payload(clean)
        self.http_request = http_request
        self._form = clean
        self.logged = False  # set when a grant wrote the failure's log row itself

    @property
    def args(self) -> dict[str, str]:
        return self._form

    @property
    def form(self) -> dict[str, str]:
        return self._form


class WrongCredentials(OAuth2Error):
    error = "invalid_grant"
    status_code = 403
    description = "Wrong email or password."


class TooManyAttempts(OAuth2Error):
    error = "too_many_attempts"
    status_code = 429
    description = (
        "Your account has been blocked after multiple consecutive login attempts. We've sent "
        "you an email with instructions on how to unblock it."
    )


_joserfc_keys: dict[str, RSAKey] = {}


def _joserfc_key() -> RSAKey:
    """The current signing key in joserfc's form (converted once a key)."""
    key = signing_key()
    if key.kid not in _joserfc_keys:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _joserfc_keys[key.kid] = RSAKey.import_key(pem)
    return _joserfc_keys[key.kid]


class IdTokenMixin:
    """ID tokens: RS256 with the JWKS's current key, Auth0's claims."""

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return _joserfc_key()

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": signing_key().kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(timezone.now().timestamp())
        return {"iss": issuer(), "aud": client.client_id, "exp": now + ID_TOKEN_LIFETIME}

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))


class RekeyOpenIDCode(IdTokenMixin, OpenIDCode):
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # a nonce binds the ID token to the browser; the RP checks it


class RekeyOpenIDToken(IdTokenMixin, OpenIDToken):
    pass


class S256Challenge(CodeChallenge):
    """PKCE with S256 only; required for public clients (SPAs, native apps)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if grant.client.application.is_public_client and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE (code_challenge with S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': use S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: Code) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: Code) -> str:
        return authorization_code.row.code_challenge_method


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        user: User = request.user
        code_create(
            code=code,
            user=user,
            application=request.client.application,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.payload.scope or "",
            nonce=data.get("nonce") or "",
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            auth_time=user.last_login or timezone.now(),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = code_use(code=code, application=client.application)
        return Code(row) if row else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # taken (marked used) when it was read; kept to recognise a reuse

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return tenant_users().filter(pk=authorization_code.row.user_id, blocked=False).first()


class RotatingRefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def authenticate_refresh_token(self, refresh_token: str) -> Refresh | None:
        client = self.request.client
        row = refresh_token_use(token=refresh_token, application=client.application)
        if row is None:
            return None
        self.request.refresh_row = row
        return Refresh(row)

    def authenticate_user(self, refresh_token: Refresh) -> User | None:
        return tenant_users().filter(pk=refresh_token.row.user_id, blocked=False).first()

    def issue_token(self, user: User, refresh_token: Refresh) -> dict[str, Any]:
        rotating = (
            self.request.client.application.refresh_token_rotation == RefreshTokenRotation.ROTATING
        )
        scope = self.request.payload.scope or refresh_token.get_scope()
        return self.generate_token(user=user, scope=scope, include_refresh_token=rotating)

    def revoke_old_credential(self, refresh_token: Refresh) -> None:
        pass  # rotation already took the old token when it was read (refresh_token_use)


class PasswordGrant(ResourceOwnerPasswordCredentialsGrant):
    """Auth0's ``password`` grant: the tenant's default connection."""

    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def connection_name(self) -> str:
        return settings.REKEY_DEFAULT_CONNECTION

    def authenticate_token_endpoint_client(self) -> Client:
        # authlib sets request.client only after authenticate_user; the user check needs it.
        client: Client = super().authenticate_token_endpoint_client()
        self.authenticated_client = client
        return client

    def authenticate_user(self, username: str, password: str) -> User | None:
        request: TokenRequest = self.request  # type: ignore[assignment]
        http_request = request.http_request
        application: Application = self.authenticated_client.application
        name = self.connection_name()
        connection = connection_for_application(name=name, application=application)
        if connection is None:
            raise _connection_refused(name)
        ip: str | None = http_request.META.get("REMOTE_ADDR")
        pair: dict[str, Any] = {"ip": ip, "identifier": username, "connection": name}
        if bruteforce.login_blocked(**pair):
            raise TooManyAttempts()
        # The connection read above, not read again by the backend.
        user = authenticate(http_request, email=username, password=password, connection=connection)
        if user is None:
            known = user_by_email(connection=connection, email=username)
            log_event(
                type=LogType.FAILED_LOGIN,
                description="Wrong email or password.",
                user=known,
                user_name=username,
                connection_name=name,
                application=application,
                request=http_request,
                details={"grant_type": self.GRANT_TYPE},
            )
            request.logged = True
            if bruteforce.login_failure_record(
                **pair,
                user=known,
                audit=Audit.of(http_request, door=Door.LOGIN, application=application),
            ):
                raise TooManyAttempts()
            raise WrongCredentials()
        assert isinstance(user, User)
        bruteforce.login_success_record(**pair)
        login_record(user=user, request=http_request, application=application)
        request.logged = True
        return user


def _connection_refused(name: str) -> OAuth2Error:
    error = OAuth2Error(description=f"Connection {name} is not enabled for the client.")
    error.error = "unauthorized_client"
    error.status_code = 403
    return error


class PasswordRealmGrant(PasswordGrant):
    """Auth0's password-realm grant: ``realm`` names the connection."""

    GRANT_TYPE = PASSWORD_REALM

    def connection_name(self) -> str:
        realm = self.request.form.get("realm") or ""
        if not realm:
            raise InvalidRequestError("Missing required parameter: realm")
        return realm


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("refresh_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Refresh | None:
        row = (
            RefreshToken.objects.select_related("user", "user__connection", "application")
            .filter(token_hash=token_hash(token_string), revoked_at=None)
            .first()
        )
        return Refresh(row) if row else None

    def revoke_token(self, token: Refresh, request: OAuth2Request) -> None:
        from accounts.services.refresh_tokens import refresh_tokens_revoke

        audit = Audit.of(
            getattr(request, "http_request", None),
            door=Door.API,
            application=token.row.application,
        )
        refresh_tokens_revoke(
            refresh_token=token.row, audit=audit, description="Revoke refresh token"
        )


class RekeyTokenGenerator(BearerTokenGenerator):
    def generate(self, grant_type: str, client: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = super().generate(grant_type, client, *args, **kwargs)
        if not token.get("refresh_token"):
            token.pop("refresh_token", None)
        return token


def _access_token(*, client: Client, grant_type: str, user: User, scope: str) -> str:
    return user_access_token_issue(
        user=user, application=client.application, scope=scope, grant_type=grant_type
    )


def _refresh_token(*, client: Client, grant_type: str, user: User, scope: str) -> str | None:
    import secrets

    if "offline_access" in scope.split() and client.check_grant_type("refresh_token"):
        return secrets.token_urlsafe(48)
    return None


class RekeyServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__()
        self.register_token_generator(
            "default",
            RekeyTokenGenerator(
                access_token_generator=_access_token,
                refresh_token_generator=_refresh_token,
                expires_generator=lambda client, grant_type: settings.REKEY_ACCESS_TOKEN_LIFETIME,
            ),
        )

    def query_client(self, client_id: str) -> Client | None:
        application = application_by_client_id(client_id)
        return Client(application) if application else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if not token.get("refresh_token"):
            return
        previous: RefreshToken | None = getattr(request, "refresh_row", None)
        code: Code | None = request.authorization_code
        refresh_token_create(
            token=token["refresh_token"],
            user=request.user,
            application=request.client.application,
            scope=token.get("scope", ""),
            family=previous.family if previous else (code.row.family if code else None),
            expires_at=previous.expires_at if previous else None,
            request=getattr(request, "http_request", None),
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        assert isinstance(request, OAuth2Request)
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> HttpResponse:
        import json

        content = json.dumps(body) if isinstance(body, dict) else body
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


server = RekeyServer()
server.register_grant(CodeGrant, [S256Challenge(required=True), RekeyOpenIDCode()])
server.register_grant(RotatingRefreshGrant, [RekeyOpenIDToken()])
server.register_grant(PasswordGrant, [RekeyOpenIDToken()])
server.register_grant(PasswordRealmGrant, [RekeyOpenIDToken()])
server.register_endpoint(Revocation)

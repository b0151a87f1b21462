"""Password-change tickets: the same kind as the email link's, created without an email."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, bad_request, not_found
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.jobs import JobSerializer, job_data
from accounts.api.users import user_or_404
from accounts.models import Application, User
from accounts.selectors import application_by_client_id, connection_by_id, user_by_email
from accounts.services import password_change_allowed
from tickets.api.serializers import (
    DEFAULT_TTL,
    EmailVerificationTicketInputSerializer,
    EmailVerificationTicketSerializer,
    PasswordChangeTicketInputSerializer,
    PasswordChangeTicketSerializer,
    VerificationEmailJobInputSerializer,
)
from tickets.services import ticket_issue, ticket_url
from tickets.verification import (
    verification_email_job,
    verification_ticket_issue,
    verification_url,
)


class PasswordChangeTicketCreateApi(ManagementApi):
    """Create a password-change ticket (a reset link) for a user; no email is sent."""

    required_scopes = {"POST": ("create:user_tickets",)}

    @extend_schema(
        tags=["Tickets"],
        operation_id="post_password_change",
        summary="Create a password change ticket",
        description=(
            "`user_id`, or `connection_id` and `email`. `ttl_sec` absent or 0 means 432000 "
            "(five days). The ticket obeys the email link's rules: only the newest of a user's "
            "tickets is valid, it is used once, and it expires. No email is sent."
        ),
        request=PasswordChangeTicketInputSerializer,
        responses={201: PasswordChangeTicketSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request) -> Response:
        """Issue a ticket and answer its URL (built from PUBLIC_URL only)."""
        data = self.body(PasswordChangeTicketInputSerializer)
        application = None
        if client_id := data.get("client_id"):
            application = application_by_client_id(client_id)
            if application is None:
                raise bad_request("The client does not exist", ErrorCode.INEXISTENT_CLIENT)
        if data.get("organization_id"):
            # Rekey has no organizations: every id names one the tenant lacks, as in Auth0.
            raise not_found("The organization does not exist", ErrorCode.INEXISTENT_ORGANIZATION)
        user = self._user(data)
        if (identity := data.get("identity")) and not _identity_of(user, identity):
            raise bad_request("The identity does not belong to the user", ErrorCode.INEXISTENT_USER)
        if why := password_change_allowed(user):
            raise bad_request(why, ErrorCode.PASSWORD_NOT_SUPPORTED)
        _, token = ticket_issue(
            user=user,
            audit=self.door_audit,
            application=application,
            result_url=data.get("result_url", ""),
            ttl_seconds=data.get("ttl_sec") or DEFAULT_TTL,
            mark_email_as_verified=data["mark_email_as_verified"],
            include_email_in_redirect=data["includeEmailInRedirect"],
        )
        return Response({"ticket": ticket_url(token)}, status=status.HTTP_201_CREATED)

    def _user(self, data: dict) -> User:
        if user_id := data.get("user_id"):
            return user_or_404(user_id)
        connection = connection_by_id(data["connection_id"])
        if connection is None:
            raise not_found("The connection does not exist", ErrorCode.INEXISTENT_CONNECTION)
        user = user_by_email(connection=connection, email=data["email"])
        if user is None:
            raise not_found("The user does not exist.", ErrorCode.INEXISTENT_USER)
        return user


def _identity_of(user: User, identity: dict) -> bool:
    """Auth0's identity object names this user's one identity (provider auth0, its id)."""
    provider, _, bare_id = user.user_id.partition("|")
    if identity["provider"] != provider or identity["user_id"] not in {bare_id, user.user_id}:
        return False
    return identity.get("connection_id") in {None, user.connection_id}


def _application_and_user(data: dict) -> tuple[Application | None, User]:
    """The ``client_id``'s application and the ``user_id``'s user, as Auth0 checks them."""
    application = None
    if client_id := data.get("client_id"):
        application = application_by_client_id(client_id)
        if application is None:
            raise bad_request("The client does not exist", ErrorCode.INEXISTENT_CLIENT)
    if data.get("organization_id"):
        raise not_found("The organization does not exist", ErrorCode.INEXISTENT_ORGANIZATION)
    user = user_or_404(data["user_id"])
    if (identity := data.get("identity")) and not _identity_of(user, identity):
        raise bad_request("The identity does not belong to the user", ErrorCode.INEXISTENT_USER)
    return application, user


class EmailVerificationTicketCreateApi(ManagementApi):
    """Create an email verification ticket: a link that verifies the user's email when opened."""

    required_scopes = {"POST": ("create:user_tickets",)}

    @extend_schema(
        tags=["Tickets"],
        operation_id="post_email_verification",
        summary="Create an email verification ticket",
        description=(
            "`ttl_sec` absent or 0: the verify_email template's URL lifetime (five days by "
            "default). Opening the link sets `email_verified`; it works once, and only the "
            "user's newest one works. No email is sent."
        ),
        request=EmailVerificationTicketInputSerializer,
        responses={201: EmailVerificationTicketSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request) -> Response:
        """Issue a verification ticket and answer its URL (built from PUBLIC_URL only)."""
        data = self.body(EmailVerificationTicketInputSerializer)
        application, user = _application_and_user(data)
        _, token = verification_ticket_issue(
            user=user,
            application=application,
            result_url=data.get("result_url", ""),
            ttl_seconds=data.get("ttl_sec") or None,
            include_email_in_redirect=data["includeEmailInRedirect"],
            caller=self.client.application,
            request=self.django_request,
        )
        return Response({"ticket": verification_url(token)}, status=status.HTTP_201_CREATED)


class VerificationEmailJobCreateApi(ManagementApi):
    """Send the user the verify_email email, as a job."""

    required_scopes = {"POST": ("update:users",)}

    @extend_schema(
        tags=["Jobs"],
        operation_id="post_verification_email",
        summary="Send an email address verification email",
        description=(
            "The verify_email template, with a new verification link, goes to the user through "
            "the outbox (the stored copy holds a placeholder, never the link). The job is "
            "answered `completed`: the email is durably queued by then."
        ),
        request=VerificationEmailJobInputSerializer,
        responses={201: JobSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request) -> Response:
        """Queue the verification email and answer its job."""
        data = self.body(VerificationEmailJobInputSerializer)
        application, user = _application_and_user(data)
        job = verification_email_job(
            user=user,
            application=application,
            caller=self.client.application,
            request=self.django_request,
        )
        return Response(job_data(job, full=False), status=status.HTTP_201_CREATED)

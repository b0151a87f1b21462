"""Auth0's ``DELETE /api/v2/users/{id}/authenticators``: remove a user's second factor."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.serializers.base import error_responses
from accounts.api.users import USER_ID_PARAMETER, user_or_404
from accounts.services.authenticators import authenticators_delete


class UserAuthenticatorsDeleteApi(ManagementApi):
    """Remove every authenticator (and recovery code) of the user."""

    required_scopes = {"DELETE": ("delete:guardian_enrollments",)}

    @extend_schema(
        tags=["Users"],
        operation_id="delete_authenticators",
        summary="Delete all authenticators of a user",
        parameters=[USER_ID_PARAMETER],
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        """The user's resets no longer ask for a second factor until they enrol again."""
        user = user_or_404(id)
        authenticators_delete(user=user, audit=self.door_audit)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""The tickets app's API: Auth0's forgot-password call and the Management API's tickets."""

from django.urls import path

from tickets.api import change_password, tickets

urlpatterns = [
    path(
        "dbconnections/change_password",
        change_password.ChangePasswordApi.as_view(),
        name="change-password-api",
    ),
    path(
        "api/v2/tickets/password-change",
        tickets.PasswordChangeTicketCreateApi.as_view(),
        name="tickets-password-change",
    ),
    path(
        "api/v2/tickets/email-verification",
        tickets.EmailVerificationTicketCreateApi.as_view(),
        name="tickets-email-verification",
    ),
    path(
        "api/v2/jobs/verification-email",
        tickets.VerificationEmailJobCreateApi.as_view(),
        name="jobs-verification-email",
    ),
]

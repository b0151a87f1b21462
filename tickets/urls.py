from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("u/reset-password", views.reset_link, name="reset-link"),
    path("u/reset-password/request", views.ResetRequestView.as_view(), name="reset-request"),
    path("u/reset-password/request/sent", views.reset_request_sent, name="reset-request-sent"),
    path("u/reset-password/code", views.ResetCodeView.as_view(), name="reset-code"),
    path("u/reset-password/mfa", views.ResetMfaView.as_view(), name="reset-mfa"),
    path("u/reset-password/set", views.ResetSetView.as_view(), name="reset-set"),
    path("u/reset-password/done", views.reset_done, name="reset-done"),
    path("u/email-verification", views.email_verification, name="email-verification"),
]

from django.urls import path

from dashboard.views import (
    applications,
    auth,
    connections,
    danger,
    emails,
    logs,
    otp,
    staff,
    users,
    webhooks,
)

app_name = "dashboard"

urlpatterns = [
    path("", users.HomeView.as_view(), name="home"),
    path("login", auth.StaffLoginView.as_view(), name="login"),
    path("users/", users.UserListView.as_view(), name="user-list"),
    path("users/<str:user_id>/", users.UserDetailView.as_view(), name="user-detail"),
    path(
        "users/<str:user_id>/password",
        danger.PasswordChangeView.as_view(),
        name="user-password-change",
    ),
    path(
        "users/<str:user_id>/force-sign-in",
        danger.ForceSignInView.as_view(),
        name="user-force-sign-in",
    ),
    path(
        "users/<str:user_id>/authenticators",
        danger.AuthenticatorsDeleteView.as_view(),
        name="user-authenticators-delete",
    ),
    path("users/<str:user_id>/block", danger.BlockView.as_view(), name="user-block"),
    path(
        "users/<str:user_id>/login-blocks",
        danger.LoginUnblockView.as_view(),
        name="user-login-unblock",
    ),
    path(
        "users/<str:user_id>/reset-email",
        danger.ResetEmailView.as_view(),
        name="user-reset-email",
    ),
    path(
        "users/<str:user_id>/reset-link",
        danger.ResetLinkView.as_view(),
        name="user-reset-link",
    ),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhook-list"),
    path(
        "webhooks/<str:endpoint_id>/", webhooks.WebhookDetailView.as_view(), name="webhook-detail"
    ),
    path(
        "webhooks/<str:endpoint_id>/secret",
        webhooks.WebhookSecretRotateView.as_view(),
        name="webhook-secret-rotate",
    ),
    path(
        "webhooks/<str:endpoint_id>/delete",
        webhooks.WebhookDeleteView.as_view(),
        name="webhook-delete",
    ),
    path(
        "webhook-deliveries/<int:delivery_id>/retry",
        webhooks.WebhookDeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
    path("log-streams/", webhooks.LogStreamListView.as_view(), name="log-stream-list"),
    path(
        "log-streams/<str:stream_id>/",
        webhooks.LogStreamDetailView.as_view(),
        name="log-stream-detail",
    ),
    path("staff/", staff.StaffListView.as_view(), name="staff-list"),
    path(
        "staff/<str:user_id>/password",
        staff.StaffPasswordResetView.as_view(),
        name="staff-password-reset",
    ),
    path("account/password", staff.AccountPasswordView.as_view(), name="account-password"),
    path("account/timezone", staff.TimezoneView.as_view(), name="account-timezone"),
    path("connections/", connections.ConnectionListView.as_view(), name="connection-list"),
    path(
        "connections/<str:connection_id>/",
        connections.ConnectionDetailView.as_view(),
        name="connection-detail",
    ),
    path(
        "connections/<str:connection_id>/try",
        connections.ConnectionTryPasswordView.as_view(),
        name="connection-try-password",
    ),
    path("applications/", applications.ApplicationListView.as_view(), name="application-list"),
    path(
        "applications/new/",
        applications.ApplicationCreateView.as_view(),
        name="application-create",
    ),
    path(
        "applications/<str:client_id>/",
        applications.ApplicationDetailView.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<str:client_id>/sign-in",
        applications.ApplicationSignInView.as_view(),
        name="application-sign-in",
    ),
    path(
        "applications/<str:client_id>/grant",
        applications.ApplicationGrantView.as_view(),
        name="application-grant",
    ),
    path(
        "applications/<str:client_id>/rotate-secret",
        applications.ApplicationSecretRotateView.as_view(),
        name="application-secret-rotate",
    ),
    path("emails/templates/", emails.EmailTemplateListView.as_view(), name="email-template-list"),
    path(
        "emails/templates/<str:name>/<str:language>/",
        emails.EmailTemplateDetailView.as_view(),
        name="email-template-detail",
    ),
    path(
        "emails/templates/<str:name>/<str:language>/preview",
        emails.EmailTemplatePreviewView.as_view(),
        name="email-template-preview",
    ),
    path(
        "emails/templates/<str:name>/<str:language>/preview-document",
        emails.EmailTemplatePreviewDocumentView.as_view(),
        name="email-template-preview-document",
    ),
    path(
        "emails/templates/<str:name>/<str:language>/test",
        emails.EmailTemplateTestView.as_view(),
        name="email-template-test",
    ),
    path("emails/deliveries/", emails.DeliveryListView.as_view(), name="delivery-list"),
    path(
        "emails/deliveries/retry",
        emails.DeliveryBulkRetryView.as_view(),
        name="delivery-bulk-retry",
    ),
    path(
        "emails/deliveries/<int:delivery_id>/retry",
        emails.DeliveryRetryView.as_view(),
        name="delivery-retry",
    ),
    path("emails/inbox/", emails.InboxListView.as_view(), name="inbox-list"),
    path("emails/inbox/<int:message_id>/", emails.InboxMessageView.as_view(), name="inbox-message"),
    path(
        "emails/inbox/<int:message_id>/html",
        emails.InboxMessageHtmlView.as_view(),
        name="inbox-message-html",
    ),
    path("logs/", logs.LogListView.as_view(), name="log-list"),
    path("logs/<str:log_id>/", logs.LogDetailView.as_view(), name="log-detail"),
    path("otp/setup", otp.OTPSetupView.as_view(), name="otp-setup"),
    path("otp/verify", otp.OTPVerifyView.as_view(), name="otp-verify"),
]

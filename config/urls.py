from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("tickets.urls")),
    path("", include("emails.urls")),  # /metrics, provider webhooks
    path("", include("config.api")),
    path("dashboard/", include("dashboard.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler500 = "config.errors.server_error"

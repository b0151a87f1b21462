from django.urls import include, path

from emails import views

app_name = "emails"
urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    # anymail's tracking webhooks, e.g. /webhooks/anymail/mailgun/tracking/ (each checks its
    # ESP's signature, and ANYMAIL_WEBHOOK_SECRET's basic auth where the ESP has no signing).
    path("webhooks/anymail/", include("anymail.urls")),
]

from django.urls import path

from tickets import views
from tickets.api import views as api_views

app_name = "tickets"

urlpatterns = [
    path("u/reset-password", views.reset_link, name="reset-link"),
    path("u/reset-password/request", views.ResetRequestView.as_view(), name="reset-request"),
    path("u/reset-password/set", views.ResetSetView.as_view(), name="reset-set"),
    path(
        "dbconnections/change_password",
        api_views.ChangePasswordApi.as_view(),
        name="change-password-api",
    ),
]

from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("u/reset-password/request", views.reset_request, name="reset-request"),
]

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("u/login", views.LoginView.as_view(), name="login"),
    path("u/login/done", views.login_done, name="login-done"),
    path("u/logout", views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
]

from django.urls import path

from accounts import account, unblock, views
from accounts.oidc import views as oidc

app_name = "accounts"

urlpatterns = [
    path("u/login", views.LoginView.as_view(), name="login"),
    path("u/login/done", views.login_done, name="login-done"),
    path("u/logout", views.LogoutView.as_view(), name="logout"),
    path("u/account", account.AccountView.as_view(), name="account"),
    path("u/unblock", unblock.UnblockView.as_view(), name="unblock"),
    path("authorize", oidc.authorize, name="authorize"),
    path("userinfo", oidc.userinfo, name="userinfo"),
    path("oauth/revoke", oidc.revoke, name="oauth-revoke"),
    path("v2/logout", oidc.logout_view, name="oidc-logout"),
    path(
        ".well-known/openid-configuration",
        oidc.openid_configuration,
        name="openid-configuration",
    ),
    path("healthz", views.healthz, name="healthz"),
]

"""Rekey's URLs plus Django's own PasswordResetView as the baseline, mounted side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User, email_key
from config.urls import urlpatterns as rekey_urlpatterns


class BaselineResetForm(PasswordResetForm):
    """Django's form, told how to find our users (it expects an is_active column)."""

    def get_users(self, email: str) -> Iterator[User]:  # type: ignore[override]
        for user in User.objects.filter(email_key=email_key(email), blocked=False):
            if user.has_usable_password():
                yield user


def done(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")


@csrf_exempt
def noop_json(request: HttpRequest) -> HttpResponse:
    """The floor of the stack: parse a JSON POST and answer, with no database work at all."""
    json.loads(request.body or b"{}")
    return HttpResponse("We've just sent you an email to reset your password.")


urlpatterns = [
    *rekey_urlpatterns,
    # CSRF-exempt like the Authentication API endpoint, so both sides do the same HTTP work.
    path(
        "baseline/password_reset/",
        csrf_exempt(
            auth_views.PasswordResetView.as_view(
                form_class=BaselineResetForm, success_url="/baseline/done/"
            )
        ),
    ),
    path("baseline/done/", done),
    path("baseline/noop/", noop_json),
    # The email's link points here, as in a project that mounts django.contrib.auth.urls.
    path(
        "baseline/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]

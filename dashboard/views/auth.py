"""The staff login: the hosted login's look, against the staff realm only."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.forms import LoginForm
from accounts.models import STAFF_CONNECTION_NAME, User
from accounts.selectors import staff_by_email
from accounts.views import LoginView


class StaffLoginForm(LoginForm):
    # Staff have one realm: nothing to choose, nothing a tenant can point elsewhere.
    connection = None  # type: ignore[assignment]


class StaffLoginView(LoginView):
    """``/dashboard/login``: staff sign in here, never on a tenant connection's login page."""

    template_name = "dashboard/login.html"
    form_class = StaffLoginForm

    def connection_name(self, form: LoginForm) -> str:
        return STAFF_CONNECTION_NAME

    def realm(self, form: LoginForm) -> dict[str, Any]:
        return {"staff": True}

    def known_user(self, email: str, form: LoginForm) -> User | None:
        return staff_by_email(email)

    def success_url(self) -> str:
        return reverse("dashboard:home")

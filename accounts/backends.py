"""Authentication against a connection: email + password + connection name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from accounts.models import Connection, User
from accounts.selectors import connection_by_name, staff_by_email, user_by_email


class ConnectionBackend(ModelBackend):
    """Checks a database connection's user; Django upgrades old hashes (bcrypt...) on success."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        connection: str | Connection | None = None,
        staff: bool = False,
        **kwargs: Any,
    ) -> User | None:
        """A tenant connection's user (``connection``), or a staff member (``staff=True``).

        The two never mix: a tenant connection never finds a staff member, whatever is sent.
        ``connection`` is a tenant connection's name, or the connection itself when the caller
        has read it already (the token endpoint), so that it is not read twice.
        """
        if not email or password is None or not (connection or staff):
            return None
        if staff:
            user = staff_by_email(email)
        else:
            conn = (
                connection
                if isinstance(connection, Connection)
                else connection_by_name(connection or "")
            )
            user = (
                user_by_email(connection=conn, email=email) if conn and conn.is_database else None
            )
        if user is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            make_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        return not getattr(user, "blocked", False)

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        user = User.objects.select_related("connection").filter(pk=user_id).first()
        return user if user and self.user_can_authenticate(user) else None

"""manage.py commands: changepassword through the service, force_sign_in, import_users, seed."""

from __future__ import annotations

import json

import bcrypt
import pytest
from argon2 import PasswordHasher
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from accounts.models import Application, LogEvent, LogType, User
from tests.factories import SocialConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_changepassword_goes_through_the_service(tmp_path, user) -> None:
    secret = tmp_path / "pw"
    secret.write_text("Quiet-River-58\n")
    call_command("changepassword", user.email, password_file=str(secret))
    user.refresh_from_db()
    assert check_password("Quiet-River-58", user.password)
    event = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD)
    assert event.details == {"door": "command"}


def test_changepassword_refuses_a_weak_password_naming_the_rules(tmp_path, user) -> None:
    secret = tmp_path / "pw"
    secret.write_text("zq7")
    with pytest.raises(CommandError) as info:
        call_command("changepassword", user.user_id, password_file=str(secret))
    assert "PasswordStrengthError: Password is too weak" in str(info.value)
    assert "(password_too_short)" in str(info.value)
    assert "zq7" not in str(info.value)


def test_changepassword_refuses_a_social_user(tmp_path) -> None:
    user = UserFactory(connection=SocialConnectionFactory())
    secret = tmp_path / "pw"
    secret.write_text("Quiet-River-58")
    with pytest.raises(CommandError, match="not kept here"):
        call_command("changepassword", user.user_id, password_file=str(secret))


def test_an_ambiguous_email_needs_a_connection(tmp_path, user) -> None:
    UserFactory(connection=SocialConnectionFactory(), email=user.email)
    with pytest.raises(CommandError, match="pass --connection"):
        call_command("force_sign_in", user.email)
    call_command("force_sign_in", user.email, connection=user.connection.name)
    assert LogEvent.objects.filter(type=LogType.FORCED_SIGN_IN, user=user).count() == 1


def test_import_users_keeps_bcrypt_and_argon2_passwords(tmp_path, connection) -> None:
    data = [
        {
            "email": "b@example.com",
            "email_verified": True,
            "name": "Bee",
            "custom_password_hash": {
                "algorithm": "bcrypt",
                "hash": {"value": bcrypt.hashpw(b"Bee-pass-1", bcrypt.gensalt(4)).decode()},
            },
        },
        {
            "email": "a@example.com",
            "custom_password_hash": {
                "algorithm": "argon2",
                "hash": {"value": PasswordHasher(time_cost=1, memory_cost=1024).hash("Ay-pass-1")},
            },
        },
        {"email": "nohash@example.com", "user_metadata": {"plan": "pro"}},
    ]
    path = tmp_path / "users.json"
    path.write_text(json.dumps(data))
    call_command("import_users", str(path), connection=connection.name)
    bee = User.objects.get(email="b@example.com")
    assert bee.check_password("Bee-pass-1") and bee.email_verified and bee.name == "Bee"
    assert User.objects.get(email="a@example.com").check_password("Ay-pass-1")
    nohash = User.objects.get(email="nohash@example.com")
    assert not nohash.has_usable_password()
    assert nohash.user_metadata == {"plan": "pro"}


def test_import_users_with_a_bad_entry_imports_nothing(tmp_path, connection) -> None:
    data = [
        {"email": "ok@example.com"},
        {
            "email": "bad@example.com",
            "custom_password_hash": {"algorithm": "md4", "hash": {"value": "x"}},
        },
    ]
    path = tmp_path / "users.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="#1: custom_password_hash algorithm 'md4'"):
        call_command("import_users", str(path), connection=connection.name)
    assert not User.objects.exists()


def test_seed_demo_is_idempotent_and_prints_working_credentials(capsys) -> None:
    call_command("seed_demo", "--json", users=20)
    first = json.loads(capsys.readouterr().out)
    call_command("seed_demo", "--json", users=20)
    second = json.loads(capsys.readouterr().out)
    assert first == second
    assert set(first) >= {"connection", "staff", "user", "spa", "m2m"}
    assert User.objects.filter(email__startswith="demo").count() == 20
    assert Application.objects.count() == 2
    staff = User.objects.get(email=first["staff"]["email"])
    assert staff.is_administrator and staff.check_password(first["staff"]["password"])
    assert User.objects.get(email=first["user"]["email"]).check_password(first["user"]["password"])
    assert first["m2m"]["audience"].endswith("/api/v2/")

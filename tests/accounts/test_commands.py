"""manage.py commands: changepassword through the service, force_sign_in, import_users, seed."""

from __future__ import annotations

import io
import json

import bcrypt
import pytest
from argon2 import PasswordHasher
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from accounts.audit import Audit, Door
from accounts.management.commands import import_users
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


def test_import_users_keeps_each_users_id(tmp_path, connection, capsys) -> None:
    # Before: user_id was silently dropped and every application's stored sub broke.
    path = write_users(
        tmp_path,
        [
            {**bcrypt_entry("b@example.com", "Bee-pass-1"), "user_id": "60f1c0ffee"},
            {"email": "a@example.com", "user_id": "auth0|60f1beef"},
        ],
    )

    call_command("import_users", path, connection=connection.name)

    assert User.objects.get(email="b@example.com").user_id == "auth0|60f1c0ffee"
    assert User.objects.get(email="a@example.com").user_id == "auth0|60f1beef"
    assert User.objects.get(email="b@example.com").check_password("Bee-pass-1")


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
    assert Application.objects.count() == 3  # SPA, web app, M2M
    staff = User.objects.get(email=first["staff"]["email"])
    assert staff.is_administrator and staff.check_password(first["staff"]["password"])
    assert User.objects.get(email=first["user"]["email"]).check_password(first["user"]["password"])
    assert first["m2m"]["audience"].endswith("/api/v2/")


def test_createsuperuser_makes_staff_in_the_staff_realm_under_its_policy(monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "x")
    with pytest.raises(CommandError, match="At least 12 characters"):
        call_command("createsuperuser", interactive=False, user_id="ops", email="ops@example.com")
    assert not User.objects.filter(email="ops@example.com").exists()

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Long-Enough-Staff-42")
    call_command("createsuperuser", interactive=False, user_id="ops", email="ops@example.com")
    ops = User.objects.get(email="ops@example.com")
    assert (ops.is_staff, ops.connection.is_staff_realm) == (True, True)


def test_django_password_validation_uses_the_connection_policy(user) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        validate_password("a", user)
    assert "password_too_short" in [e.code for e in info.value.error_list]
    validate_password("Correct-Horse-Battery-9", user)


def write_users(tmp_path, data) -> str:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(data))
    return str(path)


def bcrypt_entry(email: str, password: str, cost: int = 4) -> dict:
    value = bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()
    return {
        "email": email,
        "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": value}},
    }


def test_import_upsert_changes_a_password_as_every_door_does(tmp_path, user) -> None:
    from django.contrib.sessions.models import Session
    from django.test import Client

    from accounts.models import PasswordHistory
    from tickets.models import PasswordChangeTicket
    from tickets.services import ticket_issue

    browser = Client()
    browser.post(
        "/u/login",
        {"email": user.email, "password": "Correct-Horse-42", "connection": user.connection.name},
    )
    assert Session.objects.count() == 1
    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    stamp = user.security_stamp

    path = write_users(tmp_path, [bcrypt_entry(user.email, "Imported-Pass-7")])
    call_command("import_users", path, connection=user.connection.name, upsert=True)

    user.refresh_from_db()
    assert user.check_password("Imported-Pass-7")
    assert user.security_stamp != stamp
    assert PasswordHistory.objects.filter(user=user).count() == 1
    assert Session.objects.count() == 0
    assert PasswordChangeTicket.objects.get(pk=ticket.pk).revoked_at is not None
    event = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD, user=user)
    assert event.details == {"door": "import"}


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            bcrypt_entry("slow@example.com", "x", cost=13),
            "bcrypt cost 13 is above the import limit of 12",
        ),
        (
            {
                "email": "slow@example.com",
                "custom_password_hash": {
                    "algorithm": "argon2",
                    "hash": {
                        "value": "$argon2id$v=19$m=655360,t=3,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"
                    },
                },
            },
            "argon2 memory 655360 KiB is above the import limit of 65536 KiB",
        ),
        (
            {
                "email": "slow@example.com",
                "custom_password_hash": {
                    "algorithm": "argon2",
                    "hash": {
                        "value": "$argon2id$v=19$m=4096,t=50,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"
                    },
                },
            },
            "argon2 time cost 50 is above the import limit of 4",
        ),
    ],
)
def test_attack_import_a_hash_of_huge_cost_is_refused(tmp_path, connection, entry, message) -> None:
    # One such hash made each login of its user take 2.5 s and 628 MB.
    path = write_users(tmp_path, [{"email": "ok@example.com"}, entry])
    with pytest.raises(CommandError, match=f"#1: {message}"):
        call_command("import_users", path, connection=connection.name)
    assert not User.objects.exists()


def test_seed_demo_never_restores_a_rotated_secret_and_says_what_changed(capsys) -> None:
    from accounts.models import Application, User
    from accounts.services import client_secret_hash

    call_command("seed_demo", users=0)
    capsys.readouterr()
    m2m = Application.objects.get(name="Demo Management Client")
    m2m.client_secret_hash = client_secret_hash("rotated-in-the-dashboard")
    m2m.save(update_fields=["client_secret_hash"])
    admin = User.objects.get(email="admin@example.com")
    admin.set_password("Changed-By-Admin-42")
    admin.save(update_fields=["password"])

    call_command("seed_demo", users=0)
    out = capsys.readouterr().out

    m2m.refresh_from_db()
    assert m2m.client_secret_hash == client_secret_hash("rotated-in-the-dashboard")
    assert out.count("(changed since the demo was seeded: use the one you set)") == 2
    assert "Demo end user:         user@example.com / " in out
    assert "user@example.com / (changed" not in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_users_draws_a_progress_bar_with_progress(tmp_path, connection) -> None:
    path = write_users(tmp_path, [{"email": f"u{n}@example.com"} for n in range(3)])
    stderr = io.StringIO()

    call_command("import_users", path, connection=connection.name, progress=True, stderr=stderr)

    assert stderr.getvalue().endswith("\r[" + "#" * 30 + "] 3/3 users\n")
    assert stderr.getvalue().startswith("\r[" + "." * 30 + "] 0/3 users")
    assert User.objects.filter(connection=connection).count() == 3


def test_import_users_draws_no_bar_off_a_terminal(tmp_path, connection) -> None:
    path = write_users(tmp_path, [{"email": f"u{n}@example.com"} for n in range(3)])
    stderr = io.StringIO()

    call_command("import_users", path, connection=connection.name, stderr=stderr)

    assert stderr.getvalue() == ""


def test_import_users_draws_the_bar_on_a_terminal_for_large_files_only(
    tmp_path, connection, monkeypatch
) -> None:
    monkeypatch.setattr(import_users, "LARGE_FILE_USERS", 3)
    small = write_users(tmp_path, [{"email": "s@example.com"}])
    terminal = Terminal()
    call_command("import_users", small, connection=connection.name, stderr=terminal)
    assert terminal.getvalue() == ""

    large = tmp_path / "large.json"
    large.write_text(json.dumps([{"email": f"u{n}@example.com"} for n in range(3)]))
    call_command("import_users", str(large), connection=connection.name, stderr=terminal)
    assert terminal.getvalue().endswith("] 3/3 users\n")

"""Writes of the accounts app, one module an entity; import them from here.

``passwords.password_set`` is THE password service: the reset page, the Management API, the
dashboard, the account page and the commands all change passwords through it.
"""

from accounts.audit import Audit, Door
from accounts.services.applications import (
    application_create,
    application_secret_check,
    application_secret_rotate,
    application_sign_in_update,
    application_update,
    client_secret_hash,
    grant_set,
)
from accounts.services.connections import (
    connection_clients_set,
    connection_policy_update,
    connection_update,
)
from accounts.services.passwords import (
    CheckedPassword,
    DirectSetDisabled,
    PasswordChangeError,
    PasswordNotSupported,
    PasswordPolicyError,
    password_change_allowed,
    password_changed,
    password_check,
    password_hash_import,
    password_set,
    password_set_checked,
)
from accounts.services.sessions import (
    login_record,
    session_delete,
    session_record,
    sessions_end_others,
    sessions_expire,
)
from accounts.services.tenant import tenant_settings_update
from accounts.services.user_deletion import user_delete
from accounts.services.users import (
    USER_PROFILE_FIELDS,
    UserAlreadyExists,
    user_access_revoked,
    user_block_set,
    user_create,
    user_update,
    verification_email_requested,
)

__all__ = [
    "USER_PROFILE_FIELDS",
    "Audit",
    "CheckedPassword",
    "DirectSetDisabled",
    "Door",
    "PasswordChangeError",
    "PasswordNotSupported",
    "PasswordPolicyError",
    "UserAlreadyExists",
    "application_create",
    "application_secret_check",
    "application_secret_rotate",
    "application_sign_in_update",
    "application_update",
    "client_secret_hash",
    "connection_clients_set",
    "connection_policy_update",
    "connection_update",
    "grant_set",
    "login_record",
    "password_change_allowed",
    "password_changed",
    "password_check",
    "password_hash_import",
    "password_set",
    "password_set_checked",
    "session_delete",
    "session_record",
    "sessions_end_others",
    "sessions_expire",
    "tenant_settings_update",
    "user_access_revoked",
    "user_block_set",
    "user_create",
    "user_delete",
    "user_update",
    "verification_email_requested",
]

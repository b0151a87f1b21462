"""Users, connections, applications, grants, sessions and log events.

A package by entity; every model and helper stays importable from ``accounts.models``, where
Django finds the models. The modules are imported in the order the models were declared in when
this was one module: Django numbers content types in registry order, and a test database's
serialized copy (``serialized_rollback``) expects the same numbers.
"""

# ruff: noqa: I001
from accounts.models.ids import (
    ALNUM,
    new_connection_id,
    new_client_id,
    DATABASE_USER_ID_PREFIX,
    GIVEN_USER_ID_PATTERN,
    new_user_id,
    database_user_id,
    new_session_id,
    new_security_stamp,
    new_log_id,
    email_key,
    new_refresh_token_id,
)
from accounts.models.users import (
    Strategy,
    SOCIAL_STRATEGIES,
    PolicyLevel,
    STAFF_CONNECTION_NAME,
    ResetMethod,
    Connection,
    UserManager,
    StaffRole,
    User,
    PasswordHistory,
    UserSession,
)
from accounts.models.applications import (
    AppType,
    RefreshTokenRotation,
    Application,
    AuthorizationCode,
    RefreshToken,
    ClientGrant,
)
from accounts.models.blocks import (
    LoginBlock,
)
from accounts.models.tenant import (
    TenantSettings,
)
from accounts.models.logs import (
    LogType,
    LogEvent,
)

# The jobs live in a package of their own; imported here so that Django finds the model.
from accounts.jobs.models import Job

__all__ = [
    "ALNUM",
    "DATABASE_USER_ID_PREFIX",
    "GIVEN_USER_ID_PATTERN",
    "SOCIAL_STRATEGIES",
    "STAFF_CONNECTION_NAME",
    "AppType",
    "Application",
    "AuthorizationCode",
    "ClientGrant",
    "Connection",
    "Job",
    "LogEvent",
    "LogType",
    "LoginBlock",
    "PasswordHistory",
    "PolicyLevel",
    "RefreshToken",
    "RefreshTokenRotation",
    "ResetMethod",
    "StaffRole",
    "Strategy",
    "TenantSettings",
    "User",
    "UserManager",
    "UserSession",
    "database_user_id",
    "email_key",
    "new_client_id",
    "new_connection_id",
    "new_log_id",
    "new_refresh_token_id",
    "new_security_stamp",
    "new_session_id",
    "new_user_id",
]

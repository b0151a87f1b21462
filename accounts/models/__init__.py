"""Users, connections, applications, grants, sessions and log events.

A package by entity; every model and helper stays importable from ``accounts.models`` (Django
finds the models through this module).
"""

from accounts.models.applications import (
    Application,
    AppType,
    AuthorizationCode,
    ClientGrant,
    RefreshToken,
    RefreshTokenRotation,
    TenantSettings,
)
from accounts.models.ids import (
    ALNUM,
    DATABASE_USER_ID_PREFIX,
    GIVEN_USER_ID_PATTERN,
    database_user_id,
    email_key,
    new_client_id,
    new_connection_id,
    new_log_id,
    new_refresh_token_id,
    new_security_stamp,
    new_session_id,
    new_user_id,
)
from accounts.models.logs import (
    LogEvent,
    LogType,
)
from accounts.models.users import (
    SOCIAL_STRATEGIES,
    STAFF_CONNECTION_NAME,
    Connection,
    LoginBlock,
    PasswordHistory,
    PolicyLevel,
    StaffRole,
    Strategy,
    User,
    UserManager,
    UserSession,
)

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
    "LogEvent",
    "LogType",
    "LoginBlock",
    "PasswordHistory",
    "PolicyLevel",
    "RefreshToken",
    "RefreshTokenRotation",
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

"""The Management API's scopes, as Auth0 names them."""

# Auth0's scopes for the endpoints Rekey answers (users and their metadata, logs, sessions,
# tickets, connections, clients and grants, email templates and provider, tenant settings),
# grouped as Auth0's dashboard lists them. A client grant may hold any of them.
MANAGEMENT_API_SCOPES = [
    "read:client_grants",
    "read:users",
    "update:users",
    "read:sessions",
    "delete:sessions",
    "read:refresh_tokens",
    "delete:refresh_tokens",
    "delete:guardian_enrollments",
    "delete:users",
    "create:users",
    "read:users_app_metadata",
    "update:users_app_metadata",
    "delete:users_app_metadata",
    "create:users_app_metadata",
    "create:user_tickets",
    "read:clients",
    "read:client_keys",
    "read:connections",
    "update:connections",
    "read:email_provider",
    "create:email_provider",
    "update:email_provider",
    "read:email_templates",
    "create:email_templates",
    "update:email_templates",
    "read:logs",
    "read:logs_users",
    "read:log_streams",
    "create:log_streams",
    "update:log_streams",
    "delete:log_streams",
    "read:tenant_settings",
    "update:tenant_settings",
]


def grant_cache_key(client_id: str, audience: str) -> str:
    """Where the Management API keeps its brief view of a client's grant (grant_set clears it)."""
    import hashlib

    return "grant:" + hashlib.sha256(f"{client_id}|{audience}".encode()).hexdigest()[:40]


def management_audience() -> str:
    from django.conf import settings

    return settings.PUBLIC_URL + "/api/v2/"

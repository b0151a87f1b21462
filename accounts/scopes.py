"""The Management API's scopes, as Auth0 names them."""

MANAGEMENT_API_SCOPES = [
    "read:users",
    "create:users",
    "update:users",
    "delete:sessions",
    "create:user_tickets",
    "read:connections",
    "update:connections",
    "read:email_templates",
    "update:email_templates",
    "read:logs",
]


def management_audience() -> str:
    from django.conf import settings

    return settings.PUBLIC_URL + "/api/v2/"

from __future__ import annotations

from django.contrib import admin

from tickets.models import PasswordChangeTicket


@admin.register(PasswordChangeTicket)
class PasswordChangeTicketAdmin(admin.ModelAdmin):
    """Read-only: tickets are issued and used through the services, never edited."""

    list_display = ["id", "user", "door", "status", "created_at", "expires_at", "used_at"]
    list_filter = ["door"]
    search_fields = ["user__email", "user__user_id"]
    exclude = ["token_hash"]
    raw_id_fields = ["user", "created_by", "application"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

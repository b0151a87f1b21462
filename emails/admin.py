from __future__ import annotations

from django.contrib import admin

from emails.models import EmailDelivery, EmailTemplate, InboxMessage


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "subject", "enabled", "updated_at"]
    list_filter = ["name", "language", "enabled"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """Read-only view of the outbox (bodies shown with secrets redacted)."""

    list_display = ["id", "to", "template_name", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template_name"]
    search_fields = ["to"]
    exclude = ["sealed"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "to", "subject", "created_at"]
    search_fields = ["to", "subject"]

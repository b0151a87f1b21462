"""Django admin as a fallback; password changes stay in the dashboard and the service."""

from django.contrib import admin

from accounts.models import Application, ClientGrant, Connection, LogEvent, User, UserSession


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "strategy", "password_policy")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "user_id", "connection", "blocked", "is_staff", "last_login")
    list_filter = ("connection", "blocked", "is_staff")
    search_fields = ("email_key", "user_id", "name")
    show_full_result_count = False
    # The hash and the stamp are never edited here: password changes go through password_set.
    exclude = ("password", "security_stamp")
    readonly_fields = ("user_id", "last_login", "last_password_reset", "logins_count")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "app_type")
    exclude = ("client_secret_hash",)


admin.site.register(ClientGrant)
admin.site.register(UserSession)


@admin.register(LogEvent)
class LogEventAdmin(admin.ModelAdmin):
    list_display = ("date", "type", "user_name", "description")
    list_filter = ("type",)
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

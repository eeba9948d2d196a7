from django.contrib import admin, messages

from apps.core import services
from apps.core.models import AccessLog, ApiToken, ServiceAccount, SyncRun


class HistoryAdmin(admin.ModelAdmin):
    """For records whose history matters (meetings, decisions, review cycles, evidence...): the
    admin may read and correct them, never delete them. The product ends them its own way
    (cancelled, archived, superseded, deactivated), and their foreign keys PROTECT what they
    point at; a delete here would take the history with it."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "done", "total", "rows_written", "aws_calls", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "action", "object_type", "object_id", "subject_label", "ip")
    list_filter = ("action", "object_type")
    readonly_fields = [f.name for f in AccessLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ("name", "key_prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("key_prefix", "created_at", "last_used_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # tokens are issued with the action below, which shows the key once


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "is_active", "created_at")
    inlines = [ApiTokenInline]
    actions = ["issue_token"]
    readonly_fields = ("user",)

    def save_model(self, request, obj, form, change):
        if not change and not obj.user_id:
            created = services.service_account_create(name=obj.name, role=obj.role, description=obj.description)
            obj.pk, obj.user = created.pk, created.user
            obj.created_at = created.created_at
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Issue a new token (shown once)")
    def issue_token(self, request, queryset):
        for account in queryset:
            _, key = services.api_token_issue(service_account=account, name="admin")
            self.message_user(request, f"{account.name}: {key}  — copy it now, it is not shown again.", messages.WARNING)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("service_account", "name", "key_prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("service_account", "key_prefix", "key_hash", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)

from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.infra.models import Finding, InfraRequest, InfraRequestComment, InfraRequestEvent, Resource


@admin.register(Resource)
class ResourceAdmin(HistoryAdmin):
    """Never deleted: the sync marks a resource gone (gone_at) and restores it if it returns."""

    list_display = ("name", "resource_id", "kind", "account", "region", "state", "owner_team", "gone_at")
    list_filter = ("kind", "region", "state", "owner_team")
    search_fields = ("name", "resource_id", "arn")
    raw_id_fields = ("request",)
    list_select_related = ("account", "owner_team")


@admin.register(Finding)
class FindingAdmin(HistoryAdmin):
    """Findings are resolved (resolved_at) by the sync, never deleted."""

    list_display = ("resource", "kind", "team", "first_detected_at", "resolved_at")
    list_filter = ("kind", "team")
    raw_id_fields = ("resource",)


class CommentInline(admin.TabularInline):
    model = InfraRequestComment
    extra = 0
    raw_id_fields = ("author",)


class EventInline(admin.TabularInline):
    model = InfraRequestEvent
    extra = 0
    readonly_fields = ("actor", "actor_label", "action", "from_status", "to_status", "note", "created_at")
    can_delete = False


@admin.register(InfraRequest)
class InfraRequestAdmin(HistoryAdmin):
    """A request is rejected, not deleted: its decision trail (events) is the audit record."""

    list_display = ("title", "team", "kind", "status", "requester", "due_at", "decided_by")
    list_filter = ("status", "kind", "team")
    search_fields = ("title", "description")
    raw_id_fields = ("requester", "decided_by", "provisioned_by")
    inlines = [CommentInline, EventInline]

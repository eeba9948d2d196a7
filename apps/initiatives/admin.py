from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.initiatives.models import Initiative, InitiativeLink, Milestone, StaleReminder, StatusUpdate


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Initiative)
class InitiativeAdmin(HistoryAdmin):
    list_display = ["title", "team", "kind", "owner", "status", "health", "target_date", "last_update_on"]
    list_filter = ["status", "health", "kind", "team"]
    search_fields = ["title", "cost_tag"]
    raw_id_fields = ["owner", "sponsor"]
    inlines = [MilestoneInline]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(HistoryAdmin):
    list_display = ["initiative", "date", "health", "author", "source"]
    list_filter = ["health"]
    raw_id_fields = ["initiative", "author"]


@admin.register(InitiativeLink)
class InitiativeLinkAdmin(admin.ModelAdmin):
    list_display = ["initiative", "content_type", "object_id", "label", "created_at"]
    raw_id_fields = ["initiative"]


@admin.register(StaleReminder)
class StaleReminderAdmin(admin.ModelAdmin):
    list_display = ["initiative", "sent_on", "recipient"]
    readonly_fields = ["initiative", "sent_on", "recipient", "created_at"]

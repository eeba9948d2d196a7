from django.contrib import admin

from apps.syncs.models import ActionItem, AgendaItem, CalendarFeed, Decision, Meeting, SyncSeries


@admin.register(SyncSeries)
class SyncSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "owner", "cadence", "weekday", "start_time", "time_zone", "is_private", "is_active"]
    list_filter = ["kind", "cadence", "is_private", "is_active"]
    search_fields = ["title"]
    filter_horizontal = ["participants"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["series", "scheduled_at", "status", "is_adhoc", "version"]
    list_filter = ["status", "is_adhoc", "series__kind"]
    date_hierarchy = "scheduled_at"
    readonly_fields = ["version", "notes_updated_at", "notes_updated_by"]


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "meeting", "status", "order"]
    list_filter = ["status"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["text", "series", "owner", "decided_on", "supersedes"]
    search_fields = ["text", "rationale"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "owner", "due_date", "status"]
    list_filter = ["status"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["person", "rotated_at"]
    readonly_fields = ["token"]

from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.knowledge.models import (
    Attendance,
    CalendarFeed,
    Feedback,
    Proposal,
    ProposalVote,
    Session,
    SessionSeries,
    Talk,
)


@admin.register(SessionSeries)
class SessionSeriesAdmin(HistoryAdmin):
    """A series is deactivated (is_active), never deleted: its sessions are history."""

    list_display = ["name", "cadence", "weekday", "week_of_month", "start_time", "host", "is_active"]
    raw_id_fields = ["host"]


@admin.register(Session)
class SessionAdmin(HistoryAdmin):
    """A session is cancelled (is_cancelled), never deleted: its attendance is history."""

    list_display = ["title", "starts_at", "duration_minutes", "host", "series", "is_cancelled"]
    list_select_related = ["host", "series"]
    list_filter = ["series", "is_cancelled"]
    search_fields = ["title"]
    raw_id_fields = ["host"]


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ["title", "session", "track", "duration_minutes"]
    list_select_related = ["session"]
    list_filter = ["track"]
    search_fields = ["title"]
    raw_id_fields = ["session", "speakers", "proposal", "given_again_from"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "proposer", "track", "status", "created_at"]
    list_select_related = ["proposer"]
    list_filter = ["status", "track"]
    search_fields = ["title"]
    raw_id_fields = ["proposer", "co_speakers", "decided_by"]


@admin.register(ProposalVote)
class ProposalVoteAdmin(admin.ModelAdmin):
    list_display = ["proposal", "person", "created_at"]
    raw_id_fields = ["proposal", "person"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "source", "checked_in_at"]
    raw_id_fields = ["session", "person"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["talk", "person", "rating", "created_at"]
    raw_id_fields = ["talk", "person"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["person", "created_at"]
    raw_id_fields = ["person"]
    exclude = ["token"]

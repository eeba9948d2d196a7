from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.security.models import (
    AmaSession,
    Bulletin,
    Control,
    EvidenceItem,
    Training,
    TrainingSession,
)

# AmaQuestion and AmaVote are deliberately not in the admin: the admin writes a LogEntry
# naming the staff user, and questions are handled through the moderation pages.


@admin.register(AmaSession)
class AmaSessionAdmin(HistoryAdmin):
    list_display = ["title", "starts_at", "host", "is_open"]


@admin.register(Bulletin)
class BulletinAdmin(HistoryAdmin):
    list_display = ["title", "severity", "requires_ack", "due_date", "published_at"]


@admin.register(Training)
class TrainingAdmin(HistoryAdmin):
    list_display = ["title", "kind", "recurrence_months", "first_due_on", "is_active"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(HistoryAdmin):
    list_display = ["training", "held_on", "trainer"]


@admin.register(Control)
class ControlAdmin(HistoryAdmin):
    list_display = ["code", "title", "theme", "owner", "is_applicable"]
    search_fields = ["code", "title"]


@admin.register(EvidenceItem)
class EvidenceItemAdmin(HistoryAdmin):
    list_display = ["title", "source", "owner", "collected_on", "expires_on"]

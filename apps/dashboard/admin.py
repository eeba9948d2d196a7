from django.contrib import admin

from apps.dashboard.models import DigestSent


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ("week_start", "recipient", "sent_at")
    date_hierarchy = "week_start"
    search_fields = ("recipient",)
    readonly_fields = ("week_start", "recipient", "person", "sent_at")

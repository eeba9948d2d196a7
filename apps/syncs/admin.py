from django import forms
from django.contrib import admin
from django.utils import timezone

from apps.core.admin import HistoryAdmin
from apps.org.models import Person
from apps.syncs.models import ActionItem, AgendaItem, CalendarFeed, Decision, Meeting, SyncSeries


@admin.register(SyncSeries)
class SyncSeriesAdmin(HistoryAdmin):
    """A series is ended (is_active off), never deleted: its meetings, notes, decision register and action
    items are history (the foreign keys PROTECT them too)."""

    list_display = ["title", "kind", "owner", "cadence", "weekday", "start_time", "time_zone", "is_private", "is_active"]
    list_filter = ["kind", "cadence", "is_private", "is_active"]
    search_fields = ["title"]
    filter_horizontal = ["participants"]


class MeetingAdminForm(forms.ModelForm):
    """The admin edits notes like the meeting page does: the change form carries the notes
    version it was opened at, and a save after someone else's notes save is refused."""

    notes_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = Meeting
        fields = ["series", "scheduled_at", "duration_minutes", "status", "is_adhoc", "title", "attendees", "notes",
                  "carried_forward_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["notes_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("notes_version")
        if self.instance.pk and opened is not None and "notes" in self.changed_data:
            # Locked until the admin's transaction ends, so no page save slips in before save_model.
            current = Meeting.objects.select_for_update().filter(pk=self.instance.pk).values_list(
                "version", flat=True).first()
            if current is not None and current != opened:
                raise forms.ValidationError(
                    f"The notes were saved by someone else (version {current}) after you opened version {opened}. "
                    "Reload the page to see them; nothing was saved.")
        return cleaned


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    form = MeetingAdminForm
    list_display = ["series", "scheduled_at", "status", "is_adhoc", "version"]
    list_filter = ["status", "is_adhoc", "series__kind"]
    date_hierarchy = "scheduled_at"
    readonly_fields = ["version", "notes_updated_at", "notes_updated_by"]

    def save_model(self, request, obj, form, change):
        """An admin edit of the notes is a notes save: it moves the version (read under the row's
        lock; the admin runs the change in a transaction), so a page save based on the older
        version is refused with both texts instead of silently erasing this edit."""
        if change and "notes" in form.changed_data:
            current = Meeting.objects.select_for_update().only("version").get(pk=obj.pk)
            obj.version = current.version + 1
            obj.notes_updated_at = timezone.now()
            obj.notes_updated_by = Person.objects.filter(user_id=request.user.pk).first()
        super().save_model(request, obj, form, change)


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "meeting", "status", "order"]
    list_filter = ["status"]


@admin.register(Decision)
class DecisionAdmin(HistoryAdmin):
    list_display = ["text", "series", "owner", "decided_on", "supersedes"]
    search_fields = ["text", "rationale"]


@admin.register(ActionItem)
class ActionItemAdmin(HistoryAdmin):
    list_display = ["title", "series", "owner", "due_date", "status"]
    list_filter = ["status"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["person", "rotated_at"]
    readonly_fields = ["token"]

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from apps.core.forms import DateInput, DateTimeInput
from apps.org.models import Person
from apps.syncs.models import MAX_NOTES_CHARS, ActionItem, AgendaItem, Decision, Meeting, SyncSeries


def _active_people():
    return Person.objects.filter(is_active=True).order_by("full_name")


class SeriesForm(forms.ModelForm):
    participants = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False,
                                                  widget=forms.SelectMultiple(attrs={"size": 8}),
                                                  help_text="The owner is always a participant.")

    class Meta:
        model = SyncSeries
        fields = ["kind", "title", "owner", "participants", "cadence", "weekday", "start_time", "time_zone",
                  "duration_minutes", "starts_on", "agenda_template", "is_private", "is_active"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "starts_on": DateInput(),
            "agenda_template": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _active_people()
        self.fields["owner"].required = False
        self.fields["participants"].queryset = _active_people()
        if not self.instance.pk:
            del self.fields["is_active"]  # a new series is active; ending one is an edit
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("kind"), Column("title"), Column("owner")),
            "participants",
            Row(Column("cadence"), Column("weekday"), Column("start_time"), Column("time_zone"),
                Column("duration_minutes"), Column("starts_on")),
            "agenda_template",
            Row(Column("is_private"), Column("is_active")) if self.instance.pk else "is_private",
            Submit("save", "Save"),
        )

    def _post_clean(self):
        # Validation lives in the service (check, then do).
        pass


class AdhocMeetingForm(forms.Form):
    scheduled_at = forms.DateTimeField(label="When", widget=DateTimeInput(),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    title = forms.CharField(max_length=150, required=False)


class AgendaItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    presenter = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    minutes = forms.IntegerField(min_value=1, max_value=480, required=False)

    def __init__(self, *args, participants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenter"].queryset = participants if participants is not None else Person.objects.none()


class NotesForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 14}),
                           max_length=MAX_NOTES_CHARS, strip=False)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


STALE_PAGE = "This page is out of date: reload it and try again."


def _seen_status(choices) -> forms.ChoiceField:
    """What the page showed, posted back with a status change so a stale page cannot undo a newer
    one (see the services' ``seen_status``)."""
    return forms.ChoiceField(choices=choices, widget=forms.HiddenInput,
                             error_messages={"required": STALE_PAGE, "invalid_choice": STALE_PAGE})


class MeetingStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Meeting.Status.choices)
    attendees = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    seen_status = _seen_status(Meeting.Status.choices)
    # The attendance the page showed: the save applies the ticks the person changed, so two people
    # ticking at once both count.
    seen_attendees = forms.ModelMultipleChoiceField(queryset=Person.objects.all(), required=False,
                                                    widget=forms.MultipleHiddenInput)

    def __init__(self, *args, participants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = participants if participants is not None else Person.objects.none()


class DecisionForm(forms.Form):
    text = forms.CharField(max_length=500, label="Decision")
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    supersedes = forms.ModelChoiceField(queryset=Decision.objects.none(), required=False)

    def __init__(self, *args, participants=None, decisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = participants if participants is not None else Person.objects.none()
        self.fields["supersedes"].queryset = decisions if decisions is not None else Decision.objects.none()


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    due_date = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args, participants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = participants if participants is not None else Person.objects.none()


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    seen_status = _seen_status(ActionItem.Status.choices)


class AgendaStatusForm(forms.Form):
    status = forms.ChoiceField(choices=AgendaItem.Status.choices)
    seen_status = _seen_status(AgendaItem.Status.choices)


class DecisionFilterForm(forms.Form):
    series = forms.IntegerField(required=False)
    person = forms.IntegerField(required=False)
    date_from = forms.DateField(required=False, widget=DateInput())
    date_to = forms.DateField(required=False, widget=DateInput())
    q = forms.CharField(required=False, max_length=200)

    def filters(self) -> dict:
        """Valid filters only: a malformed one is ignored (and reported by the form), never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) or None for k in ("series", "person", "date_from", "date_to", "q")}

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.db import models

from apps.core.forms import DateInput, DateTimeInput
from apps.knowledge.models import MAX_TALK_MINUTES, Proposal, Session, SessionSeries, Talk, Track
from apps.org.models import Person


def _formfield(field, **kwargs):
    """URL fields assume https when the scheme is left out (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _active_people():
    return Person.objects.filter(is_active=True).order_by("full_name")


class _ServiceValidated(forms.ModelForm):
    """Validation lives in the services (check, then do); skip the model's full_clean so errors
    are not reported twice."""

    def _post_clean(self):
        pass


class SeriesForm(_ServiceValidated):
    class Meta:
        model = SessionSeries
        formfield_callback = _formfield
        fields = ["name", "description", "cadence", "weekday", "week_of_month", "start_time", "time_zone",
                  "duration_minutes", "starts_on", "ends_on", "generate_ahead", "location", "call_url", "host",
                  "is_active"]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = _active_people()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("name"), Column("host")),
            "description",
            Row(Column("cadence"), Column("weekday"), Column("week_of_month")),
            Row(Column("start_time"), Column("time_zone"), Column("duration_minutes")),
            Row(Column("starts_on"), Column("ends_on"), Column("generate_ahead")),
            Row(Column("location"), Column("call_url")),
            "is_active",
            Submit("save", "Save"),
        )


class SessionForm(_ServiceValidated):
    class Meta:
        model = Session
        formfield_callback = _formfield
        fields = ["title", "starts_at", "duration_minutes", "location", "call_url", "host", "recording_url",
                  "description", "is_cancelled"]
        widgets = {
            "starts_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = _active_people()
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "title",
            Row(Column("starts_at"), Column("duration_minutes"), Column("host")),
            Row(Column("location"), Column("call_url")),
            "recording_url", "description", "is_cancelled",
            Submit("save", "Save"),
        )


class ProposalForm(_ServiceValidated):
    co_speakers = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False)

    class Meta:
        model = Proposal
        fields = ["title", "track", "duration_minutes", "abstract", "co_speakers"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"abstract": "Markdown. What will people learn?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_speakers"].queryset = _active_people()
        self.fields["duration_minutes"].widget.attrs.update({"min": 5, "max": MAX_TALK_MINUTES})
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "title", Row(Column("track"), Column("duration_minutes")), "abstract", "co_speakers",
            Submit("save", "Propose"),
        )


class TalkForm(_ServiceValidated):
    speakers = forms.ModelMultipleChoiceField(queryset=Person.objects.none())

    class Meta:
        model = Talk
        formfield_callback = _formfield
        fields = ["title", "track", "duration_minutes", "speakers", "abstract", "slides_url", "recording_url"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speakers"].queryset = _active_people()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "title", Row(Column("track"), Column("duration_minutes")), "speakers", "abstract",
            Row(Column("slides_url"), Column("recording_url")),
            Submit("save", "Save"),
        )


class SessionChoiceForm(forms.Form):
    session = forms.ModelChoiceField(queryset=Session.objects.none(), empty_label=None)

    def __init__(self, *args, sessions=None, submit: str = "Schedule", **kwargs):
        super().__init__(*args, **kwargs)
        if sessions is not None:
            self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = (
            lambda s: f"{s.title} · {s.starts_at:%Y-%m-%d} · {s.duration_minutes - s.booked_minutes} min free"
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", submit))


class RejectForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                           help_text="Shown to the proposer: why, and what would make it work.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("reject", "Reject", css_class="btn-danger"))


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(choices=[(i, str(i)) for i in range(1, 6)], coerce=int,
                                    widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(InlineRadios("rating"), "comment")


class AttendanceImportForm(forms.Form):
    emails = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}),
                             help_text="Email addresses separated by commas, spaces or new lines.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("import", "Import attendance"))


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False)
    track = forms.ChoiceField(choices=[("", "All tracks"), *Track.choices], required=False)
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100)

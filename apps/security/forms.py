from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from apps.core.forms import DateInput, DateTimeInput
from apps.core.roles import PERSON_ROLES
from apps.org.models import Person, Team
from apps.security.models import AmaQuestion, Control, Severity, Training
from apps.security.services import QUESTION_MAX_LENGTH

DATE = DateInput()
DATETIME = DateTimeInput()


class _Crispy:
    submit_label = "Save"

    def _helper(self):
        helper = FormHelper()
        helper.add_input(Submit("submit", self.submit_label))
        return helper


def _people():
    return Person.objects.filter(is_active=True).order_by("full_name")


class AmaSessionForm(_Crispy, forms.Form):
    title = forms.CharField(max_length=200)
    starts_at = forms.DateTimeField(widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    host = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recording_url = forms.URLField(required=False, assume_scheme="https")
    is_open = forms.BooleanField(required=False, initial=True, label="Accepting questions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = _people()
        self.helper = self._helper()


class QuestionForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-maxlength": QUESTION_MAX_LENGTH}),
                           max_length=QUESTION_MAX_LENGTH, label="Your question")
    anonymous = forms.BooleanField(required=False, label="Ask anonymously (nobody, not even the CTO, can see it was you)")


class ModerateForm(forms.Form):
    status = forms.ChoiceField(choices=AmaQuestion.Status.choices, required=False)
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    in_faq = forms.BooleanField(required=False)
    faq_title = forms.CharField(max_length=200, required=False)
    action = forms.ChoiceField(choices=[("status", "status"), ("answer", "answer"), ("faq", "faq")])


class AttendanceForm(_Crispy, forms.Form):
    submit_label = "Record attendance"
    people = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), widget=forms.SelectMultiple(attrs={"size": 12}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = _people()
        self.helper = self._helper()


class AudienceMixin(forms.Form):
    audience_teams = forms.ModelMultipleChoiceField(queryset=Team.objects.none(), required=False,
                                                    help_text="Empty: every team.")
    audience_roles = forms.MultipleChoiceField(choices=PERSON_ROLES, required=False, help_text="Empty: every role.",
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_teams"].queryset = Team.objects.filter(is_active=True).order_by("name")


class BulletinForm(_Crispy, AudienceMixin):
    submit_label = "Publish"
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown.")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)
    requires_ack = forms.BooleanField(required=False, initial=True, label="Acknowledgement required")
    due_date = forms.DateField(widget=DATE, required=False)
    field_order = ["title", "body", "severity", "requires_ack", "due_date", "audience_teams", "audience_roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()


class TrainingForm(_Crispy, AudienceMixin):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Training.Kind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recurrence_months = forms.IntegerField(min_value=0, max_value=60, initial=12,
                                           help_text="12 = yearly; 0 = once.")
    first_due_on = forms.DateField(widget=DATE)
    pass_score = forms.IntegerField(min_value=0, max_value=100, required=False)
    field_order = ["title", "kind", "description", "recurrence_months", "first_due_on", "pass_score",
                   "audience_teams", "audience_roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()


class TrainingSessionForm(_Crispy, forms.Form):
    held_on = forms.DateField(widget=DATE)
    trainer = forms.CharField(max_length=150, required=False)
    location = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()


class TrainingAttendanceForm(_Crispy, forms.Form):
    submit_label = "Record"
    person = forms.ModelChoiceField(queryset=Person.objects.none())
    score = forms.IntegerField(min_value=0, max_value=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people()
        self.helper = self._helper()


class ControlForm(_Crispy, forms.ModelForm):
    class Meta:
        model = Control
        fields = ["title", "owner", "is_applicable", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.helper = self._helper()


class EvidenceForm(_Crispy, forms.Form):
    title = forms.CharField(max_length=200)
    controls = forms.ModelMultipleChoiceField(queryset=Control.objects.none(),
                                              widget=forms.SelectMultiple(attrs={"size": 10}))
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    collected_on = forms.DateField(widget=DATE)
    expires_on = forms.DateField(widget=DATE, required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["controls"].queryset = Control.objects.order_by("sort_key")
        self.fields["owner"].queryset = _people()
        self.helper = self._helper()


class PeriodForm(forms.Form):
    start = forms.DateField(widget=DATE)
    end = forms.DateField(widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The period ends before it starts.")
        return data

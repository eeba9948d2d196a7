from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms

from apps.core.forms import DateInput
from apps.initiatives.models import Health, Initiative, Milestone, StatusUpdate
from apps.org.models import Person, Team

DATE = DateInput()


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ["title", "team", "kind", "owner", "sponsor", "status", "start_date", "target_date", "cost_tag",
                  "problem", "goal", "replaces_process", "hours_saved_estimated", "hours_saved_measured",
                  "product_metric", "metric_baseline", "metric_target", "metric_current"]
        widgets = {"start_date": DATE, "target_date": DATE,
                   "problem": forms.Textarea(attrs={"rows": 4}), "goal": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")
        people = Person.objects.filter(is_active=True).order_by("full_name")
        self.fields["owner"].queryset = people
        self.fields["sponsor"].queryset = people
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("title", css_class="col-md-6"), Column("team"), Column("kind")),
            Row(Column("owner"), Column("sponsor"), Column("status")),
            Row(Column("start_date"), Column("target_date"), Column("cost_tag")),
            "problem", "goal",
            Fieldset("Benefits — automation",
                     Row(Column("replaces_process", css_class="col-md-6"), Column("hours_saved_estimated"),
                         Column("hours_saved_measured"))),
            Fieldset("Benefits — product feature",
                     Row(Column("product_metric", css_class="col-md-6"), Column("metric_baseline"),
                         Column("metric_target"), Column("metric_current"))),
            Submit("save", "Save"),
        )

    def _post_clean(self):
        # Validation lives in the service (check, then do).
        pass


class StatusUpdateForm(forms.ModelForm):
    status = forms.ChoiceField(required=False, help_text="Optionally move the initiative.",
                               choices=[("", "— keep the status —"), *Initiative.Status.choices])

    class Meta:
        model = StatusUpdate
        fields = ["date", "health", "text"]
        widgets = {"date": DATE, "health": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["health"].choices = Health.choices
        self.helper = FormHelper()
        self.helper.layout = Layout(Row(Column("date"), Column("health"), Column("status")), "text",
                                    Submit("post", "Post update"))

    def _post_clean(self):
        pass


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_date", "done_date", "description"]
        widgets = {"due_date": DATE, "done_date": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Row(Column("title", css_class="col-md-6"), Column("due_date"), Column("done_date")),
                                    "description", Submit("save", "Save milestone"))

    def _post_clean(self):
        pass


class LinkForm(forms.Form):
    target = forms.ChoiceField(label="Object type")
    object_id = forms.IntegerField(min_value=1, label="Id")
    label = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)
        self.helper = FormHelper()
        self.helper.layout = Layout(Row(Column("target"), Column("object_id"), Column("label")),
                                    Submit("link", "Link"))

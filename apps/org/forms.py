from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from apps.core.forms import DateInput
from apps.org.models import Person, Team


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["full_name", "email", "title", "role", "level", "team", "manager", "location", "country",
                  "time_zone", "start_date"]
        widgets = {"start_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = Person.objects.filter(is_active=True).order_by("full_name")
        self.fields["team"].queryset = Team.objects.filter(is_active=True)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("full_name"), Column("email")),
            Row(Column("title"), Column("role"), Column("level")),
            Row(Column("team"), Column("manager")),
            Row(Column("location"), Column("country"), Column("time_zone"), Column("start_date")),
            Submit("save", "Save"),
        )

    def _post_clean(self):
        # Validation lives in the service (check, then do); skip the model's own full_clean
        # so errors are not reported twice.
        pass


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "kind", "lead", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Person.objects.filter(is_active=True).order_by("full_name")
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))

    def _post_clean(self):
        pass


class PeopleImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row: email, full_name, role, and optionally title, level, "
                                     "team, manager_email, location, country, time_zone, start_date, active.")

    MAX_BYTES = 5 * 1024 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("import", "Check and import"))

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text; export it as CSV (UTF-8).") from None


class DeactivateForm(forms.Form):
    end_date = forms.DateField(required=False, widget=DateInput(),
                               help_text="Last day; today if empty.")

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator

from apps.core.forms import DateInput
from apps.costs.models import AwsAccount
from apps.infra.models import InfraRequest, Resource
from apps.org.models import Team


class InfraRequestForm(forms.ModelForm):
    class Meta:
        model = InfraRequest
        fields = ["title", "team", "kind", "description", "estimated_monthly_cost", "currency", "needed_by"]
        widgets = {"needed_by": DateInput(),
                   "description": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"description": "What is needed, for what, and how it will be used. Markdown works.",
                      "estimated_monthly_cost": "Best guess of the monthly run cost."}

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.filter(is_active=True)
        self.fields["currency"].initial = settings.REPORTING_CURRENCY
        self.fields["estimated_monthly_cost"].validators.append(MinValueValidator(0))
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("title", css_class="col-md-8"), Column("team"), Column("kind")),
            "description",
            Row(Column("estimated_monthly_cost"), Column("currency"), Column("needed_by")),
            Submit("submit", "Submit request"),
        )

    def _post_clean(self):
        pass  # the service validates (check, then do)


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="Required when rejecting.")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class LinkResourcesForm(forms.Form):
    resources = forms.ModelMultipleChoiceField(queryset=Resource.objects.none(),
                                               widget=forms.SelectMultiple(attrs={"size": 8}))
    note = forms.CharField(required=False)

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resources is not None:
            self.fields["resources"].queryset = resources


class SyncForm(forms.Form):
    accounts = forms.ModelMultipleChoiceField(
        queryset=AwsAccount.objects.filter(enabled=True).order_by("name"), required=False,
        to_field_name="account_id", help_text="Leave empty to inventory every enabled account.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("start", "Start inventory sync"))

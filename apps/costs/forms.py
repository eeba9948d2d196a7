from __future__ import annotations

from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.conf import settings

from apps.core.forms import DateInput
from apps.costs import importers, selectors
from apps.costs.models import AwsAccount, Budget, CostAnomaly, FxRate, SavingsOpportunity, TagRule, ToolSubscription
from apps.org.models import Person, Team

MAX_RANGE_DAYS = 3 * 366 + 1


class ExplorerForm(forms.Form):
    """The cost explorer's query (GET). Invalid input falls back to the last 30 days."""

    start = forms.DateField(required=False, widget=DateInput())
    end = forms.DateField(required=False, widget=DateInput())
    group_by = forms.ChoiceField(choices=[(g, g.title()) for g in selectors.GROUP_BY], required=False)
    granularity = forms.ChoiceField(choices=[(g, g.title()) for g in selectors.GRANULARITIES], required=False)
    team = forms.CharField(required=False)
    service = forms.CharField(required=False)
    account = forms.CharField(required=False)
    provider = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        today = date.today()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            self.add_error("start", "The start is after the end.")
        elif (end - start).days > MAX_RANGE_DAYS:
            self.add_error("start", "At most three years at a time.")
        data["start"], data["end"] = start, end
        data["group_by"] = data.get("group_by") or "service"
        data["granularity"] = data.get("granularity") or ("monthly" if (end - start).days > 92 else "daily")
        return data

    def query(self) -> dict:
        data = self.cleaned_data
        return {k: data.get(k) or None for k in ("start", "end", "group_by", "granularity", "team", "service",
                                                 "account", "provider")}


class _ServiceForm(forms.ModelForm):
    """Validation lives in the service (check, then do): skip the model's own full_clean."""

    def _post_clean(self):
        pass


class BudgetForm(_ServiceForm):
    thresholds = forms.CharField(initial="80, 100", help_text="Percentages, comma separated.", required=False)

    class Meta:
        model = Budget
        fields = ["name", "scope", "team", "account", "service", "period", "amount", "currency", "thresholds",
                  "alert_on_forecast", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True)
        self.fields["account"].queryset = AwsAccount.objects.all()
        self.fields["currency"].initial = settings.REPORTING_CURRENCY
        if self.instance.pk:
            self.initial["thresholds"] = ", ".join(str(t) for t in self.instance.thresholds)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("name"), Column("scope"), Column("period")),
            Row(Column("team"), Column("account"), Column("service")),
            Row(Column("amount"), Column("currency"), Column("thresholds")),
            Row(Column("alert_on_forecast"), Column("is_active")),
            Submit("save", "Save"),
        )

    def clean_thresholds(self) -> list[int]:
        raw = self.cleaned_data.get("thresholds") or ""
        try:
            return [int(x) for x in raw.replace(";", ",").split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError("Whole percentages separated by commas, e.g. 80, 100.") from None


class TriageForm(forms.Form):
    status = forms.ChoiceField(choices=CostAnomaly.Status.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("triage", "Save triage"))


class SubscriptionForm(_ServiceForm):
    class Meta:
        model = ToolSubscription
        fields = ["vendor", "product", "category", "owner_team", "owner", "amount", "currency", "billing_period",
                  "seats_purchased", "seats_used", "renewal_date", "notice_days", "notes", "is_active"]
        widgets = {"renewal_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.filter(is_active=True)
        self.fields["owner"].queryset = Person.objects.filter(is_active=True).order_by("full_name")
        self.fields["currency"].initial = settings.REPORTING_CURRENCY
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("vendor"), Column("product"), Column("category")),
            Row(Column("owner_team"), Column("owner")),
            Row(Column("amount"), Column("currency"), Column("billing_period")),
            Row(Column("seats_purchased"), Column("seats_used"), Column("renewal_date"), Column("notice_days")),
            "notes", "is_active",
            Submit("save", "Save"),
        )


class OpportunityForm(_ServiceForm):
    class Meta:
        model = SavingsOpportunity
        fields = ["title", "source", "external_id", "account", "service", "team", "estimated_monthly",
                  "realised_monthly", "currency", "status", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True)
        self.fields["currency"].initial = settings.REPORTING_CURRENCY
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("title"), Column("status")),
            Row(Column("source"), Column("external_id")),
            Row(Column("account"), Column("service"), Column("team")),
            Row(Column("estimated_monthly"), Column("realised_monthly"), Column("currency")),
            "notes",
            Submit("save", "Save"),
        )


class CostImportForm(forms.Form):
    file = forms.FileField(help_text="A FOCUS 1.0 or AWS CUR export: .csv or .csv.gz.")
    format = forms.ChoiceField(choices=[("", "Detect from the header"), *[(f, f.upper()) for f in importers.FORMATS]],
                               required=False)

    MAX_BYTES = 200 * 1024 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("import", "Upload and import"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > self.MAX_BYTES:
            raise forms.ValidationError("At most 200 MB; import bigger exports from S3 with import_costs.")
        if not f.name.endswith((".csv", ".gz")):
            raise forms.ValidationError("A .csv or .csv.gz file, please.")
        return f


class TagRuleForm(_ServiceForm):
    class Meta:
        model = TagRule
        fields = ["tag_key", "tag_value", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.fields["tag_key"].help_text = "e.g. business_unit (case-insensitive; AWS's user: prefix is ignored)"
        self.helper = FormHelper()
        self.helper.layout = Layout(Row(Column("tag_key"), Column("tag_value"), Column("team")), Submit("save", "Save"))


class FxRateForm(_ServiceForm):
    class Meta:
        model = FxRate
        fields = ["currency", "valid_from", "rate"]
        widgets = {"valid_from": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = f"1 unit of the currency in {settings.REPORTING_CURRENCY}"
        self.helper = FormHelper()
        self.helper.layout = Layout(Row(Column("currency"), Column("valid_from"), Column("rate")), Submit("save", "Save"))

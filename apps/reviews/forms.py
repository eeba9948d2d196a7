from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from apps.core.forms import DateInput
from apps.core.roles import PERSON_ROLES
from apps.org.models import Team
from apps.reviews.models import CompensationRecord, RaiseProposal, Review, ReviewCycle, ReviewTemplate

DATE = DateInput()


class CycleForm(forms.Form):
    name = forms.CharField(max_length=150)
    template = forms.ModelChoiceField(queryset=ReviewTemplate.objects.filter(is_active=True))
    scope = forms.ChoiceField(choices=ReviewCycle.Scope.choices)
    scope_teams = forms.ModelMultipleChoiceField(queryset=Team.objects.filter(is_active=True), required=False)
    scope_roles = forms.MultipleChoiceField(choices=PERSON_ROLES, required=False)
    self_review_due = forms.DateField(widget=DATE)
    manager_review_due = forms.DateField(widget=DATE)
    calibration_due = forms.DateField(widget=DATE)
    share_date = forms.DateField(widget=DATE)
    effective_date = forms.DateField(widget=DATE)
    budget_percent = forms.DecimalField(max_digits=5, decimal_places=2, required=False,
                                        help_text="Raise budget as % of payroll, per currency.")
    budget_eur = forms.DecimalField(max_digits=14, decimal_places=2, required=False, label="Budget in EUR")
    budget_usd = forms.DecimalField(max_digits=14, decimal_places=2, required=False, label="Budget in USD")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("name"), Column("template")),
            Row(Column("scope"), Column("scope_teams"), Column("scope_roles")),
            Row(Column("self_review_due"), Column("manager_review_due"), Column("calibration_due"),
                Column("share_date"), Column("effective_date")),
            Row(Column("budget_percent"), Column("budget_eur"), Column("budget_usd")),
            Submit("save", "Create cycle"),
        )

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        budgets = {cur: d.pop(f"budget_{cur.lower()}") for cur in ("EUR", "USD")}
        d["budgets"] = {k: v for k, v in budgets.items() if v is not None}
        d["scope_teams"] = list(d["scope_teams"])
        return d


class CycleDatesForm(forms.Form):
    self_review_due = forms.DateField(widget=DATE)
    manager_review_due = forms.DateField(widget=DATE)
    calibration_due = forms.DateField(widget=DATE)
    share_date = forms.DateField(widget=DATE)
    effective_date = forms.DateField(widget=DATE, help_text="When approved raises take effect.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("self_review_due"), Column("manager_review_due"), Column("calibration_due"),
                Column("share_date"), Column("effective_date")),
            Submit("save", "Save dates"),
        )


def _score_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=False, coerce=int, empty_value=None,
                                  choices=[("", "–")] + [(i, str(i)) for i in range(1, 6)])


class SelfReviewForm(forms.Form):
    self_assessment = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False)

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = [s for s in review.scores.all()]
        for s in self.criteria:
            self.fields[f"score_{s.criterion_id}"] = _score_field(f"{s.criterion.name} (weight {s.criterion.weight})")
            self.initial.setdefault(f"score_{s.criterion_id}", s.self_score)
        self.initial.setdefault("self_assessment", review.self_assessment)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save draft", css_class="btn-outline-primary"))
        self.helper.add_input(Submit("submit", "Submit"))

    def scores(self) -> dict:
        return {s.criterion_id: self.cleaned_data.get(f"score_{s.criterion_id}") for s in self.criteria}


class ManagerReviewForm(forms.Form):
    manager_assessment = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False)
    override_rating = _score_field("Override the derived rating")
    override_reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    potential = forms.ChoiceField(choices=[("", "–")] + list(Review.Potential.choices), required=False)
    promotion_recommended = forms.BooleanField(required=False)
    promotion_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = [s for s in review.scores.all()]
        for s in self.criteria:
            self.fields[f"score_{s.criterion_id}"] = _score_field(f"{s.criterion.name} (weight {s.criterion.weight})")
            self.initial.setdefault(f"score_{s.criterion_id}", s.manager_score)
        for name in ("manager_assessment", "override_rating", "override_reason", "potential",
                     "promotion_recommended", "promotion_note"):
            self.initial.setdefault(name, getattr(review, name))
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save draft", css_class="btn-outline-primary"))
        self.helper.add_input(Submit("submit", "Submit"))

    def scores(self) -> dict:
        return {s.criterion_id: self.cleaned_data.get(f"score_{s.criterion_id}") for s in self.criteria}


class CalibrateForm(forms.Form):
    rating = _score_field("Final rating")
    potential = forms.ChoiceField(choices=[("", "–")] + list(Review.Potential.choices), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CompensationForm(forms.Form):
    effective_date = forms.DateField(widget=DATE)
    base_salary = forms.DecimalField(max_digits=12, decimal_places=2, help_text="Yearly base salary.")
    currency = forms.CharField(max_length=3, initial="EUR")
    level = forms.CharField(max_length=32)
    location = forms.ChoiceField(choices=CompensationRecord.Location.choices)
    country = forms.CharField(max_length=2)
    note = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("effective_date"), Column("base_salary"), Column("currency")),
            Row(Column("level"), Column("location"), Column("country")), "note", Submit("save", "Record"),
        )


class PayBandForm(forms.Form):
    level = forms.CharField(max_length=32)
    zone = forms.CharField(max_length=32, help_text='e.g. "local-PT", "remote-EU".')
    currency = forms.CharField(max_length=3)
    minimum = forms.DecimalField(max_digits=12, decimal_places=2)
    midpoint = forms.DecimalField(max_digits=12, decimal_places=2)
    maximum = forms.DecimalField(max_digits=12, decimal_places=2)
    location_factor = forms.DecimalField(max_digits=4, decimal_places=3, initial="1.000")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("level"), Column("zone"), Column("currency")),
            Row(Column("minimum"), Column("midpoint"), Column("maximum"), Column("location_factor")),
            Submit("save", "Save band"),
        )


class RaiseForm(forms.Form):
    person = forms.TypedChoiceField(coerce=int, choices=[])
    proposed_salary = forms.DecimalField(max_digits=12, decimal_places=2)
    proposed_level = forms.CharField(max_length=32, required=False, help_text="Empty: no level change.")
    reason = forms.ChoiceField(choices=RaiseProposal.Reason.choices)
    justification = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text="Required when the salary falls outside the band.")

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.full_name) for p in people]
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Propose"))


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One criterion a line: name | weight | description (optional), e.g. \"Delivery | 40 | Ships\".",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Create template"))

    def clean_criteria(self) -> list[dict]:
        out = []
        for n, line in enumerate(self.cleaned_data["criteria"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 2:
                raise forms.ValidationError(f"Line {n}: write 'name | weight'.")
            out.append({"name": parts[0], "weight": parts[1], "description": parts[2] if len(parts) > 2 else ""})
        return out

"""Admin: cycles, templates and bands only. Pay and reviews are not in the admin on purpose:
every read of them must go through the selectors that check access and write the access log."""
from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.reviews.models import Criterion, CycleBudget, PayBand, ReviewCycle, ReviewTemplate


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    inlines = [CriterionInline]


class CycleBudgetInline(admin.TabularInline):
    model = CycleBudget
    extra = 0


@admin.register(ReviewCycle)
class ReviewCycleAdmin(HistoryAdmin):
    list_display = ["name", "stage", "self_review_due", "share_date"]
    list_filter = ["stage"]
    readonly_fields = ["stage", "opened_at", "shared_at", "closed_at"]
    inlines = [CycleBudgetInline]


@admin.register(PayBand)
class PayBandAdmin(admin.ModelAdmin):
    list_display = ["level", "zone", "currency", "minimum", "midpoint", "maximum", "location_factor"]
    list_filter = ["zone", "currency"]

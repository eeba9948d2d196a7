from django.contrib import admin

from apps.costs.models import (
    AwsAccount,
    Budget,
    BudgetAlert,
    CostAnomaly,
    CostEntry,
    FxRate,
    SavingsOpportunity,
    TagRule,
    ToolSubscription,
)


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "account_id", "is_payer", "default_team", "enabled")
    list_filter = ("enabled", "is_payer")
    search_fields = ("name", "account_id")


@admin.register(CostEntry)
class CostEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "provider", "sub_account_id", "service", "region", "team", "cost", "currency", "source")
    list_filter = ("provider", "source", "currency")
    search_fields = ("service", "sub_account_id", "billing_account_id")
    date_hierarchy = "date"
    raw_id_fields = ("account", "team")

    # Facts come from imports and syncs (which keep the monthly roll-up and tag dimension in
    # step); editing one by hand here would silently disagree with them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "valid_from", "rate")
    list_filter = ("currency",)


@admin.register(TagRule)
class TagRuleAdmin(admin.ModelAdmin):
    list_display = ("tag_key", "tag_value", "team")
    search_fields = ("tag_key", "tag_value")


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "team", "account", "service", "period", "amount", "currency", "is_active")
    list_filter = ("scope", "period", "is_active")


@admin.register(BudgetAlert)
class BudgetAlertAdmin(admin.ModelAdmin):
    list_display = ("budget", "period_start", "threshold", "spent", "forecast", "currency", "created_at")


@admin.register(CostAnomaly)
class CostAnomalyAdmin(admin.ModelAdmin):
    list_display = ("date", "dimension", "key", "team", "owner", "impact", "currency", "status")
    list_filter = ("dimension", "status")


@admin.register(ToolSubscription)
class ToolSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("vendor", "product", "owner_team", "amount", "currency", "billing_period", "renewal_date")
    search_fields = ("vendor", "product")


@admin.register(SavingsOpportunity)
class SavingsOpportunityAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "team", "estimated_monthly", "realised_monthly", "currency", "status")
    list_filter = ("source", "status")

from django.contrib import admin

from apps.costs.models import AwsAccount


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "account_id", "is_payer", "default_team", "enabled")
    list_filter = ("enabled", "is_payer")
    search_fields = ("name", "account_id")

from django.contrib import admin

from apps.core.admin import HistoryAdmin
from apps.org.models import Person, Team


@admin.register(Team)
class TeamAdmin(HistoryAdmin):
    """Teams are deactivated (is_active), never deleted: a delete would re-attribute their past costs,
    resources and reviews to nobody."""

    list_display = ("name", "kind", "lead", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("lead",)


@admin.register(Person)
class PersonAdmin(HistoryAdmin):
    """People who leave are deactivated, never deleted."""

    list_display = ("full_name", "email", "role", "team", "manager", "location", "country", "is_active")
    list_filter = ("role", "location", "is_active", "team")
    search_fields = ("full_name", "email", "title")
    raw_id_fields = ("manager", "user")
    list_select_related = ("team", "manager")

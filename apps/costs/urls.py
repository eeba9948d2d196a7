from django.urls import path

from apps.costs import views

app_name = "costs"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("export.csv", views.export_csv, name="export"),
    path("budgets/", views.budget_list, name="budget-list"),
    path("budgets/new/", views.budget_create, name="budget-create"),
    path("budgets/<int:pk>/", views.budget_detail, name="budget-detail"),
    path("budgets/<int:pk>/edit/", views.budget_edit, name="budget-edit"),
    path("anomalies/", views.anomaly_list, name="anomaly-list"),
    path("anomalies/<int:pk>/", views.anomaly_detail, name="anomaly-detail"),
    path("subscriptions/", views.subscription_list, name="subscription-list"),
    path("subscriptions/new/", views.subscription_create, name="subscription-create"),
    path("subscriptions/<int:pk>/edit/", views.subscription_edit, name="subscription-edit"),
    path("opportunities/", views.opportunity_list, name="opportunity-list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity-create"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("import/", views.cost_import, name="import"),
    path("sync/", views.cost_sync, name="sync"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/tag-rules/new/", views.tag_rule_create, name="tagrule-create"),
    path("settings/tag-rules/<int:pk>/edit/", views.tag_rule_edit, name="tagrule-edit"),
    path("settings/tag-rules/<int:pk>/delete/", views.tag_rule_delete, name="tagrule-delete"),
    path("settings/fx-rates/new/", views.fx_rate_create, name="fxrate-create"),
    path("settings/fx-rates/<int:pk>/edit/", views.fx_rate_edit, name="fxrate-edit"),
    path("settings/fx-rates/<int:pk>/delete/", views.fx_rate_delete, name="fxrate-delete"),
]

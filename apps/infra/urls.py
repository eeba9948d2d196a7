from django.urls import path

from apps.infra import views

app_name = "infra"
urlpatterns = [
    path("", views.resource_list, name="resource-list"),
    path("resources/<int:pk>/", views.resource_detail, name="resource-detail"),
    path("findings/", views.finding_list, name="finding-list"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_create, name="request-create"),
    path("requests/report/", views.request_report, name="request-report"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request-reject"),
    path("requests/<int:pk>/provision/", views.request_provision, name="request-provision"),
    path("requests/<int:pk>/link/", views.request_link, name="request-link"),
    path("requests/<int:pk>/comment/", views.request_comment, name="request-comment"),
    path("sync/", views.sync, name="sync"),
]

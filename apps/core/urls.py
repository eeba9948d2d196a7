from django.urls import path

from apps.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("runs/<int:pk>/", views.syncrun_detail, name="syncrun-detail"),
]

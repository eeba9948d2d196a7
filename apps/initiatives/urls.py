from django.urls import path

from apps.initiatives import views

app_name = "initiatives"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.create, name="create"),
    path("quarterly/", views.quarterly, name="quarterly"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/updates/new/", views.update_create, name="update-create"),
    path("<int:pk>/milestones/new/", views.milestone_create, name="milestone-create"),
    path("<int:pk>/links/new/", views.link_create, name="link-create"),
    path("milestones/<int:pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("links/<int:pk>/delete/", views.link_delete, name="link-delete"),
]

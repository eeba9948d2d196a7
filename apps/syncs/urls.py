from django.urls import path

from apps.syncs import views

app_name = "syncs"
urlpatterns = [
    path("", views.series_list, name="series-list"),
    path("series/new/", views.series_create, name="series-create"),
    path("series/<int:pk>/", views.series_detail, name="series-detail"),
    path("series/<int:pk>/edit/", views.series_edit, name="series-edit"),
    path("series/<int:pk>/next/", views.meeting_next, name="meeting-next"),
    path("series/<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("series/<int:pk>/backlog/", views.backlog_add, name="backlog-add"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/status/", views.meeting_status, name="meeting-status"),
    path("meetings/<int:pk>/agenda/", views.agenda_add, name="agenda-add"),
    path("meetings/<int:pk>/notes/", views.notes_save, name="notes-save"),
    path("meetings/<int:pk>/decisions/", views.decision_add, name="decision-add"),
    path("meetings/<int:pk>/actions/", views.action_add, name="action-add"),
    path("meetings/<int:pk>/notes.md", views.meeting_export, name="meeting-export"),
    path("agenda/<int:pk>/status/", views.agenda_item_status, name="agenda-item-status"),
    path("agenda/<int:pk>/move/", views.agenda_item_move, name="agenda-item-move"),
    path("actions/<int:pk>/status/", views.action_status, name="action-status"),
    path("notes/preview/", views.notes_preview, name="notes-preview"),
    path("decisions/", views.decision_log, name="decision-log"),
    path("decisions.csv", views.decision_export, name="decision-export"),
    path("actions/mine/", views.my_actions, name="my-actions"),
    path("actions/owners/", views.actions_by_owner, name="actions-by-owner"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:token>.ics", views.ical_feed, name="ical-feed"),
]

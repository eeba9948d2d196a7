from django.urls import path

from apps.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.session_list, name="session-list"),
    path("sessions/new/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session-check-in"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="session-attendance"),
    path("sessions/<int:pk>/talks/new/", views.talk_create, name="talk-create"),
    path("series/", views.series_list, name="series-list"),
    path("series/new/", views.series_create, name="series-create"),
    path("series/<int:pk>/", views.series_detail, name="series-detail"),
    path("series/<int:pk>/edit/", views.series_edit, name="series-edit"),
    path("series/<int:pk>/generate/", views.series_generate, name="series-generate"),
    path("talks/<int:pk>/", views.talk_detail, name="talk-detail"),
    path("talks/<int:pk>/edit/", views.talk_edit, name="talk-edit"),
    path("talks/<int:pk>/move/", views.talk_move, name="talk-move"),
    path("talks/<int:pk>/again/", views.talk_give_again, name="talk-give-again"),
    path("talks/<int:pk>/propose-again/", views.talk_propose_again, name="talk-propose-again"),
    path("talks/<int:pk>/feedback/", views.talk_feedback, name="talk-feedback"),
    path("talks/<int:pk>/share-feedback/", views.talk_share_feedback, name="talk-share-feedback"),
    path("proposals/", views.proposal_list, name="proposal-list"),
    path("proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal-edit"),
    path("proposals/<int:pk>/vote/", views.proposal_vote, name="proposal-vote"),
    path("proposals/<int:pk>/schedule/", views.proposal_schedule, name="proposal-schedule"),
    path("proposals/<int:pk>/reject/", views.proposal_reject, name="proposal-reject"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal-withdraw"),
    path("library/", views.library, name="library"),
    path("balance/", views.balance, name="balance"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar-reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]

from django.urls import path

from apps.security import views

app_name = "security"
urlpatterns = [
    path("", views.home, name="home"),
    path("ama/", views.ama_list, name="ama-list"),
    path("ama/new/", views.ama_create, name="ama-create"),
    path("ama/<int:pk>/", views.ama_detail, name="ama-detail"),
    path("ama/<int:pk>/edit/", views.ama_edit, name="ama-edit"),
    path("ama/<int:pk>/attendance/", views.ama_attendance, name="ama-attendance"),
    path("ama/<int:pk>/check-in/", views.ama_check_in, name="ama-check-in"),
    path("ama/<int:pk>/ask/", views.question_ask, name="question-ask"),
    path("questions/<int:pk>/vote/", views.question_vote, name="question-vote"),
    path("questions/<int:pk>/moderate/", views.question_moderate, name="question-moderate"),
    path("faq/", views.faq, name="faq"),
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/new/", views.bulletin_create, name="bulletin-create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="bulletin-edit"),
    path("bulletins/<int:pk>/acknowledge/", views.bulletin_ack, name="bulletin-ack"),
    path("trainings/", views.training_list, name="training-list"),
    path("trainings/new/", views.training_create, name="training-create"),
    path("trainings/heatmap/", views.training_heatmap, name="training-heatmap"),
    path("trainings/<int:pk>/", views.training_detail, name="training-detail"),
    path("trainings/<int:pk>/edit/", views.training_edit, name="training-edit"),
    path("trainings/<int:pk>/sessions/new/", views.training_session_create, name="training-session-create"),
    path("training-sessions/<int:pk>/attendance/", views.training_attendance, name="training-attendance"),
    path("controls/", views.control_list, name="control-list"),
    path("controls/<str:code>/", views.control_detail, name="control-detail"),
    path("controls/<str:code>/edit/", views.control_edit, name="control-edit"),
    path("evidence/", views.evidence_list, name="evidence-list"),
    path("evidence/new/", views.evidence_create, name="evidence-create"),
    path("evidence/pack/", views.evidence_pack, name="evidence-pack"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence-detail"),
]

"""Sessions, series and who attended them are history: the admin cannot hard-delete a session or
a series (they are cancelled / deactivated), and attendance and feedback protect what they point at."""
import pytest
from django.contrib import admin
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse

from apps.knowledge.models import Attendance, Feedback, Session, SessionSeries
from tests.knowledge.factories import AttendanceFactory, SeriesFactory, SessionFactory, TalkFactory

pytestmark = pytest.mark.django_db



@pytest.mark.parametrize("model", [Session, SessionSeries])
def test_the_admin_cannot_delete_a_session_or_a_series(world, superuser_client, model):
    series = SeriesFactory()
    session = SessionFactory(series=series)
    AttendanceFactory(session=session, person=world.engineer)
    obj, opts = (session if model is Session else series), model._meta

    response = superuser_client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk]),
                                     {"post": "yes"})

    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
    assert Attendance.objects.filter(session=session).count() == 1
    request = RequestFactory().get("/")
    request.user = world.users["cto"]
    assert "delete_selected" not in admin.site._registry[model].get_actions(request)


def test_attendance_and_feedback_protect_their_session_talk_and_person(world):
    talk = TalkFactory()
    attendance = AttendanceFactory(session=SessionFactory(), person=world.engineer)  # a session without talks
    feedback = Feedback.objects.create(talk=talk, person=world.engineer2, rating=5, comment="Great")

    for obj in (attendance.session, talk, world.engineer, world.engineer2):
        with pytest.raises(ProtectedError):
            obj.delete()

    assert Attendance.objects.filter(pk=attendance.pk).exists() and Feedback.objects.filter(pk=feedback.pk).exists()

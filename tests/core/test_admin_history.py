"""The Django admin never deletes records whose history matters: the product ends them its own
way (deactivated, cancelled, archived, superseded) and a delete would take their history along
(meetings with their notes, review cycles with their reviews, evidence of the ISO audit)."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

HISTORY = [
    "org.Team", "org.Person", "infra.Resource", "infra.Finding", "infra.InfraRequest",
    "syncs.SyncSeries", "syncs.Meeting", "syncs.Decision", "syncs.ActionItem",
    "knowledge.SessionSeries", "knowledge.Session", "reviews.ReviewCycle",
    "security.AmaSession", "security.Bulletin", "security.Training", "security.TrainingSession",
    "security.Control", "security.EvidenceItem", "initiatives.Initiative", "initiatives.StatusUpdate",
    "core.AccessLog",
]


@pytest.mark.parametrize("label", HISTORY)
def test_the_admin_refuses_to_delete_history(label, django_user_model):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_a_superuser_post_to_a_meeting_delete_page_deletes_nothing(world, superuser_client):
    from django.urls import reverse

    from apps.syncs.models import Meeting
    from tests.syncs.builders import build

    meeting = build(world).em_meeting
    Meeting.objects.filter(pk=meeting.pk).update(notes="We chose PostgreSQL 17.")
    response = superuser_client.post(reverse("admin:syncs_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).notes == "We chose PostgreSQL 17."

"""Access leaks the access matrix and the per-app leak hunts do not cover: data that reaches a
role through a related, visible object (an initiative's links, a decision that supersedes
another, ...). Each ``# LEAK:`` test found a leak (fixed since: the link, the superseded text and
the request name are shown only to who may see their target)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse

from apps.core.access import get_actor
from apps.initiatives import services as initiative_services
from apps.initiatives.models import InitiativeLink
from apps.syncs import services as sync_services
from apps.syncs.models import Meeting, SyncSeries
from tests.initiatives.factories import InitiativeFactory

SECRET = "Let engineer2 go at the end of the quarter"


def _actor(world, key):
    return get_actor(world.users[key])


@pytest.fixture
def private_decision(world):
    """A decision recorded in a private 1:1 between em2 and tl2 (nobody else may read it)."""
    one_on_one = sync_services.series_create(
        actor=_actor(world, "em2"), title="Em2 / Tl2 1:1", kind=SyncSeries.Kind.ONE_ON_ONE,
        participants=[world.tl2], cadence=SyncSeries.Cadence.BIWEEKLY, weekday=4, start_time=time(11, 0),
        generate=False,
    )
    meeting = Meeting.objects.create(series=one_on_one, scheduled_at=datetime.now(UTC) - timedelta(days=1),
                                     duration_minutes=30)
    return sync_services.decision_record(actor=_actor(world, "em2"), series=one_on_one, meeting=meeting,
                                         text=SECRET)


@pytest.fixture
def initiative(world):
    # Owned by the TL of team alpha: TL, EM of alpha and the CTO may edit it; everyone reads it.
    return InitiativeFactory(team=world.teams["alpha"], owner=world.tl, title="Invoice OCR")


def _sees_secret(world, role, url) -> bool:
    return SECRET in world.client(role).get(url).content.decode()


# -- initiatives: links to objects of other apps -------------------------------------------------------
def test_linking_a_hidden_private_decision_to_an_initiative_is_refused(world, private_decision, initiative):
    # LEAK: POST /initiatives/<pk>/links/new/ looks the target up unscoped
    # (``target_model._default_manager``) and uses str(target) as the label: the TL of alpha (who
    # may edit their initiative, but is not in em2's 1:1) links any decision by id and reads its
    # text on the initiative page (also an existence oracle for ids). Expected: "No decision #id",
    # no link, and the text never shown.
    client = world.client("tl")
    url = reverse("initiatives:link-create", args=[initiative.pk])
    client.post(url, {"target": "syncs.decision", "object_id": private_decision.pk, "label": ""})
    assert not InitiativeLink.objects.filter(initiative=initiative, object_id=private_decision.pk).exists()
    assert not _sees_secret(world, "tl", reverse("initiatives:detail", args=[initiative.pk]))


def test_a_link_to_a_private_decision_is_not_shown_to_initiative_readers(world, private_decision):
    # LEAK: a legitimate link made by a 1:1 participant (em2 links their decision to a beta
    # initiative) shows the private decision's text to every reader of the initiative page
    # (engineer, PM, finance...): ``initiative_links`` does not check the target's visibility.
    # Expected: links whose target the reader may not see are left out.
    initiative = InitiativeFactory(team=world.teams["beta"], owner=world.tl2, title="Churn model")
    initiative_services.initiative_link_for(actor=_actor(world, "em2"), initiative=initiative,
                                            target=private_decision)
    url = reverse("initiatives:detail", args=[initiative.pk])
    assert _sees_secret(world, "em2", url)  # the participant still sees it
    leaked_to = [role for role in ("engineer", "pm", "finance", "em", "tl") if _sees_secret(world, role, url)]
    assert leaked_to == []


# -- syncs: a decision that supersedes one in a private series ----------------------------------------------
def test_superseding_a_private_decision_does_not_show_its_text_in_a_public_meeting(world, private_decision):
    # LEAK: decision_record accepts ``supersedes`` from any series the author sees; em2 (in the
    # private 1:1 and in the EM Sync) records an EM Sync decision that supersedes the 1:1
    # decision, and the EM Sync meeting page renders 'supersedes "<text>"' to em, who is not in
    # the 1:1. Expected: the superseded decision's text is shown only to those who see it (or
    # superseding across series is refused).
    em_sync = sync_services.series_create(
        actor=_actor(world, "cto"), title="EM Sync", kind=SyncSeries.Kind.EM, participants=[world.em, world.em2],
        weekday=1, start_time=time(10, 0), starts_on=date.today() - timedelta(days=30), generate=False,
    )
    meeting = Meeting.objects.create(series=em_sync, scheduled_at=datetime.now(UTC) + timedelta(days=1),
                                     duration_minutes=60)
    try:
        sync_services.decision_record(actor=_actor(world, "em2"), series=em_sync, meeting=meeting,
                                      text="Reorganise beta", supersedes=private_decision)
    except Exception:  # refusing to supersede across series would be a fix
        return
    assert not _sees_secret(world, "em", reverse("syncs:meeting-detail", args=[meeting.pk]))
    assert not _sees_secret(world, "em", reverse("syncs:meeting-export", args=[meeting.pk]))


# -- infra: a resource page names the request it was provisioned for ------------------------------------------
def test_resource_page_does_not_name_a_request_the_reader_may_not_open(world):
    # LEAK (minor): engineers and PMs see only their own infra requests (infra/policy.py; the
    # request page answers 404), yet /infra/resources/<pk>/ of a resource of their team shows the
    # linked request's reference and title ("{{ resource.request }}"), here a request the TL of
    # alpha filed. Expected: the request is named only to those who may open it.
    from tests.infra.factories import InfraRequestFactory, ResourceFactory

    request = InfraRequestFactory(requester=world.tl, team=world.teams["alpha"], title="GPU box for the layoff model")
    resource = ResourceFactory(owner_team=world.teams["alpha"], request=request)
    engineer = world.client("engineer")
    assert engineer.get(reverse("infra:request-detail", args=[request.pk])).status_code == 404
    page = engineer.get(reverse("infra:resource-detail", args=[resource.pk]))
    assert page.status_code == 200
    assert "GPU box for the layoff model" not in page.content.decode()

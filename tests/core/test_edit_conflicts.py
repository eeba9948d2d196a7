"""Edit pages detect concurrent edits: a form opened before someone else saved is refused
(nothing saved), and saving again overwrites knowingly."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.core.views import CONFLICT_MESSAGE, SEEN_FIELD
from apps.org.models import Team

pytestmark = pytest.mark.django_db


def _seen(html: str) -> str:
    match = re.search(rf'name="{SEEN_FIELD}" value="([0-9a-f]+)"', html)
    assert match, "the edit form carries what the object read"
    return match.group(1)


def test_a_save_after_someone_elses_is_refused_then_overwrites_knowingly(world):
    team = world.teams["alpha"]
    url = reverse("org:team-edit", args=[team.slug])
    cto = world.client("cto")
    opened_first = _seen(cto.get(url).content.decode())
    opened_second = _seen(cto.get(url).content.decode())
    assert opened_first == opened_second

    form = {"name": team.name, "kind": team.kind, "lead": team.lead_id or "", "description": "First editor's text",
            SEEN_FIELD: opened_first}
    first = cto.post(url, form)
    assert first.status_code == 302

    late = cto.post(url, {**form, "description": "Second editor's text", SEEN_FIELD: opened_second})
    assert late.status_code == 200
    assert CONFLICT_MESSAGE in late.content.decode().replace("&#x27;", "'")
    assert Team.objects.get(pk=team.pk).description == "First editor's text"

    again = cto.post(url, {**form, "description": "Second editor's text", SEEN_FIELD: _seen(late.content.decode())})
    assert again.status_code == 302
    assert Team.objects.get(pk=team.pk).description == "Second editor's text"


def test_a_new_object_form_has_no_guard(world):
    page = world.client("cto").get(reverse("org:team-create")).content.decode()
    assert SEEN_FIELD not in page


def test_a_plain_form_editing_an_object_is_guarded_too(world):
    """The training edit page is a plain form over initial values (guard= the training)."""
    from apps.security.models import Training
    from tests.security.helpers import training as make_training

    training = make_training(world, title="Phishing")
    url = reverse("security:training-edit", args=[training.pk])
    cto = world.client("cto")
    seen = _seen(cto.get(url).content.decode())
    Training.objects.filter(pk=training.pk).update(title="Phishing (renamed meanwhile)")

    late = cto.post(url, {"title": "Phishing 2027", "kind": training.kind, "recurrence_months": 12,
                          "first_due_on": "2027-01-31", "pass_score": "", SEEN_FIELD: seen})
    assert late.status_code == 200
    assert "Someone else saved this" in late.content.decode()
    assert Training.objects.get(pk=training.pk).title == "Phishing (renamed meanwhile)"

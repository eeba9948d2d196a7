from __future__ import annotations

from datetime import date

import factory

from apps.initiatives.models import Initiative, Milestone, StatusUpdate
from tests.factories import PersonFactory, TeamFactory


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    team = factory.SubFactory(TeamFactory)
    kind = Initiative.Kind.AUTOMATION
    title = factory.Sequence(lambda n: f"Initiative {n}")
    owner = factory.SubFactory(PersonFactory)
    status = Initiative.Status.IN_PROGRESS
    health = "green"
    start_date = date(2026, 1, 1)
    target_date = date(2026, 12, 31)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = date(2026, 6, 30)


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusUpdate

    initiative = factory.SubFactory(InitiativeFactory)
    health = "green"
    text = "All good."

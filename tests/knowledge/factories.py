"""Factories for knowledge sharing tests."""
from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone

from apps.knowledge.models import Attendance, Feedback, Proposal, Session, SessionSeries, Talk, Track
from tests.factories import PersonFactory


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionSeries

    name = factory.Sequence(lambda n: f"Series {n}")
    starts_on = factory.LazyFunction(lambda: date(2026, 1, 1))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    duration_minutes = 60


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk
        skip_postgeneration_save = True

    session = factory.SubFactory(SessionFactory)
    title = factory.Sequence(lambda n: f"Talk {n}")
    track = Track.BACKEND
    duration_minutes = 20
    position = 1

    @factory.post_generation
    def speakers(self, create, extracted, **kwargs):
        if not create:
            return
        self.speakers.set(extracted if extracted is not None else [PersonFactory()])


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    title = factory.Sequence(lambda n: f"Proposal {n}")
    abstract = "What we learned."
    track = Track.FRONTEND
    duration_minutes = 20
    proposer = factory.SubFactory(PersonFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    person = factory.SubFactory(PersonFactory)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    talk = factory.SubFactory(TalkFactory)
    person = factory.SubFactory(PersonFactory)
    rating = 4
    comment = "Useful."

"""factory-boy factories shared by every app's tests."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from apps.core.roles import Role
from apps.org.models import Person, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    kind = Team.Kind.ENGINEERING


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    title = "Engineer"
    role = Role.ENGINEER
    team = factory.SubFactory(TeamFactory)
    country = "PT"
    time_zone = "Europe/Lisbon"
    start_date = factory.Faker("date_between", start_date="-5y", end_date="-30d")

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from apps.costs.models import AwsAccount
from apps.infra.models import InfraRequest, Resource


class AwsAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwsAccount
        django_get_or_create = ("account_id",)

    account_id = factory.Sequence(lambda n: f"{100000000000 + n}")
    name = factory.Sequence(lambda n: f"Account {n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    account = factory.SubFactory(AwsAccountFactory)
    kind = Resource.Kind.EC2_INSTANCE
    resource_id = factory.Sequence(lambda n: f"i-{n:017x}")
    arn = factory.LazyAttribute(lambda o: f"arn:aws:ec2:{o.region}:{o.account.account_id}:instance/{o.resource_id}")
    name = factory.Sequence(lambda n: f"host-{n}")
    region = "us-east-1"
    state = "running"
    size = "t3.micro"


class InfraRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InfraRequest

    title = factory.Sequence(lambda n: f"Request {n}")
    kind = InfraRequest.Kind.NEW_RESOURCE
    description = "A GPU box for training."
    estimated_monthly_cost = Decimal("250.00")
    currency = "USD"
    due_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))

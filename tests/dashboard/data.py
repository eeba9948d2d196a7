"""Known data across every app for the dashboard tests. ``build(world, scale)`` makes
``scale`` of each thing (1: the small set; 25: the large one), always with the same first
items, so panels can be checked against exact values and query counts compared."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.costs.models import AwsAccount, Budget, CostAnomaly, CostEntry, ToolSubscription
from apps.infra.models import Finding, InfraRequest
from apps.initiatives.models import Initiative
from apps.knowledge.models import Session
from apps.reviews.models import Review, ReviewCycle, ReviewTemplate
from apps.security.models import (
    AmaQuestion,
    AmaSession,
    AmaVote,
    Bulletin,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    Training,
    TrainingStatus,
)
from apps.syncs.models import ActionItem, AgendaItem, Meeting, SyncSeries
from tests.infra.factories import InfraRequestFactory, ResourceFactory
from tests.initiatives.factories import InitiativeFactory
from tests.knowledge.factories import SeriesFactory, SessionFactory, TalkFactory


@dataclass
class Known:
    today: object
    week_wednesday: datetime


def _cost(account, day, service, amount, team=None, provider="AWS"):
    return CostEntry(date=day, billing_period=day.replace(day=1), provider=provider,
                     billing_account_id=account.account_id, sub_account_id=account.account_id, account=account,
                     service=service, region="us-east-1", currency="USD", cost=amount, amortized_cost=amount,
                     source="focus", team=team)


def build(world, scale: int = 1) -> Known:
    now = timezone.now()
    today = timezone.localdate()
    week_start = today - timedelta(days=today.weekday())
    wednesday = timezone.make_aware(datetime.combine(week_start + timedelta(days=2), time(10, 0)))
    alpha, beta = world.teams["alpha"], world.teams["beta"]

    # -- costs: 100.00 a day for alpha since the first of last month (x scale services), a total budget
    account = AwsAccount.objects.create(account_id="123456789012", name="prod")
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    rows = []
    day = first
    while day <= today:
        rows.append(_cost(account, day, "Amazon EC2", Decimal("100.00"), team=alpha))
        for i in range(1, scale):
            rows.append(_cost(account, day, f"Service {i}", Decimal("1.00"), team=beta))
        day += timedelta(days=1)
    CostEntry.objects.bulk_create(rows)
    Budget.objects.create(name="Cloud total", scope=Budget.Scope.TOTAL, amount=Decimal("5000.00"), currency="USD")
    Budget.objects.create(name="Alpha", scope=Budget.Scope.TEAM, team=alpha, amount=Decimal("2000.00"), currency="USD")
    for i in range(scale):
        CostAnomaly.objects.create(date=today, dimension="service", key=f"Amazon S3 {i}" if i else "Amazon EC2",
                                   team=alpha if i == 0 else beta, expected=Decimal("100"),
                                   actual=Decimal("900") - i, impact=Decimal("800") - i, currency="USD")
    CostAnomaly.objects.create(date=today, dimension="service", key="Resolved thing", team=alpha,
                               expected=Decimal("1"), actual=Decimal("2"), impact=Decimal("1"), currency="USD",
                               status=CostAnomaly.Status.RESOLVED)
    for i in range(scale):
        ToolSubscription.objects.create(vendor="GitHub" if i == 0 else f"Vendor {i}", product="Enterprise",
                                        amount=Decimal("1200.00"), currency="USD", billing_period="annual",
                                        renewal_date=today + timedelta(days=20 + i % 30), notice_days=30,
                                        owner_team=alpha)
    ToolSubscription.objects.create(vendor="Far", product="Later", amount=Decimal("10"), currency="USD",
                                    renewal_date=today + timedelta(days=200))

    # -- syncs: a Tech Sync this Wednesday with open agenda; overdue action items
    tech = SyncSeries.objects.create(kind=SyncSeries.Kind.TECH, title="Tech Sync", owner=world.cto,
                                     start_time=time(10, 0))
    tech.participants.set([world.cto, world.em, world.tl])
    product = SyncSeries.objects.create(kind=SyncSeries.Kind.PRODUCT, title="Product Sync", owner=world.pm,
                                        start_time=time(11, 0))
    product.participants.set([world.pm, world.cto])
    meeting = Meeting.objects.create(series=tech, scheduled_at=wednesday)
    Meeting.objects.create(series=product, scheduled_at=now + timedelta(days=1))
    for i in range(scale):
        extra = Meeting.objects.create(series=tech, scheduled_at=wednesday + timedelta(minutes=i + 1))
        AgendaItem.objects.create(series=tech, meeting=extra, title=f"Extra item {i}")
    AgendaItem.objects.create(series=tech, meeting=meeting, title="Cost review", presenter=world.em, order=1)
    AgendaItem.objects.create(series=tech, meeting=meeting, title="Already discussed", status="done", order=2)
    ActionItem.objects.create(series=tech, meeting=meeting, owner=world.em, title="Fix the backups",
                              due_date=today - timedelta(days=5))
    ActionItem.objects.create(series=tech, meeting=meeting, owner=world.em, title="Write the RFC",
                              due_date=today - timedelta(days=2))
    ActionItem.objects.create(series=tech, meeting=meeting, owner=world.tl, title="Rotate keys",
                              due_date=today - timedelta(days=1))
    ActionItem.objects.create(series=tech, meeting=meeting, owner=world.tl, title="Not due yet",
                              due_date=today + timedelta(days=3))
    for i in range(scale - 1):
        ActionItem.objects.create(series=tech, meeting=meeting, owner=world.engineer, title=f"Old {i}",
                                  due_date=today - timedelta(days=1))

    # -- reviews: one cycle in self review, reviews for the EM's chain and beyond
    template = ReviewTemplate.objects.create(name="Standard")
    cycle = ReviewCycle.objects.create(
        name="H2 2026", template=template, stage=ReviewCycle.Stage.SELF_REVIEW,
        self_review_due=today + timedelta(days=7), manager_review_due=today + timedelta(days=14),
        calibration_due=today + timedelta(days=21), share_date=today + timedelta(days=28),
        effective_date=today + timedelta(days=40))
    Review.objects.create(cycle=cycle, subject=world.tl, reviewer=world.em, self_submitted_at=now)
    Review.objects.create(cycle=cycle, subject=world.engineer, reviewer=world.tl)
    Review.objects.create(cycle=cycle, subject=world.engineer2, reviewer=world.tl2, self_submitted_at=now,
                          manager_submitted_at=now)
    for i in range(1, scale):
        ReviewCycle.objects.create(
            name=f"Closed {i}", template=template, stage=ReviewCycle.Stage.CLOSED,
            self_review_due=today - timedelta(days=100 + i), manager_review_due=today - timedelta(days=90),
            calibration_due=today - timedelta(days=80), share_date=today - timedelta(days=70),
            effective_date=today - timedelta(days=60))

    # -- security: a training, a bulletin, expiring evidence, the next AMA with voted questions
    training = Training.objects.create(title="Security awareness 2026", kind="awareness", first_due_on=today)
    for person, done in ((world.engineer, True), (world.tl, False), (world.em, False), (world.pm, True)):
        TrainingStatus.objects.create(
            training=training, person=person, last_completed_on=today - timedelta(days=10) if done else None,
            due_on=today + timedelta(days=30) if done else today - timedelta(days=1),
            state="complete" if done else "overdue", computed_on=today)
    bulletin = Bulletin.objects.create(title="Rotate your tokens", body="Now.", requires_ack=True, due_date=today,
                                       published_at=now - timedelta(days=1), audience_roles=["engineer", "tl"])
    BulletinAcknowledgement.objects.create(bulletin=bulletin, person=world.tl, acknowledged_at=now)
    Bulletin.objects.create(title="Invoice fraud wave", body="Check the IBAN.", requires_ack=True, due_date=today,
                            published_at=now - timedelta(days=2), audience_roles=["finance", "hr"])
    control = Control.objects.filter(code="5.1").first() or Control.objects.create(code="5.1", title="Policies",
                                                                                   theme="organisational")
    ev = EvidenceItem.objects.create(title="Pen test report", collected_on=today - timedelta(days=300),
                                     expires_on=today + timedelta(days=10))
    ev.controls.set([control])
    for i in range(scale):
        EvidenceItem.objects.create(title=f"Old scan {i}", collected_on=today - timedelta(days=400),
                                    expires_on=today - timedelta(days=5 + i))
    EvidenceItem.objects.create(title="Fresh", collected_on=today, expires_on=today + timedelta(days=300))
    ama = AmaSession.objects.create(title="Security AMA December", starts_at=now + timedelta(days=6))
    popular = AmaQuestion.objects.create(session=ama, body="Why do we rotate keys?", status="published",
                                         is_anonymous=True)
    AmaQuestion.objects.create(session=ama, body="Pending one", status="pending")
    for person in (world.engineer, world.tl, world.em):
        AmaVote.objects.create(question=popular, person=person)
    for i in range(scale):
        AmaQuestion.objects.create(session=ama, body=f"Other question {i}", status="published")

    # -- initiatives: red, amber, green, stale
    data_team = world.teams["data"]
    InitiativeFactory(team=data_team, owner=world.pm, title="Churn model", health="red",
                      last_update_on=today)
    InitiativeFactory(team=data_team, owner=world.pm, title="Invoice OCR", health="amber", last_update_on=today)
    InitiativeFactory(team=data_team, owner=world.pm, title="Quiet one", health="green",
                      last_update_on=today - timedelta(days=30))
    for i in range(scale - 1):
        InitiativeFactory(team=data_team, owner=world.pm, title=f"Green {i}", health="green", last_update_on=today)

    # -- infra: a request past its service level, findings of alpha
    InfraRequestFactory(title="GPU box", requester=world.engineer, team=alpha, due_at=now - timedelta(days=3))
    InfraRequestFactory(title="Within SLA", requester=world.engineer, team=alpha, due_at=now + timedelta(days=3))
    for i in range(scale):
        resource = ResourceFactory(owner_team=alpha, name=f"idle-{i}")
        Finding.objects.create(resource=resource, kind=Finding.Kind.UNTAGGED, team=alpha)
    resource = ResourceFactory(owner_team=beta, name="beta-box")
    Finding.objects.create(resource=resource, kind=Finding.Kind.UNTAGGED, team=beta)

    # -- knowledge: the next Tech Monthly with two talks, and a one-off session
    series = SeriesFactory(name="Tech Monthly")
    session = SessionFactory(series=series, title="Tech Monthly December", starts_at=now + timedelta(days=10),
                             occurrence_date=today + timedelta(days=10))
    TalkFactory(session=session, title="Postgres at scale", speakers=[world.tl], position=1)
    TalkFactory(session=session, title="CSS without tears", speakers=[world.engineer], position=2, track="frontend")
    for i in range(scale - 1):
        SessionFactory(title=f"One-off {i}", starts_at=now + timedelta(days=20 + i))
    return Known(today=today, week_wednesday=wednesday)


def grow(world, n: int = 25) -> None:
    """n more of everything on top of :func:`build` (other names): a year more of daily costs
    over n services, n anomalies, renewals, meetings with agenda, overdue items, cycles,
    trainings, bulletins, evidence, AMA questions with votes, initiatives, late requests,
    findings and sessions with talks."""
    now = timezone.now()
    today = timezone.localdate()
    alpha, beta = world.teams["alpha"], world.teams["beta"]
    account = AwsAccount.objects.create(account_id="210987654321", name="grow")
    rows = []
    for d in range(365):
        day = today - timedelta(days=d)
        rows.extend(_cost(account, day, f"Grow service {i}", Decimal("2.00"), team=beta if i % 2 else None,
                          provider="AWS" if i % 3 else "GCP") for i in range(n))
    CostEntry.objects.bulk_create(rows, batch_size=2000)
    Budget.objects.create(name="Beta", scope=Budget.Scope.TEAM, team=beta, amount=Decimal("100.00"), currency="USD")
    tech = SyncSeries.objects.get(title="Tech Sync")
    product = SyncSeries.objects.get(title="Product Sync")
    template = ReviewTemplate.objects.get(name="Standard")
    training = Training.objects.create(title="Grow training", kind="awareness", first_due_on=today)
    ama = AmaSession.objects.get(title="Security AMA December")
    series = SeriesFactory(name="Grow series")
    for i in range(n):
        CostAnomaly.objects.create(date=today, dimension="team", key=f"grow-{i}", team=alpha if i % 2 else beta,
                                   expected=Decimal("1"), actual=Decimal("3"), impact=Decimal("2"), currency="USD")
        ToolSubscription.objects.create(vendor=f"Grow {i}", product="Pro", amount=Decimal("10"), currency="USD",
                                        renewal_date=today + timedelta(days=i % 60), owner_team=alpha)
        for s in (tech, product):
            m = Meeting.objects.create(series=s, scheduled_at=now + timedelta(hours=1 + i))
            AgendaItem.objects.create(series=s, meeting=m, title=f"Grow agenda {i}")
            ActionItem.objects.create(series=s, meeting=m, owner=[world.em, world.tl, world.engineer, world.pm][i % 4],
                                      title=f"Grow action {i}", due_date=today - timedelta(days=i % 9 + 1))
        ReviewCycle.objects.create(
            name=f"Grow cycle {i}", template=template, stage=ReviewCycle.Stage.MANAGER_REVIEW,
            self_review_due=today, manager_review_due=today + timedelta(days=i),
            calibration_due=today + timedelta(days=30), share_date=today + timedelta(days=40),
            effective_date=today + timedelta(days=50))
        TrainingStatus.objects.create(training=Training.objects.create(
            title=f"Grow training {i}", kind="phishing_drill", first_due_on=today),
            person=world.engineer, due_on=today + timedelta(days=i), state="due", computed_on=today)
        Bulletin.objects.create(title=f"Grow bulletin {i}", body="x", requires_ack=True, due_date=today,
                                published_at=now - timedelta(hours=i + 1))
        EvidenceItem.objects.create(title=f"Grow evidence {i}", collected_on=today,
                                    expires_on=today + timedelta(days=i % 30))
        q = AmaQuestion.objects.create(session=ama, body=f"Grow question {i}", status="published")
        AmaVote.objects.create(question=q, person=world.pm)
        InitiativeFactory(team=world.teams["data"], owner=world.pm, title=f"Grow initiative {i}",
                          health=["red", "amber", "green"][i % 3], last_update_on=today - timedelta(days=i))
        InfraRequestFactory(title=f"Grow request {i}", requester=world.tl, team=alpha,
                            due_at=now - timedelta(days=i + 1))
        Finding.objects.create(resource=ResourceFactory(owner_team=alpha, name=f"grow-{i}"),
                               kind=Finding.Kind.UNTAGGED, team=alpha)
        session = SessionFactory(series=series, title=f"Grow session {i}", starts_at=now + timedelta(days=30 + i),
                                 occurrence_date=today + timedelta(days=30 + i))
        TalkFactory(session=session, title=f"Grow talk {i}", speakers=[world.engineer2])
    for person in (world.engineer, world.tl, world.em, world.engineer2, world.tl2):
        TrainingStatus.objects.create(training=training, person=person, due_on=today, state="due", computed_on=today)
    tm = Session.objects.get(title="Tech Monthly December")
    for i in range(n):
        TalkFactory(session=tm, title=f"Lightning {i}", speakers=[world.em2], duration_minutes=5, position=3 + i)


__all__ = ["build", "grow", "Known", "InfraRequest", "Initiative"]

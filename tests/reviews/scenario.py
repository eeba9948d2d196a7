"""A review scenario on top of the ``world`` fixture, shared by the access matrix and the tests.

Everyone with a manager is in a running cycle (manager-review stage); every person has a pay
record; ``engineer`` (chain: tl -> em -> cto) and ``engineer2`` (chain: tl2 -> em2 -> cto) have
distinctive salaries and review texts that must never show up for anyone outside their chain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from apps.core.access import Actor
from apps.reviews import services
from apps.reviews.models import CompensationRecord, RaiseProposal, Review, ReviewCycle, ReviewTemplate

ENG_SALARY = Decimal("61234.56")
ENG2_SALARY = Decimal("73456.78")
ENG_TEXT = "ENGINEER-ONE-CONFIDENTIAL-ASSESSMENT"
ENG2_TEXT = "ENGINEER-TWO-CONFIDENTIAL-ASSESSMENT"
ENG_SELF = "ENGINEER-ONE-SELF-WORDS"
ENG2_SELF = "ENGINEER-TWO-SELF-WORDS"


def salary_strings(amount: Decimal) -> list[str]:
    """Every way an amount may be rendered: raw, grouped, and the proposal's new figure."""
    return [f"{amount:.2f}", f"{amount:,.2f}", f"{amount:,.2f}".replace(",", "\u00a0"), str(int(amount))]


@dataclass
class Scenario:
    template: ReviewTemplate
    cycle: ReviewCycle
    review: Review  # engineer's
    review2: Review  # engineer2's
    record: CompensationRecord
    record2: CompensationRecord
    proposal: RaiseProposal
    proposal2: RaiseProposal
    extra: dict = field(default_factory=dict)


def actor_for(world, key: str) -> Actor:
    person = world.people[key]
    return Actor(user=world.users.get(key), role=person.role, person=person)


def cto_actor(world) -> Actor:
    return actor_for(world, "cto")


def make_template(actor: Actor, name: str = "Engineering") -> ReviewTemplate:
    return services.review_template_create(actor=actor, name=name, criteria=[
        {"name": "Delivery", "weight": Decimal("50")},
        {"name": "Technical depth", "weight": Decimal("30")},
        {"name": "Collaboration", "weight": Decimal("20")},
    ])


def make_cycle(actor: Actor, template: ReviewTemplate, name: str = "2026 H1", **extra) -> ReviewCycle:
    today = date.today()
    kwargs = dict(
        actor=actor, name=name, template=template, self_review_due=today + timedelta(days=2),
        manager_review_due=today + timedelta(days=10), calibration_due=today + timedelta(days=20),
        share_date=today + timedelta(days=30), effective_date=today + timedelta(days=45),
        budget_percent=Decimal("3.00"),
    )
    kwargs.update(extra)
    return services.review_cycle_create(**kwargs)


def band(actor: Actor, level: str = "L3", zone: str = "local-PT", currency: str = "EUR",
         lo: str = "50000", mid: str = "65000", hi: str = "80000"):
    return services.pay_band_save(actor=actor, level=level, zone=zone, currency=currency, minimum=Decimal(lo),
                                  midpoint=Decimal(mid), maximum=Decimal(hi))


def pay(actor: Actor, person, amount: Decimal, *, currency: str = "EUR", level: str = "L3",
        days_ago: int = 100, location: str = "local", country: str = "PT") -> CompensationRecord:
    return services.compensation_record_create(
        actor=actor, person=person, effective_date=date.today() - timedelta(days=days_ago), base_salary=amount,
        currency=currency, level=level, location=location, country=country,
    )


def scores_for(review: Review, value: int) -> dict:
    return {s.criterion_id: value for s in review.scores.all()}


def build(world, *, stage: str = ReviewCycle.Stage.MANAGER_REVIEW) -> Scenario:
    cto = cto_actor(world)
    template = make_template(cto)
    band(cto)
    band(cto, zone="remote-EU", lo="52000", mid="68000", hi="84000")
    records = {}
    for key in ("em", "tl", "em2", "tl2", "pm", "finance", "hr"):
        records[key] = pay(cto, world.people[key], Decimal("90000.00"))
    record = pay(cto, world.engineer, ENG_SALARY, location="remote", country="ES")
    record2 = pay(cto, world.engineer2, ENG2_SALARY)
    cycle = make_cycle(cto, template)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)  # self review
    review = Review.objects.get(cycle=cycle, subject=world.engineer)
    review2 = Review.objects.get(cycle=cycle, subject=world.engineer2)
    services.review_self_save(actor=actor_for(world, "engineer"), review=review, self_assessment=ENG_SELF,
                              scores=scores_for(review, 4), submit=True)
    services.review_self_save(actor=actor_for(world, "engineer2"), review=review2, self_assessment=ENG2_SELF,
                              scores=scores_for(review2, 3), submit=True)
    proposal = proposal2 = None
    if stage != ReviewCycle.Stage.SELF_REVIEW:
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)  # manager review
        services.review_manager_save(actor=actor_for(world, "tl"), review=review, manager_assessment=ENG_TEXT,
                                     scores=scores_for(review, 4), potential="high", submit=True)
        services.review_manager_save(actor=actor_for(world, "tl2"), review=review2, manager_assessment=ENG2_TEXT,
                                     scores=scores_for(review2, 3), potential="medium", submit=True)
        proposal = services.raise_propose(actor=actor_for(world, "tl"), cycle=cycle, person=world.engineer,
                                          proposed_salary=Decimal("63500.00"), reason="merit")
        proposal2 = services.raise_propose(actor=actor_for(world, "tl2"), cycle=cycle, person=world.engineer2,
                                           proposed_salary=Decimal("75500.00"), reason="market",
                                           justification="")
    review.refresh_from_db()
    review2.refresh_from_db()
    return Scenario(template=template, cycle=cycle, review=review, review2=review2, record=record, record2=record2,
                    proposal=proposal, proposal2=proposal2, extra={"records": records})


def finish_manager_reviews(world, cycle: ReviewCycle, value: int = 3) -> None:
    """Submit every remaining manager review (as the CTO) so the cycle can be shared."""
    cto = cto_actor(world)
    for r in cycle.reviews.filter(manager_submitted_at__isnull=True):
        services.review_manager_save(actor=cto, review=r, manager_assessment="Meets expectations.",
                                     scores=scores_for(r, value), submit=True)



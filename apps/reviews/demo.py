"""Demo data for the reviews app, called by ``seed_demo``: a weighted template, pay bands for
each zone (EUR in Portugal and remote Europe, USD elsewhere), a pay history for everyone, one
closed cycle (reviews shared, raises applied) and one running cycle in manager review.
Idempotent: bands are upserted, pay history and cycles are only created when missing. All
amounts are ``Decimal``. Everything goes through the services, as a user would."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from apps.core.access import Actor
from apps.core.roles import Role
from apps.reviews import services
from apps.reviews.models import CompensationRecord, RaiseProposal, Review, ReviewCycle, ReviewTemplate
from apps.reviews.policy import location_zone

TEMPLATE = "Engineering (weighted)"
CRITERIA = [
    {"name": "Delivery", "weight": Decimal("40"), "description": "Ships what matters, predictably."},
    {"name": "Technical depth", "weight": Decimal("30"), "description": "Design, quality, debugging."},
    {"name": "Collaboration", "weight": Decimal("20"), "description": "Reviews, mentoring, communication."},
    {"name": "Ownership", "weight": Decimal("10"), "description": "Operates what they build."},
]
# Midpoints of the reference zone (Lisbon office, EUR).
MIDPOINTS = {"L2": 34000, "L3": 44000, "L4": 56000, "L5": 70000, "L6": 88000, "Staff": 95000,
             "Manager": 98000, "Director": 140000}
ZONES = {  # zone -> (currency, location factor against local-PT, in that currency)
    "local-PT": ("EUR", Decimal("1.000")),
    "remote-EU": ("EUR", Decimal("1.050")),
    "remote-NA": ("USD", Decimal("1.400")),
    "remote-LATAM": ("USD", Decimal("0.900")),
    "remote-APAC": ("USD", Decimal("1.000")),
    "remote-AF": ("USD", Decimal("0.850")),
    "remote-OTHER": ("USD", Decimal("1.000")),
}
CLOSED = "2025 H2 performance review"
RUNNING = "2026 H1 performance review"
TEXTS = {
    5: "Outstanding half: led the hardest project of the team and lifted everyone around.",
    4: "Strong, reliable delivery with clear technical leadership on the key epics.",
    3: "Solid contributor who meets expectations across the board.",
    2: "Delivered part of the plan; needs more focus on finishing and quality.",
    1: "Did not meet expectations this half; a support plan is agreed.",
}


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("100"), rounding=ROUND_HALF_UP)


def _bands(actor: Actor) -> None:
    for zone, (currency, factor) in ZONES.items():
        for level, mid in MIDPOINTS.items():
            m = _q(Decimal(mid) * factor)
            services.pay_band_save(actor=actor, level=level, zone=zone, currency=currency,
                                   minimum=_q(m * Decimal("0.80")), midpoint=m, maximum=_q(m * Decimal("1.20")),
                                   location_factor=factor)


def _history(actor: Actor, people: dict, rng: random.Random, today: date) -> None:
    for person in people.values():
        if not person.is_active or CompensationRecord.objects.filter(person=person).exists():
            continue
        level = person.level or "L3"
        zone = location_zone(person.location, person.country)
        currency, factor = ZONES.get(zone, ZONES["remote-OTHER"])
        mid = Decimal(MIDPOINTS.get(level, 50000)) * factor
        now = _q(mid * Decimal(str(rng.uniform(0.86, 1.12))))
        if rng.random() < 0.06:  # a few people outside their band, to show the flag
            now = _q(mid * Decimal("1.27"))
        start = max(person.start_date or today - timedelta(days=900), today - timedelta(days=1100))
        earlier = _q(now / Decimal("1.06"))
        dates = [start, today - timedelta(days=420)] if (today - start).days > 500 else [start]
        amounts = [earlier, now] if len(dates) == 2 else [now]
        for when, amount in zip(dates, amounts, strict=True):
            services.compensation_record_create(
                actor=actor, person=person, effective_date=when, base_salary=amount, currency=currency, level=level,
                reason="hire" if when == start else "merit", note="Demo data",
            )


def _as(person) -> Actor:
    return Actor(user=person.user, role=person.role, person=person)


def _fill_self(cycle: ReviewCycle, rng: random.Random, share: float) -> None:
    for r in cycle.reviews.select_related("subject"):
        if rng.random() > share:
            continue
        scores = {s.criterion_id: rng.randint(3, 5) for s in r.scores.all()}
        services.review_self_save(actor=_as(r.subject), review=r, scores=scores, submit=True,
                                  self_assessment="I shipped the planned work, improved our on-call runbooks and "
                                                  "mentored a newer colleague.")


def _fill_manager(cycle: ReviewCycle, cto: Actor, rng: random.Random, share: float) -> None:
    for r in cycle.reviews.select_related("subject", "reviewer"):
        if rng.random() > share:
            continue
        base = rng.choices([2, 3, 4, 5], weights=[10, 50, 30, 10])[0]
        if r.reviewer and r.reviewer.full_name.startswith("Jonas"):  # one lenient reviewer to flag
            base = 5
        scores = {s.criterion_id: max(1, min(5, base + rng.choice([-1, 0, 0, 1]))) for s in r.scores.all()}
        services.review_manager_save(
            actor=cto, review=r, scores=scores, manager_assessment=TEXTS[base], submit=True,
            potential=rng.choice(["low", "medium", "medium", "high"]),
            promotion_recommended=base == 5 and rng.random() < 0.5,
        )


def _propose(cycle: ReviewCycle, cto: Actor, rng: random.Random, count: int) -> list[RaiseProposal]:
    out = []
    reviews = list(cycle.reviews.select_related("subject").filter(subject__role=Role.ENGINEER))
    rng.shuffle(reviews)
    for r in reviews[:count]:
        current = CompensationRecord.objects.filter(person=r.subject).order_by("-effective_date").first()
        if current is None:
            continue
        promote = r.final_rating == 5 and current.level in ("L2", "L3", "L4", "L5")
        reason = RaiseProposal.Reason.PROMOTION if promote else rng.choice(
            [RaiseProposal.Reason.MERIT, RaiseProposal.Reason.MERIT, RaiseProposal.Reason.MARKET])
        level = f"L{int(current.level[1]) + 1}" if promote else current.level
        pct = Decimal("1.08") if promote else Decimal(str(rng.choice(["1.02", "1.03", "1.04"])))
        out.append(services.raise_propose(
            actor=cto, cycle=cycle, person=r.subject, proposed_salary=_q(current.base_salary * pct), reason=reason,
            proposed_level=level, justification="Demo: reviewed against the band and peers in the zone.",
        ))
    return out


def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    rng = random.Random(7)
    today = date.today()
    cto_person = people["cto"]
    cto = Actor(user=cto_person.user, role=Role.CTO, person=cto_person)
    _bands(cto)
    _history(cto, people, rng, today)
    template = ReviewTemplate.objects.filter(name=TEMPLATE).first() or services.review_template_create(
        actor=cto, name=TEMPLATE, criteria=CRITERIA, description="Delivery-heavy template for engineers.")

    if not ReviewCycle.objects.filter(name=CLOSED).exists():
        start = today - timedelta(days=200)
        cycle = services.review_cycle_create(
            actor=cto, name=CLOSED, template=template, self_review_due=start + timedelta(days=14),
            manager_review_due=start + timedelta(days=28), calibration_due=start + timedelta(days=35),
            share_date=start + timedelta(days=42), effective_date=start + timedelta(days=60),
            budget_percent=Decimal("3.00"), budgets={},
        )
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
        _fill_self(cycle, rng, share=0.9)
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
        _fill_manager(cycle, cto, rng, share=1.0)
        proposals = _propose(cycle, cto, rng, count=14)
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
        first = cycle.reviews.select_related("subject").first()
        services.review_calibrate(actor=cto, review=first, rating=4 if first.final_rating != 4 else 3, reason="Calibrated against peers at the same level.")
        for p in proposals:
            services.raise_decide(actor=cto, proposal=p, approve=True)
        # Stay within budget: reject the largest increases until every currency fits.
        for line in [x for x in services.selectors.budget_status(cycle=cycle) if x.over]:
            for p in sorted((p for p in proposals if p.currency == line.currency), key=lambda p: -p.increase):
                if not any(x.over and x.currency == line.currency for x in services.selectors.budget_status(cycle=cycle)):
                    break
                services.raise_decide(actor=cto, proposal=p, approve=False)
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)  # shared
        for r in cycle.reviews.select_related("subject")[:25]:
            services.review_acknowledge(actor=_as(r.subject), review=r, comment="Thanks, discussed in our 1:1.")
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)  # closed: raises applied
    if not ReviewCycle.objects.filter(name=RUNNING).exists():
        start = today - timedelta(days=20)
        cycle = services.review_cycle_create(
            actor=cto, name=RUNNING, template=template, self_review_due=start + timedelta(days=10),
            manager_review_due=today + timedelta(days=2), calibration_due=today + timedelta(days=12),
            share_date=today + timedelta(days=20), effective_date=today + timedelta(days=40),
            budget_percent=Decimal("3.50"), budgets={"USD": Decimal("30000.00")},
        )
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
        _fill_self(cycle, rng, share=0.8)
        cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
        _fill_manager(cycle, cto, rng, share=0.45)
        _propose(cycle, cto, rng, count=6)
    if stdout is not None:
        stdout.write(f"Reviews: {ReviewCycle.objects.count()} cycles, {Review.objects.count()} reviews, "
                     f"{CompensationRecord.objects.count()} pay records.")

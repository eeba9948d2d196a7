"""Every read of the reviews app, already scoped to the asking actor.

Reads that return pay (compensation, raise proposals, exports) or a review read by someone
other than its subject write the access log here, inside the selector, so no page, API call
or export can forget to.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from apps.core.access import Actor, get_visible_or_404
from apps.core.models import AccessLog
from apps.core.roles import Role
from apps.core.services import access_log_record, client_ip
from apps.org.models import Person
from apps.reviews.models import (
    CalibrationChange,
    CompensationRecord,
    CriterionScore,
    PayBand,
    RaiseProposal,
    Review,
    ReviewCycle,
    ReviewTemplate,
)
from apps.reviews.policy import apply_scope, sees_all

SHARED_STAGES = (ReviewCycle.Stage.SHARED, ReviewCycle.Stage.CLOSED)


# -- the access log ---------------------------------------------------------------------------
def log_reads(*, actor: Actor, request, object_type: str, items: Iterable[tuple[object, Person]],
              skip_self: bool = False) -> int:
    """One access-log row per (object id, subject) read. A single read goes through
    ``access_log_record``; a list is written with one bulk INSERT of the same rows so a page
    costs the same number of queries whatever its length."""
    user = actor.user
    rows = [(oid, subject) for oid, subject in items if not (skip_self and subject.pk == actor.person_id)]
    if not rows:
        return 0
    if len(rows) == 1:
        oid, subject = rows[0]
        access_log_record(user=user, object_type=object_type, object_id=oid, subject=subject, request=request)
        return 1
    path = request.get_full_path()[:500] if request is not None else ""
    ip = client_ip(request)
    AccessLog.objects.bulk_create([
        AccessLog(user=user if getattr(user, "pk", None) else None, action="read", object_type=object_type,
                  object_id=str(oid), subject_person_id=subject.pk, subject_label=str(subject)[:200], path=path, ip=ip)
        for oid, subject in rows
    ])
    return len(rows)


# -- templates and cycles -----------------------------------------------------------------------
def template_list(*, actor: Actor) -> QuerySet[ReviewTemplate]:
    if not actor.is_authenticated or actor.is_service:
        return ReviewTemplate.objects.none()
    return ReviewTemplate.objects.prefetch_related("criteria").order_by("name")


def cycle_list(*, actor: Actor) -> QuerySet[ReviewCycle]:
    """Cycles are not secret once open; drafts only for CTO and HR. Service accounts: none."""
    if not actor.is_authenticated or actor.is_service:
        return ReviewCycle.objects.none()
    qs = ReviewCycle.objects.select_related("template")
    if not sees_all(actor):
        qs = qs.exclude(stage=ReviewCycle.Stage.DRAFT)
    return qs.order_by("-self_review_due", "-pk")


def cycle_get(*, actor: Actor, pk: int) -> ReviewCycle:
    return get_visible_or_404(cycle_list(actor=actor), pk=pk)


# -- reviews ---------------------------------------------------------------------------------------
def review_list(*, actor: Actor, cycle: ReviewCycle | None = None) -> QuerySet[Review]:
    """Reviews the actor may read: their chain's (managers), everyone's (CTO, HR), and their
    own only once the cycle is shared. Never a peer's; nothing for a service account."""
    if not actor.is_authenticated or actor.is_service:
        return Review.objects.none()
    qs = Review.objects.select_related("cycle", "subject", "reviewer", "team")
    if not sees_all(actor):
        own_shared = Q(subject_id=actor.person_id, cycle__stage__in=SHARED_STAGES) if actor.person_id else Q(pk__in=[])
        qs = qs.filter(Q(subject_id__in=sorted(actor.report_ids)) | own_shared)
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return qs.order_by("subject__full_name", "pk")


def _checked(actor: Actor, review: Review) -> Review:
    # Defence in depth: the queryset scope and the policy predicate must agree.
    if not actor.can_view_sensitive_person_data(review.subject_id):
        raise Http404("No review matches the given query.")
    return review


def review_get(*, actor: Actor, pk: int, request=None, log: bool = True) -> Review:
    """One review, with its scores; a read by anyone but the subject is access-logged.
    ``log=False`` only for a second read within a request whose first read was logged (the
    API reads the review again under its row lock to check ``If-Match``)."""
    review = _checked(actor, get_visible_or_404(
        review_list(actor=actor).prefetch_related(
            Prefetch("scores", queryset=CriterionScore.objects.select_related("criterion"))
        ), pk=pk))
    if log:
        log_reads(actor=actor, request=request, object_type="reviews.review", items=[(review.pk, review.subject)],
                  skip_self=True)
    return review


def review_for_writing(*, actor: Actor, pk: int) -> Review:
    """A review the actor may write in: the subject (self assessment, acknowledgement — the
    service checks the stage) or someone who may read it."""
    qs = Review.objects.select_related("cycle", "subject", "reviewer", "cycle__template")
    if not actor.is_authenticated or actor.is_service:
        raise Http404("No review matches the given query.")
    if not sees_all(actor):
        ids = set(actor.report_ids)
        if actor.person_id:
            ids.add(actor.person_id)
        qs = qs.filter(subject_id__in=sorted(ids))
    return _checked(actor, get_visible_or_404(qs, pk=pk))


def own_review_list(*, actor: Actor) -> QuerySet[Review]:
    """The actor's own reviews, for the self-assessment links (self part only until shared)."""
    if not actor.person_id or actor.is_service:
        return Review.objects.none()
    return (Review.objects.select_related("cycle").filter(subject_id=actor.person_id)
            .exclude(cycle__stage=ReviewCycle.Stage.DRAFT).order_by("-cycle__self_review_due"))


def reviews_to_write(*, actor: Actor) -> QuerySet[Review]:
    if not actor.person_id or actor.is_service:
        return Review.objects.none()
    return review_list(actor=actor).filter(
        reviewer_id=actor.person_id, cycle__stage__in=[ReviewCycle.Stage.SELF_REVIEW, ReviewCycle.Stage.MANAGER_REVIEW]
    )


def _others(qs: QuerySet[Review], actor: Actor) -> QuerySet[Review]:
    """Calibration is about other people: one's own review (even once shared) is left out."""
    return qs.exclude(subject_id=actor.person_id) if actor.person_id else qs


def calibration_changes(*, actor: Actor, cycle: ReviewCycle) -> QuerySet[CalibrationChange]:
    visible = _others(review_list(actor=actor, cycle=cycle), actor).values("pk")
    return (CalibrationChange.objects.filter(review__in=visible)
            .select_related("review__subject", "changed_by").order_by("-created_at", "-pk"))


# -- calibration ---------------------------------------------------------------------------------
@dataclass
class DistributionRow:
    label: str
    counts: dict[int, int]
    total: int
    average: Decimal | None
    percents: dict[int, Decimal] = field(default_factory=dict)
    flagged: bool = False
    deviation: Decimal | None = None


OUTLIER_THRESHOLD = Decimal("1.00")
PERFORMANCE_BANDS = {1: "low", 2: "low", 3: "medium", 4: "high", 5: "high"}


def _row(label: str, ratings: list[int]) -> DistributionRow:
    counts = {r: ratings.count(r) for r in range(1, 6)}
    total = len(ratings)
    avg = (Decimal(sum(ratings)) / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if total else None
    percents = {r: (Decimal(c * 100) / total).quantize(Decimal("0.1")) if total else Decimal(0) for r, c in counts.items()}
    return DistributionRow(label=label, counts=counts, total=total, average=avg, percents=percents)


@dataclass
class Calibration:
    overall: DistributionRow
    target: dict[int, Decimal]
    by_manager: list[DistributionRow]
    by_team: list[DistributionRow]
    nine_box: dict[str, dict[str, list[Review]]]
    reviews: list[Review]
    unrated: int


def calibration_data(*, actor: Actor, cycle: ReviewCycle, request=None) -> Calibration:
    """Distribution per manager and per team against the target, outlier managers (average
    at least one rating point away from everyone else's), and the performance x potential grid — over the
    reviews the actor may see (an EM calibrates their own chain)."""
    reviews = list(_others(review_list(actor=actor, cycle=cycle), actor))
    log_reads(actor=actor, request=request, object_type="reviews.calibration",
              items=[(r.pk, r.subject) for r in reviews], skip_self=True)
    rated = [r for r in reviews if r.final_rating is not None]
    overall = _row("All", [r.final_rating for r in rated])
    by_mgr: dict[str, list[int]] = defaultdict(list)
    by_team: dict[str, list[int]] = defaultdict(list)
    for r in rated:
        by_mgr[str(r.reviewer or "No reviewer")].append(r.final_rating)
        by_team[str(r.team or "No team")].append(r.final_rating)
    managers = [_row(label, ratings) for label, ratings in sorted(by_mgr.items())]
    for row in managers:
        others = [x for label, ratings in by_mgr.items() if label != row.label for x in ratings]
        if row.total >= 2 and others:
            other_avg = Decimal(sum(others)) / len(others)
            row.deviation = (row.average - other_avg).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            row.flagged = abs(row.deviation) >= OUTLIER_THRESHOLD
    grid: dict[str, dict[str, list[Review]]] = {p: {q: [] for q in ("low", "medium", "high")}
                                                for p in ("high", "medium", "low")}
    for r in rated:
        grid[r.potential or "medium"][PERFORMANCE_BANDS[r.final_rating]].append(r)
    return Calibration(overall=overall, target=cycle.target(), by_manager=managers,
                       by_team=[_row(label, ratings) for label, ratings in sorted(by_team.items())],
                       nine_box=grid, reviews=reviews, unrated=len(reviews) - len(rated))


# -- compensation ---------------------------------------------------------------------------------
def compensation_people(*, actor: Actor) -> QuerySet[Person]:
    """People whose pay the actor may see (self, their chain; everyone for CTO and HR)."""
    if not actor.is_authenticated or actor.is_service:
        return Person.objects.none()
    qs = Person.objects.select_related("team", "manager")
    if sees_all(actor):
        return qs.filter(is_active=True).order_by("full_name", "pk")
    ids = set(actor.report_ids)
    if actor.person_id:
        ids.add(actor.person_id)
    return qs.filter(pk__in=sorted(ids)).order_by("full_name", "pk")


def compensation_records(*, actor: Actor) -> QuerySet[CompensationRecord]:
    """Every record the actor may read (not yet logged: callers go through the functions below)."""
    if not actor.is_authenticated or actor.is_service:
        return CompensationRecord.objects.none()
    return apply_scope(CompensationRecord.objects.select_related("person"), actor, "person_id")


def band_for(bands: dict[tuple[str, str], PayBand], level: str, zone: str) -> PayBand | None:
    return bands.get((level, zone))


def all_bands() -> dict[tuple[str, str], PayBand]:
    return {(b.level, b.zone): b for b in PayBand.objects.all()}


@dataclass
class BandPosition:
    band: PayBand | None
    compa_ratio: Decimal | None = None
    position: Decimal | None = None  # 0 at the minimum, 100 at the maximum
    flag: str = ""  # "below", "above", "no band", "currency mismatch"


def band_position(amount: Decimal | None, currency: str, band: PayBand | None) -> BandPosition:
    """Compa-ratio and position in band; never across currencies."""
    if amount is None:
        return BandPosition(band=band)
    if band is None:
        return BandPosition(band=None, flag="no band")
    if band.currency != currency:
        return BandPosition(band=band, flag="currency mismatch")
    compa = (amount / band.midpoint).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    width = band.maximum - band.minimum
    position = ((amount - band.minimum) * 100 / width).quantize(Decimal("0.1")) if width else Decimal(100)
    flag = "below" if amount < band.minimum else "above" if amount > band.maximum else ""
    return BandPosition(band=band, compa_ratio=compa, position=position, flag=flag)


@dataclass
class PayRow:
    person: Person
    record: CompensationRecord | None
    position: BandPosition


def compensation_overview(*, actor: Actor, request=None, zone: str | None = None) -> list[PayRow]:
    """The latest pay of each visible person with band position — three queries whatever
    the size, plus one bulk access-log insert."""
    people = list(compensation_people(actor=actor))
    latest: dict[int, CompensationRecord] = {}
    today = date.today()
    for rec in compensation_records(actor=actor).filter(person__in=[p.pk for p in people],
                                                         effective_date__lte=today).order_by(
            "person_id", "-effective_date", "-pk"):
        latest.setdefault(rec.person_id, rec)
    bands = all_bands()
    rows = []
    for p in people:
        rec = latest.get(p.pk)
        if zone and (rec is None or rec.zone != zone):
            continue
        pos = band_position(rec.base_salary, rec.currency, band_for(bands, rec.level, rec.zone)) if rec else BandPosition(None)
        rows.append(PayRow(person=p, record=rec, position=pos))
    log_reads(actor=actor, request=request, object_type="reviews.compensation",
              items=[(r.record.pk, r.person) for r in rows if r.record])
    return rows


def person_for_pay(*, actor: Actor, pk: int) -> Person:
    """A person (active or not) whose pay the actor may see, or 404."""
    if not actor.is_authenticated or actor.is_service:
        raise Http404("No person matches the given query.")
    person = get_visible_or_404(apply_scope(Person.objects.select_related("team", "manager"), actor, "pk"), pk=pk)
    if not actor.can_view_sensitive_person_data(person.pk):
        raise Http404("No person matches the given query.")
    return person


def compensation_history(*, actor: Actor, person: Person, request=None) -> list[tuple[CompensationRecord, BandPosition]]:
    if not actor.can_view_sensitive_person_data(person.pk):
        raise Http404("No person matches the given query.")
    records = list(compensation_records(actor=actor).filter(person=person).order_by("-effective_date", "-pk"))
    bands = all_bands()
    log_reads(actor=actor, request=request, object_type="reviews.compensation",
              items=[(r.pk, person) for r in records])
    return [(r, band_position(r.base_salary, r.currency, band_for(bands, r.level, r.zone))) for r in records]


def compensation_record_get(*, actor: Actor, pk: int, request=None) -> CompensationRecord:
    record = get_visible_or_404(compensation_records(actor=actor), pk=pk)
    if not actor.can_view_sensitive_person_data(record.person_id):
        raise Http404("No compensation record matches the given query.")
    log_reads(actor=actor, request=request, object_type="reviews.compensation", items=[(record.pk, record.person)])
    return record


def current_compensation(*, person: Person, on: date | None = None) -> CompensationRecord | None:
    """For services only (no access check, no log): the record in force on a date."""
    return (CompensationRecord.objects.filter(person=person, effective_date__lte=on or date.today())
            .order_by("-effective_date", "-pk").first())


def pay_band_list(*, actor: Actor) -> QuerySet[PayBand]:
    if not actor.is_authenticated or actor.is_service or actor.role not in (Role.CTO, Role.HR, Role.EM):
        return PayBand.objects.none()
    return PayBand.objects.order_by("zone", "level")


# -- raise proposals ------------------------------------------------------------------------------
def raise_list(*, actor: Actor, cycle: ReviewCycle | None = None) -> QuerySet[RaiseProposal]:
    """Managers see proposals for their chain, CTO/HR all; a person sees their own only once
    it is approved and the cycle shared. Nobody sees a peer's."""
    if not actor.is_authenticated or actor.is_service:
        return RaiseProposal.objects.none()
    qs = RaiseProposal.objects.select_related("cycle", "person", "person__team")
    if not sees_all(actor):
        own = (Q(person_id=actor.person_id, cycle__stage__in=SHARED_STAGES,
                 status__in=[RaiseProposal.Status.APPROVED, RaiseProposal.Status.APPLIED])
               if actor.person_id else Q(pk__in=[]))
        qs = qs.filter(Q(person_id__in=sorted(actor.report_ids)) | own)
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return qs.order_by("person__full_name", "pk")


def raise_list_logged(*, actor: Actor, cycle: ReviewCycle | None = None, request=None) -> list[RaiseProposal]:
    proposals = list(raise_list(actor=actor, cycle=cycle))
    log_reads(actor=actor, request=request, object_type="reviews.raiseproposal",
              items=[(p.pk, p.person) for p in proposals])
    return proposals


def raise_get(*, actor: Actor, pk: int, request=None, log: bool = True) -> RaiseProposal:
    """One proposal; every read is access-logged (``log=False``: see :func:`review_get`)."""
    proposal = get_visible_or_404(raise_list(actor=actor), pk=pk)
    if not actor.can_view_sensitive_person_data(proposal.person_id):
        raise Http404("No raise proposal matches the given query.")
    if log:
        log_reads(actor=actor, request=request, object_type="reviews.raiseproposal",
                  items=[(proposal.pk, proposal.person)])
    return proposal


@dataclass
class BudgetLine:
    currency: str
    payroll: Decimal
    limit: Decimal | None
    approved: Decimal
    pending: Decimal

    @property
    def over(self) -> bool:
        return self.limit is not None and self.approved > self.limit

    @property
    def remaining(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.approved


def budget_status(*, cycle: ReviewCycle) -> list[BudgetLine]:
    """Per currency: the participants' payroll, the limit (absolute budget, else the
    percentage of payroll), approved and pending increases. For services and for callers
    that already checked the actor (CTO/HR): aggregates only, no individual's pay."""
    payroll: dict[str, Decimal] = defaultdict(Decimal)
    subjects = list(cycle.reviews.values_list("subject_id", flat=True))
    seen: set[int] = set()
    for rec in (CompensationRecord.objects.filter(person_id__in=subjects, effective_date__lte=date.today())
                .order_by("person_id", "-effective_date", "-pk")):
        if rec.person_id in seen:
            continue
        seen.add(rec.person_id)
        payroll[rec.currency] += rec.base_salary
    approved: dict[str, Decimal] = defaultdict(Decimal)
    pending: dict[str, Decimal] = defaultdict(Decimal)
    for p in cycle.raise_proposals.exclude(status=RaiseProposal.Status.REJECTED):
        target = pending if p.status == RaiseProposal.Status.PROPOSED else approved
        target[p.currency] += p.increase
    absolute = {b.currency: b.amount for b in cycle.budgets.all()}
    lines = []
    for cur in sorted(set(payroll) | set(approved) | set(pending) | set(absolute)):
        if cur in absolute:
            limit = absolute[cur]
        elif cycle.budget_percent is not None:
            limit = (payroll[cur] * cycle.budget_percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            limit = None
        lines.append(BudgetLine(currency=cur, payroll=payroll[cur], limit=limit, approved=approved[cur],
                                pending=pending[cur]))
    return lines


def can_see_budget(actor: Actor) -> bool:
    return sees_all(actor)


def cycle_budget(*, actor: Actor, cycle: ReviewCycle, request=None) -> list[BudgetLine] | None:
    """The budget lines for CTO and HR (None for everyone else). Payroll totals derive from
    individual pay, so the read is access-logged (one row, no single subject)."""
    if not can_see_budget(actor):
        return None
    lines = budget_status(cycle=cycle)
    access_log_record(user=actor.user, object_type="reviews.budget", object_id=cycle.pk, request=request)
    return lines


def export_rows(*, actor: Actor, cycle: ReviewCycle, request=None) -> list[dict]:
    """The closed cycle's outcomes for payroll. CTO and HR only (views check the role)."""
    if not sees_all(actor):
        raise Http404("No export.")
    reviews = {r.subject_id: r for r in review_list(actor=actor, cycle=cycle)}
    proposals = {p.person_id: p for p in raise_list(actor=actor, cycle=cycle)}
    rows = []
    for pid in sorted(reviews, key=lambda i: (reviews[i].subject.full_name, i)):
        r = reviews[pid]
        p = proposals.get(pid)
        applied = p is not None and p.status in (RaiseProposal.Status.APPROVED, RaiseProposal.Status.APPLIED)
        rows.append({
            "person_id": pid, "name": r.subject.full_name, "email": r.subject.email,
            "team": str(r.team or ""), "final_rating": r.final_rating or "",
            "promotion_recommended": "yes" if r.promotion_recommended else "no",
            "level_before": p.current_level if p else r.level, "level_after": p.proposed_level if applied else r.level,
            "currency": p.currency if p else "", "salary_before": p.current_salary if p else "",
            "salary_after": p.proposed_salary if applied else (p.current_salary if p else ""),
            "raise_percent": p.percent if applied else "", "raise_reason": p.reason if applied else "",
            "effective_date": cycle.effective_date.isoformat() if applied else "",
        })
    log_reads(actor=actor, request=request, object_type="reviews.export",
              items=[(cycle.pk, r.subject) for r in reviews.values()])
    return rows

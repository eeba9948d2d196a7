"""Anomaly detection (rolling median and MAD, weekday-aware) and triage."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.costs import selectors
from apps.costs.models import (
    CostAnomaly,
    CostEntry,
)
from apps.costs.services._common import ANOMALY_LOOKBACK_DAYS, CENT
from apps.org.models import Person, Team


def team_em(team: Team | None) -> Person | None:
    """The team's EM: an active EM in the team, else the first EM above its lead."""
    if team is None:
        return None
    em = Person.objects.filter(team=team, role=Role.EM, is_active=True).order_by("pk").first()
    if em:
        return em
    person = team.lead
    seen: set[int] = set()
    while person is not None and person.pk not in seen:
        seen.add(person.pk)
        if person.role == Role.EM and person.is_active:
            return person
        person = person.manager
    return None


@dataclass
class Baseline:
    expected: Decimal
    threshold: Decimal


def baseline(history: dict[date, Decimal], day: date, *, lookback: int = ANOMALY_LOOKBACK_DAYS) -> Baseline | None:
    """Weekday-aware robust baseline: the expected cost of ``day`` is the median of the same
    weekday over the last ``lookback`` days; the spread is the MAD of every day's deviation from
    its own weekday median (so a weekly rhythm is not noise). Missing days count as zero."""
    days = [day - timedelta(days=i) for i in range(1, lookback + 1)]
    values = {d: history.get(d, Decimal("0")) for d in days}
    if sum(1 for d in days if d in history) < lookback // 2:
        return None  # not enough history to judge
    by_weekday: dict[int, list[Decimal]] = {}
    for d, v in values.items():
        by_weekday.setdefault(d.weekday(), []).append(v)
    medians = {wd: Decimal(statistics.median(vs)) for wd, vs in by_weekday.items()}
    deviations = [abs(v - medians[d.weekday()]) for d, v in values.items()]
    mad = Decimal(statistics.median(deviations)) * Decimal("1.4826")
    expected = medians.get(day.weekday(), Decimal("0"))
    # At least 3 robust sigmas, 20% of the expected cost and one currency unit.
    threshold = max(3 * mad, expected * Decimal("0.2"), Decimal("1"))
    return Baseline(expected=expected, threshold=threshold)


def anomalies_detect(*, day: date | None = None) -> list[CostAnomaly]:
    """Find spikes on ``day`` (default: yesterday) per service and per team, and upsert them
    by (day, dimension, key): a re-run updates the figures but keeps the triage."""
    day = day or (timezone.now().date() - timedelta(days=1))
    fx = selectors.FxTable()
    start = day - timedelta(days=ANOMALY_LOOKBACK_DAYS)
    teams = {t.slug: t for t in Team.objects.select_related("lead__manager")}
    found: list[CostAnomaly] = []
    service_team = _service_top_team(day)
    for dimension in (CostAnomaly.Dimension.SERVICE, CostAnomaly.Dimension.TEAM):
        totals = selectors.daily_totals(start=start, end=day, dimension=dimension, fx=fx)
        for key, history in totals.items():
            actual = history.get(day)
            if actual is None:
                continue
            base = baseline(history, day)
            if base is None or actual - base.expected <= base.threshold:
                continue
            team = teams.get(key) if dimension == CostAnomaly.Dimension.TEAM else service_team.get(key)
            with transaction.atomic():
                anomaly, _ = CostAnomaly.objects.update_or_create(
                    date=day, dimension=dimension, key=key[:200], currency=fx.reporting,
                    defaults={"expected": base.expected.quantize(CENT), "actual": actual.quantize(CENT),
                              "impact": (actual - base.expected).quantize(CENT), "team": team,
                              "owner": team_em(team)},
                )
            found.append(anomaly)
    return found


def _service_top_team(day: date) -> dict[str, Team]:
    """For each service, the team with the largest cost that day (the anomaly's owner team)."""
    from django.db.models import Sum

    best: dict[str, tuple[Decimal, int]] = {}
    rows = (CostEntry.objects.filter(date=day, team__isnull=False).order_by().values("service", "team_id")
            .annotate(cost=Sum("cost")))
    for row in rows:
        if row["service"] not in best or row["cost"] > best[row["service"]][0]:
            best[row["service"]] = (row["cost"], row["team_id"])
    teams = Team.objects.select_related("lead__manager").in_bulk({t for _, t in best.values()})
    return {service: teams[team_id] for service, (_, team_id) in best.items() if team_id in teams}


def can_triage(actor: Actor, anomaly: CostAnomaly) -> bool:
    team_ids = selectors.visible_team_ids(actor)
    if team_ids is None:
        return selectors.can_view_costs(actor)
    return anomaly.team_id is not None and anomaly.team_id in team_ids


@transaction.atomic
def cost_anomaly_triage(*, actor: Actor, anomaly: CostAnomaly, status: str, note: str = "") -> CostAnomaly:
    if not can_triage(actor, anomaly):
        raise PermissionDenied("You may not triage this anomaly.")
    if status not in CostAnomaly.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in (CostAnomaly.Status.EXPECTED, CostAnomaly.Status.RESOLVED) and not (note or anomaly.note).strip():
        raise ValidationError({"note": "Say why it is expected or how it was resolved."})
    anomaly = CostAnomaly.objects.select_for_update().get(pk=anomaly.pk)
    anomaly.status = status
    if note:
        anomaly.note = note
    anomaly.triaged_by = actor.person
    anomaly.triaged_at = timezone.now()
    anomaly.save(update_fields=["status", "note", "triaged_by", "triaged_at", "updated_at"])
    return anomaly

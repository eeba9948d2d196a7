"""Demo data for syncs: three months of Tech, EM and Product Syncs and 1:1s, with notes,
decisions (one superseded) and action items, some overdue. Idempotent: series are keyed by
title, meetings by (series, start), and a meeting's content is written only when the meeting
is first created."""
from __future__ import annotations

import random
from datetime import time, timedelta

from django.utils import timezone

from apps.core.access import Actor
from apps.syncs import services
from apps.syncs.models import ActionItem, AgendaItem, Decision, Meeting, SyncSeries

HISTORY_DAYS = 91

TOPICS = {
    "tech": ["Incident review: checkout latency", "API versioning policy", "Kubernetes 1.31 upgrade",
             "Flaky test budget", "Observability: tracing rollout", "Postgres 17 migration", "Tech radar update",
             "Security: dependency scanning", "Monorepo build times", "Feature flag clean-up"],
    "em": ["Hiring pipeline", "On-call load", "Promotion cycle", "Team health survey", "Q-planning capacity",
           "Attrition risks", "Onboarding buddies", "Budget for conferences"],
    "product": ["Roadmap review", "Payments v2 launch", "Experiment results: onboarding", "Data products backlog",
                "Customer escalations", "Pricing page"],
    "one_on_one": ["How are things?", "Career growth", "Feedback", "Team dynamics", "Workload"],
}
DECISIONS = {
    "tech": [("Adopt OpenTelemetry for all new services", "One tracing standard; vendor-neutral."),
             ("Freeze deploys on Friday afternoons", "Three weekend incidents in a quarter."),
             ("Move CI to self-hosted runners", "Cost and queue times.")],
    "em": [("Two-week onboarding plan for every new hire", "New joiners took too long to ship."),
           ("On-call compensation follows the new policy", "Aligned with HR.")],
    "product": [("Payments v2 behind a feature flag for 10% of users", "Limit blast radius."),
                ("Drop the legacy pricing page", "Traffic below 1%.")],
    "one_on_one": [("Focus on system design this quarter", "Towards the next level.")],
}
ACTIONS = ["Write the ADR", "Share the post-mortem", "Draft the hiring plan", "Update the runbook",
           "Book the design review", "Send the survey", "Estimate the migration", "Review the dashboards",
           "Follow up with finance", "Pair with the new joiner"]
NOTES = """## Summary
- {a}
- {b}

## Discussion
The group reviewed **{a}** and agreed to revisit *{b}* next time.

| Item | Owner |
|---|---|
| {a} | {owner} |
"""


def _actor(person) -> Actor:
    return Actor(user=None, role=person.role, person=person)


def _series(people, *, title, kind, owner, participants, cadence, weekday, start, tz, template="") -> SyncSeries:
    series = SyncSeries.objects.filter(title=title).first()
    if series is None:
        series = services.series_create(
            actor=_actor(people[owner]), title=title, kind=kind, owner=people[owner],
            participants=[people[k] for k in participants], cadence=cadence, weekday=weekday, start_time=start,
            time_zone=tz, starts_on=timezone.localdate() - timedelta(days=HISTORY_DAYS), agenda_template=template,
            generate=False,
        )
    return series


def _fill(series: SyncSeries, meeting: Meeting, rng: random.Random, members: list,
          previous: Decision | None) -> Decision | None:
    kind = series.kind
    topics = rng.sample(TOPICS[kind], k=min(3, len(TOPICS[kind])))
    for order, topic in enumerate(topics, start=1):
        AgendaItem.objects.create(series=series, meeting=meeting, title=topic, presenter=rng.choice(members),
                                  minutes=rng.choice([5, 10, 15, 20]), order=order,
                                  status=AgendaItem.Status.DONE if order < 3 else AgendaItem.Status.OPEN)
    owner = rng.choice(members)
    meeting.notes = NOTES.format(a=topics[0], b=topics[-1], owner=owner.full_name)
    meeting.version = 1
    meeting.notes_updated_by = series.owner
    meeting.notes_updated_at = meeting.scheduled_at + timedelta(minutes=series.duration_minutes)
    meeting.status = Meeting.Status.HELD
    meeting.save()
    meeting.attendees.set([m for m in members if rng.random() < 0.85] or members[:1])
    day = meeting.scheduled_at.date()
    today = timezone.localdate()
    for _ in range(rng.randint(1, 2)):
        due = day + timedelta(days=rng.choice([7, 14, 21]))
        closed = due < today and rng.random() < 0.7
        ActionItem.objects.create(
            series=series, meeting=meeting, title=rng.choice(ACTIONS), owner=rng.choice(members), due_date=due,
            status=ActionItem.Status.DONE if closed else ActionItem.Status.OPEN,
            completed_at=meeting.scheduled_at + timedelta(days=5) if closed else None, created_by=series.owner,
        )
    if rng.random() < 0.35:
        text, rationale = rng.choice(DECISIONS[kind])
        return Decision.objects.create(series=series, meeting=meeting, text=text, rationale=rationale, owner=owner,
                                       decided_on=day, created_by=series.owner)
    return previous


# Later decisions that replace an earlier one (the register keeps both, linked).
SUPERSEDING = {
    "tech": ("Freeze deploys on Friday afternoons",
             "Deploy any weekday behind canary releases with automatic rollback",
             "Canary rollback made the Friday freeze unnecessary."),
    "em": ("Two-week onboarding plan for every new hire",
           "Four-week onboarding plan with a named buddy",
           "Two weeks proved too short for the payments domain."),
}


def _supersede(series: SyncSeries, last: Meeting | None) -> None:
    spec = SUPERSEDING.get(series.kind)
    if spec is None or last is None:
        return
    old_text, new_text, rationale = spec
    old = Decision.objects.filter(series=series, text=old_text, superseded_by__isnull=True).order_by("decided_on").first()
    if old is None or Decision.objects.filter(series=series, text=new_text).exists():
        return
    Decision.objects.create(series=series, meeting=last, text=new_text, rationale=rationale, owner=series.owner,
                            decided_on=last.scheduled_at.date(), supersedes=old, created_by=series.owner)


def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    rng = random.Random(3)
    tz = "Europe/Lisbon"
    ems = [f"em{i}" for i in range(1, 6)]
    tls = [f"tl{i}" for i in range(1, 9)]
    pms = [f"pm{i}" for i in range(1, 4)]
    specs = [
        dict(title="Tech Sync", kind="tech", owner="cto", participants=tls, cadence="weekly", weekday=1,
             start=time(15, 0), template="Incidents since last week\nRFCs for review"),
        dict(title="EM Sync", kind="em", owner="cto", participants=ems, cadence="weekly", weekday=0,
             start=time(10, 0), template="People topics\nHiring"),
        dict(title="Product Sync", kind="product", owner="cto", participants=[*pms, "em1"], cadence="biweekly",
             weekday=2, start=time(14, 0), template="Roadmap changes"),
    ]
    for key in [*ems, "pm1"]:
        specs.append(dict(title=f"1:1 {people['cto'].full_name.split()[0]} / {people[key].full_name.split()[0]}",
                          kind="one_on_one", owner="cto", participants=[key], cadence="biweekly", weekday=3,
                          start=time(9, 0) if key != "pm1" else time(16, 0)))
    for key in ("tl1", "tl2"):
        specs.append(dict(title=f"1:1 {people['em1'].full_name.split()[0]} / {people[key].full_name.split()[0]}",
                          kind="one_on_one", owner="em1", participants=[key], cadence="weekly", weekday=4,
                          start=time(11, 0)))
    created_meetings = 0
    today = timezone.localdate()
    for i, spec in enumerate(specs):
        series = _series(people, tz=tz, **spec)
        members = list(series.participants.all())
        previous = Decision.objects.filter(series=series).order_by("-decided_on", "-id").first()
        for day in services.occurrence_dates(series, series.starts_on, today - timedelta(days=1)):
            start = services._local_start(series, day)
            meeting, created = Meeting.objects.get_or_create(
                series=series, scheduled_at=start, defaults={"duration_minutes": series.duration_minutes})
            if created:
                created_meetings += 1
                previous = _fill(series, meeting, rng, members, previous)
        last = series.meetings.filter(status=Meeting.Status.HELD).order_by("-scheduled_at").first()
        _supersede(series, last)
        backlog = f"Backlog: {TOPICS[series.kind][-1]}"
        if not series.agenda_items.filter(title=backlog).exists():
            AgendaItem.objects.create(series=series, meeting=None, title=backlog, order=i)
        if last is not None:
            # The next meeting starts with what the last one left open, and the backlog.
            services.agenda_carry_forward(meeting=last)
    created_meetings += services.meeting_generate_upcoming(series_ids=SyncSeries.objects.values_list("pk", flat=True))
    if stdout is not None:
        overdue = ActionItem.objects.filter(status="open", due_date__lt=today).count()
        stdout.write(f"Syncs: {len(specs)} series, {created_meetings} new meetings, {overdue} overdue action items.")


__all__ = ["seed_demo"]

"""Demo data: a year of Tech Monthly (talks by track, attendance, feedback), upcoming
sessions, a one-off session and a backlog of proposals with votes. Idempotent: rows are keyed
by (series, date), (session, title), (proposal title, proposer) and the unique constraints."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from itertools import zip_longest

from django.db import transaction
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.knowledge import services
from apps.knowledge.models import (
    Attendance,
    Feedback,
    Proposal,
    ProposalVote,
    Session,
    SessionSeries,
    Talk,
    Track,
)

# (title, track, team slug of the speaker, minutes)
TALKS = [
    ("Migrating the web app to Vite: what broke", Track.FRONTEND, "web-frontend", 20),
    ("Design tokens across web and mobile", Track.FRONTEND, "mobile", 20),
    ("React Server Components in practice", Track.FRONTEND, "web-frontend", 25),
    ("Accessibility audits we should have done earlier", Track.FRONTEND, "web-frontend", 20),
    ("Offline-first sync on mobile", Track.FRONTEND, "mobile", 20),
    ("CSS container queries in the design system", Track.FRONTEND, "web-frontend", 20),
    ("Testing React Native with Detox", Track.FRONTEND, "mobile", 20),
    ("Web vitals: from red to green", Track.FRONTEND, "web-frontend", 25),
    ("State machines for checkout flows", Track.FRONTEND, "web-frontend", 20),
    ("Idempotent payment APIs", Track.BACKEND, "payments-backend", 25),
    ("The outbox pattern, one year later", Track.BACKEND, "payments-backend", 20),
    ("PostgreSQL partitioning for the ledger", Track.BACKEND, "payments-backend", 25),
    ("API versioning without tears", Track.BACKEND, "core-api", 20),
    ("Rate limiting the public API", Track.BACKEND, "core-api", 20),
    ("Celery at scale: retries, visibility timeouts and us", Track.BACKEND, "core-api", 20),
    ("Money as Decimal: rounding bugs we shipped", Track.BACKEND, "payments-backend", 20),
    ("gRPC between services: worth it?", Track.BACKEND, "core-api", 25),
    ("Zero-downtime Django migrations", Track.BACKEND, "core-api", 20),
    ("Terraform module hygiene", Track.PLATFORM, "platform", 20),
    ("Cutting the AWS bill by 18%", Track.PLATFORM, "platform", 25),
    ("Kubernetes upgrades without downtime", Track.PLATFORM, "platform", 20),
    ("Secrets rotation with no pager", Track.SECURITY, "security", 20),
    ("Threat modelling a feature in 30 minutes", Track.SECURITY, "security", 20),
    ("ISO 27001 evidence without spreadsheets", Track.SECURITY, "security", 15),
    ("dbt tests that caught real bugs", Track.DATA, "data", 20),
    ("Building the metrics layer", Track.DATA, "data", 25),
    ("Change data capture into the warehouse", Track.DATA, "data", 20),
    ("Evaluating LLM features honestly", Track.AI, "ai", 25),
    ("RAG over our internal docs", Track.AI, "ai", 20),
    ("Fine-tuning vs prompting: a cost comparison", Track.AI, "ai", 20),
    ("Writing a good postmortem", Track.OTHER, "core-api", 15),
]

TALK_POOLS = {
    "fe": [t for t in TALKS if t[1] == Track.FRONTEND],
    "be": [t for t in TALKS if t[1] == Track.BACKEND],
    # Round-robin over the other tracks so each comes up every few months.
    "other": [t for group in zip_longest(*(
        [t for t in TALKS if t[1] == track] for track in (Track.AI, Track.PLATFORM, Track.DATA, Track.SECURITY,
                                                            Track.OTHER)
    )) for t in group if t is not None],
}
MONTH_PATTERN = [("fe", "be", "other"), ("be", "other"), ("fe", "other"), ("be", "fe")]

PROPOSALS = [
    ("Type-safe forms with Zod", Track.FRONTEND, "web-frontend", 20, 9),
    ("Feature flags: cleaning up the graveyard", Track.BACKEND, "core-api", 20, 7),
    ("What we learned from the November incident", Track.PLATFORM, "platform", 25, 12),
    ("Mobile release trains", Track.FRONTEND, "mobile", 15, 4),
    ("Vector databases compared", Track.AI, "ai", 25, 6),
    ("Data contracts between teams", Track.DATA, "data", 20, 5),
    ("Passkeys for the admin", Track.SECURITY, "security", 20, 3),
    ("Property-based testing for money", Track.BACKEND, "payments-backend", 20, 8),
    ("Our frontend performance budget", Track.FRONTEND, "web-frontend", 20, 2),
]
REJECTED = [
    ("Why we should rewrite everything in Rust", Track.BACKEND, "core-api", 45,
     "45 minutes is most of a session; could you make it a 20-minute case study of one service?"),
    ("Tabs vs spaces", Track.OTHER, "web-frontend", 10, "Fun, but let's keep it for the Christmas lightning talks."),
]
COMMENTS = [
    "Clear and practical, thanks!", "Would love the slides.", "A bit fast at the end.", "Great demo.",
    "More on the trade-offs next time?", "", "", "Exactly what our team needed.", "The Q&A was the best part.",
]


def _team_people(people: dict) -> dict[str, list]:
    by_team: dict[str, list] = {}
    for key, person in people.items():
        if key.startswith("eng") and person.team_id and person.is_active:
            by_team.setdefault(person.team.slug, []).append(person)
    for members in by_team.values():
        members.sort(key=lambda p: p.email)
    return by_team


@transaction.atomic
def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    today = timezone.localdate()
    cto = people["cto"]
    by_team = _team_people(people)
    everyone = sorted((p for p in people.values() if p.is_active), key=lambda p: p.email)

    series, _ = SessionSeries.objects.get_or_create(name="Tech Monthly", defaults={
        "description": "Front-end, back-end, data, AI, platform and security people share what they learned.",
        "cadence": SessionSeries.Cadence.MONTHLY, "weekday": SessionSeries.Weekday.THURSDAY,
        "week_of_month": SessionSeries.WeekOfMonth.LAST, "start_time": time(16, 0), "time_zone": "Europe/Lisbon",
        "duration_minutes": 75, "starts_on": today - timedelta(days=365), "generate_ahead": 3,
        "location": "Lisbon office, auditorium", "call_url": "https://meet.example.com/tech-monthly", "host": cto,
    })
    # A year back and three ahead (only missing dates are created).
    past_dates = [d for d in services.series_occurrences(series, start=series.starts_on, count=14) if d < today]
    if past_dates:
        services.series_generate_sessions(series=series, start=series.starts_on, count=len(past_dates), today=today)
    services.series_generate_sessions(series=series, today=today)

    sessions = list(Session.objects.filter(series=series).order_by("starts_at"))
    now = timezone.now()
    past = [s for s in sessions if s.starts_at < now]
    upcoming = [s for s in sessions if s.starts_at >= now]
    # Hosts rotate: the platform and data TLs host some months.
    for i, session in enumerate(past + upcoming):
        host = [cto, people["tl5"], cto, people["tl7"]][i % 4]
        if session.host_id != host.pk:
            Session.objects.filter(pk=session.pk).update(host=host)
            session.host = host

    talk_by_title: dict[str, Talk] = {}
    used = dict.fromkeys(TALK_POOLS, 0)
    for i, session in enumerate(past):
        rng = random.Random(f"knowledge-{session.occurrence_date}")
        # A realistic mix: front-end and back-end most months, the other tracks in turn.
        picks = []
        for kind in MONTH_PATTERN[i % len(MONTH_PATTERN)]:
            pool = TALK_POOLS[kind]
            picks.append(pool[used[kind] % len(pool)])
            used[kind] += 1
        if session.talks.exists():  # seeded before (or scheduled by hand): leave its agenda alone
            picks = []
        booked = 0
        for pos, (title, track, team, minutes) in enumerate(picks, start=1):
            if booked + minutes > session.duration_minutes:
                break
            booked += minutes
            members = by_team.get(team) or everyone
            # Only the first few of each team speak: the rest fill the "never spoke" list.
            speaker = members[(i + pos) % min(3, len(members))]
            slug = title.lower().replace(" ", "-")[:40]
            talk, _ = Talk.objects.get_or_create(session=session, title=title, defaults={
                "abstract": f"**{title}.** What we tried, what failed, and what we would do again.\n\n"
                            f"- the problem\n- what we measured\n- the result",
                "track": track, "duration_minutes": minutes, "position": pos,
                "slides_url": f"https://slides.example.com/{slug}",
                "recording_url": f"https://video.example.com/tech-monthly/{session.occurrence_date}/{pos}",
            })
            talk.speakers.set([speaker])
            talk_by_title.setdefault(title, talk)
        if not session.recording_url:
            Session.objects.filter(pk=session.pk).update(
                recording_url=f"https://video.example.com/tech-monthly/{session.occurrence_date}")

        attendees = rng.sample(everyone, k=min(len(everyone), 22 + rng.randint(0, 20) + i))
        Attendance.objects.bulk_create(
            [Attendance(session=session, person=p, source=rng.choice(["self", "self", "import"]),
                        checked_in_at=session.starts_at + timedelta(minutes=rng.randint(-5, 10))) for p in attendees],
            ignore_conflicts=True,
        )
        for talk in session.talks.prefetch_related("speakers"):
            speaker_ids = {p.pk for p in talk.speakers.all()}
            raters = [p for p in attendees if p.pk not in speaker_ids][: rng.randint(3, 9)]
            Feedback.objects.bulk_create(
                [Feedback(talk=talk, person=p, rating=rng.choice([3, 4, 4, 5, 5]), comment=rng.choice(COMMENTS))
                 for p in raters],
                ignore_conflicts=True,
            )
        given = session.starts_at + timedelta(hours=2)
        Feedback.objects.filter(talk__session=session, created_at__gt=given).update(created_at=given, updated_at=given)

    # A talk given again at the next Tech Monthly (good feedback, people asked for it).
    if past and upcoming and len(upcoming) > 1:
        first = talk_by_title.get("Cutting the AWS bill by 18%")
        target = upcoming[1]
        if first and not Talk.objects.filter(given_again_from=first, session=target).exists():
            Talk.objects.create(
                session=target, title=first.title, abstract=first.abstract, track=first.track,
                duration_minutes=first.duration_minutes, slides_url=first.slides_url, position=9,
                given_again_from=first,
            ).speakers.set(first.speakers.all())

    # A one-off session.
    security_host = people["tl6"]
    day = today + timedelta(days=14)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday, two to three weeks ahead
    start = timezone.make_aware(datetime.combine(day, time(15, 0)))
    deep_dive, _ = Session.objects.get_or_create(title="Security deep dive: supply-chain attacks", series=None,
                                                 defaults={
        "starts_at": start, "duration_minutes": 90, "host": security_host, "location": "Online",
        "call_url": "https://meet.example.com/security-deep-dive",
        "description": "A one-off session with the Security team after the npm incidents.",
    })

    # Proposals: a voted backlog, one scheduled, two rejected with a note.
    for n, (title, track, team, minutes, votes) in enumerate(PROPOSALS):
        members = by_team.get(team) or everyone
        proposer = members[-1 - (n % 2)]  # people who have not spoken yet
        proposal, _ = Proposal.objects.get_or_create(title=title, proposer=proposer, defaults={
            "track": track, "duration_minutes": minutes,
            "abstract": f"A proposal for Tech Monthly: *{title.lower()}*.",
        })
        voters = [p for p in everyone if p.pk != proposer.pk][n * 3: n * 3 + votes]
        ProposalVote.objects.bulk_create([ProposalVote(proposal=proposal, person=p) for p in voters],
                                         ignore_conflicts=True)
    for title, track, team, minutes, note in REJECTED:
        members = by_team.get(team) or everyone
        Proposal.objects.get_or_create(title=title, proposer=members[-1], defaults={
            "track": track, "duration_minutes": minutes, "status": Proposal.Status.REJECTED,
            "decision_note": note, "decided_by": cto, "decided_at": timezone.now() - timedelta(days=12),
        })
    # A speaker offered a well-rated talk again; it waits in the backlog for a host.
    offered = talk_by_title.get("Idempotent payment APIs")
    if offered is not None and not Proposal.objects.filter(repeat_of=offered).exists():
        speaker = offered.speakers.first()
        services.talk_propose_again(actor=Actor(role=speaker.role, person=speaker), talk=offered)
    scheduled = Proposal.objects.filter(title="What we learned from the November incident").first()
    if scheduled is not None and scheduled.status == Proposal.Status.BACKLOG and upcoming:
        target = upcoming[0]
        if services.booked_minutes(target) + scheduled.duration_minutes <= target.duration_minutes:
            services.proposal_schedule(actor=Actor(role=Role.CTO, person=cto), proposal=scheduled, session=target)

    if stdout is not None:
        stdout.write(
            f"Knowledge: {Session.objects.count()} sessions ({len(past)} past Tech Monthly), "
            f"{Talk.objects.count()} talks, {Proposal.objects.count()} proposals, "
            f"{Attendance.objects.count()} check-ins; one-off: {deep_dive}."
        )


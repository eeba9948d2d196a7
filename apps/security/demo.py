"""Demo data for the security app, called by ``manage.py seed_demo``. Idempotent: every row
is keyed by a natural key (titles, dates, people), so a second run creates nothing new."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from apps.security import services
from apps.security.models import (
    AmaAttendance,
    AmaQuestion,
    AmaSession,
    AmaVote,
    Bulletin,
    BulletinAcknowledgement,
    Control,
    EvidenceItem,
    Training,
    TrainingAttendance,
    TrainingSession,
)

QUESTIONS = [
    # (body, anonymous, status, answer or "", in_faq)
    ("Are we allowed to paste production logs into AI chat tools?", True, "published",
     "No. Logs can hold **personal data** and secrets. Use the internal assistant, which keeps data in our tenant, "
     "and scrub logs first. See the *Acceptable use* policy.", True),
    ("How often should I rotate my AWS access keys?", False, "published",
     "Ideally never hold long-lived keys at all: use `aws sso login`. If a tool really needs a key, rotate it every "
     "**90 days**; the nightly checker flags older ones.", True),
    ("What do I do if I clicked a phishing link?", True, "published",
     "Report it at once in #security-incidents or with the *Report phishing* button. You will not be blamed: "
     "early reports are what stop an incident.\n\n1. Disconnect from VPN\n2. Report\n3. Change your password", True),
    ("Why does the VPN disconnect every 12 hours?", False, "published", "", False),
    ("Can we get YubiKeys for the remote team too?", False, "published",
     "Yes: they ship with the onboarding kit from next month.", False),
    ("Is our security team understaffed?", True, "hidden", "", False),
    ("Will secrets scanning block my pushes?", True, "pending", "", False),
]
BULLETINS = [
    # (title, severity, requires_ack, days ago published, due in days, team slugs, roles, body)
    ("Enable hardware security keys for SSO", "critical", True, 40, -10, [], [],
     "From **1 December** every account must use a hardware key for SSO.\n\n- Pick up your key from IT\n"
     "- Enrol it at the SSO portal\n- Remove SMS as a second factor"),
    ("Phishing wave impersonating our payroll provider", "high", True, 12, 5, [], [],
     "We are seeing emails that pretend to come from the payroll provider. Never enter credentials from a mail "
     "link; open the portal from your bookmarks."),
    ("Pin dependencies and enable lockfile checks in CI", "medium", True, 20, 10,
     ["web-frontend", "mobile", "payments-backend", "core-api", "platform"], ["engineer", "tl"],
     "Unpinned dependencies let a compromised package reach production. Use lockfiles and `npm ci` / `pip install "
     "--require-hashes`."),
    ("Password manager: shared vaults are live", "info", False, 5, None, [], [],
     "Team vaults are now available. Move shared credentials out of wiki pages."),
]


def _aware(day: date, hour: int = 15) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@transaction.atomic
def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    rng = random.Random(2709)
    today = timezone.localdate()
    cto, sec_tl = people["cto"], people.get("tl6", people["cto"])
    everyone = [p for p in people.values() if p.is_active]
    engineers = [p for k, p in people.items() if k.startswith("eng")]

    # Control owners for the controls this portal touches.
    owners = {"5.15": sec_tl, "5.18": sec_tl, "6.3": cto, "8.15": people.get("tl5", sec_tl),
              "8.24": sec_tl, "8.28": people.get("tl4", sec_tl)}
    for code, owner in owners.items():
        Control.objects.filter(code=code).update(owner=owner)

    # AMA sessions: three held (monthly) and one upcoming.
    sessions = []
    for i, months_ago in enumerate([3, 2, 1, -1]):
        day = today - timedelta(days=30 * months_ago)
        session, _ = AmaSession.objects.update_or_create(
            title=f"Security AMA #{i + 1}",
            defaults={"starts_at": _aware(day), "host": sec_tl, "is_open": months_ago <= 1,
                      "recording_url": f"https://video.example.com/security-ama-{i + 1}" if months_ago > 0 else "",
                      "description": "Ask the security team anything: anonymously if you prefer."},
        )
        sessions.append((session, months_ago > 0))
    for index, (body, anonymous, status, answer, in_faq) in enumerate(QUESTIONS):
        session = sessions[index % 3][0]
        asker = None if anonymous else engineers[index * 7 % len(engineers)]
        question, created = AmaQuestion.objects.get_or_create(
            session=session, body=body,
            defaults={"is_anonymous": anonymous, "asker": asker, "status": status, "answer": answer,
                      "answered_by": sec_tl if answer else None, "answered_at": session.starts_at if answer else None,
                      "in_faq": in_faq},
        )
        if created:  # asked in the days before the session, not "now"
            AmaQuestion.objects.filter(pk=question.pk).update(
                created_at=session.starts_at - timedelta(days=2, hours=index), updated_at=session.starts_at)
        if status == "published":
            for voter in rng.sample(everyone, k=min(len(everyone), 3 + index * 2)):
                AmaVote.objects.get_or_create(question=question, person=voter)
    for session, held in sessions:
        if held:
            for person in rng.sample(everyone, k=min(len(everyone), 25)):
                AmaAttendance.objects.get_or_create(session=session, person=person)
            services._awareness_evidence(source="ama_session", obj=session, title=f"AMA held: {session.title}",
                                         collected_on=timezone.localdate(session.starts_at), owner=sec_tl)

    # Bulletins and acknowledgements.
    for title, severity, requires_ack, ago, due_in, team_slugs, roles, body in BULLETINS:
        published = _aware(today - timedelta(days=ago), 9)
        bulletin, _ = Bulletin.objects.update_or_create(title=title, defaults={
            "severity": severity, "requires_ack": requires_ack, "body": body, "author": sec_tl,
            "published_at": published, "due_date": today + timedelta(days=due_in) if due_in is not None else None,
            "audience_roles": roles,
        })
        bulletin.audience_teams.set([teams[s] for s in team_slugs if s in teams])
        services._awareness_evidence(source="bulletin", obj=bulletin, title=f"Bulletin acknowledged: {title}",
                                     collected_on=published.date(), owner=sec_tl)
        if requires_ack:
            for person in services.audience_people(bulletin):
                if rng.random() < 0.72:
                    BulletinAcknowledgement.objects.get_or_create(
                        bulletin=bulletin, person=person,
                        defaults={"acknowledged_at": published + timedelta(hours=rng.randint(1, 24 * max(1, ago)))},
                    )

    # Trainings, sessions, attendance with scores.
    year_start = date(today.year, 1, 1)
    specs = [
        ("Annual security awareness", "awareness", 12, None, [], [], 0.85),
        ("Secure coding: OWASP Top 10", "secure_coding", 12, 70,
         ["web-frontend", "mobile", "payments-backend", "core-api", "platform", "security", "data", "ai"],
         ["engineer", "tl"], 0.6),
        ("Phishing drill", "phishing_drill", 6, 80, [], [], 0.7),
    ]
    for title, kind, months, pass_score, team_slugs, roles, share in specs:
        training, _ = Training.objects.update_or_create(title=title, defaults={
            "kind": kind, "recurrence_months": months, "pass_score": pass_score, "audience_roles": roles,
            "first_due_on": year_start + timedelta(days=90), "is_active": True,
            "description": f"{dict(Training.Kind.choices)[kind]} for the audience below.",
        })
        training.audience_teams.set([teams[s] for s in team_slugs if s in teams])
        audience = list(services.audience_people(training))
        for offset in (150, 45):
            held_on = today - timedelta(days=offset)
            session, _ = TrainingSession.objects.get_or_create(
                training=training, held_on=held_on, defaults={"trainer": sec_tl.full_name, "location": "Online"})
            services._awareness_evidence(source="training_session", obj=session,
                                         title=f"Training held: {title} ({held_on})", collected_on=held_on, owner=sec_tl)
            for person in audience:
                if rng.random() < share / 2 + 0.1:
                    score = rng.randint(55, 100) if pass_score is not None else None
                    TrainingAttendance.objects.get_or_create(session=session, person=person, defaults={
                        "score": score, "passed": pass_score is None or (score or 0) >= pass_score})

    # Manual evidence with owners and expiry.
    manual = [
        ("Quarterly access review (SSO groups)", ["5.15", "5.18"], 60, 30),
        ("CloudTrail and application log retention settings", ["8.15"], 100, 265),
        ("KMS key rotation policy", ["8.24"], 200, 20),
        ("Secure code review checklist in the PR template", ["8.28"], 30, 335),
    ]
    for title, codes, collected_ago, expires_in in manual:
        item, _ = EvidenceItem.objects.update_or_create(title=title, defaults={
            "owner": sec_tl, "collected_on": today - timedelta(days=collected_ago),
            "expires_on": today + timedelta(days=expires_in), "source": EvidenceItem.Source.MANUAL,
            "url": "https://wiki.example.com/security/" + title.lower().replace(" ", "-")[:40],
        })
        item.controls.set(Control.objects.filter(code__in=codes))

    rows = services.training_status_refresh(today=today)
    if stdout is not None:
        stdout.write(f"Security: {AmaSession.objects.count()} AMA sessions, {Bulletin.objects.count()} bulletins, "
                     f"{Training.objects.count()} trainings, {rows} training statuses, "
                     f"{EvidenceItem.objects.count()} evidence items.")

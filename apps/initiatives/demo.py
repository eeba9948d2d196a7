"""Demo data: a realistic AI and Data portfolio. Idempotent (keyed by team + title, then by
initiative + title / date), so running ``seed_demo`` again creates nothing twice."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.initiatives.models import Initiative, Milestone, StatusUpdate
from apps.initiatives.services import _refresh_from_latest_update

K, S = Initiative.Kind, Initiative.Status

# (team, title, kind, owner, sponsor, status, start offset days, target offset days, cost tag, benefits,
#  problem, goal, milestones [(title, due offset, done offset|None)], updates [(days ago, health, text)])
PORTFOLIO = [
    ("ai", "Invoice OCR for finance ops", K.AUTOMATION, "tl8", "fin", S.IN_PROGRESS, -120, 30, "invoice-ocr",
     {"replaces_process": "Manual keying of supplier invoices into the ERP", "hours_saved_estimated": Decimal("160"),
      "hours_saved_measured": Decimal("95")},
     "Finance keys **~1,800 supplier invoices** a month by hand; errors cost late fees.",
     "Extract, validate and post 90% of invoices without a human touch.",
     [("Pilot with 2 suppliers", -60, -58), ("All EU suppliers", 10, None), ("ERP write-back", 30, None)],
     [(30, "green", "Pilot accuracy 97.8% on 400 invoices."), (16, "amber", "ERP sandbox access slipped a week."),
      (3, "green", "Sandbox unblocked; EU rollout on track.")]),
    ("ai", "Support ticket triage assistant", K.AUTOMATION, "eng53", "em5", S.SHIPPED, -200, -20, "ticket-triage",
     {"replaces_process": "Level-1 routing of support tickets", "hours_saved_estimated": Decimal("120"),
      "hours_saved_measured": Decimal("134")},
     "Tickets wait 6h on average before reaching the right queue.",
     "Route 80% of tickets automatically within a minute.",
     [("Classifier v1", -150, -148), ("Zendesk integration", -60, -55), ("GA", -20, -21)],
     [(45, "green", "Routing accuracy 86%."), (21, "green", "Shipped to all queues.")]),
    ("ai", "Smart payment retries", K.FEATURE, "eng54", "pm1", S.IN_PROGRESS, -90, 45, "smart-retries",
     {"product_metric": "Recovered failed card payments", "metric_baseline": "31%", "metric_target": "45%",
      "metric_current": "36%"},
     "A third of failed card payments are never retried at the right moment.",
     "Pick the retry time per card issuer with a learned model.",
     [("Offline model", -40, -35), ("A/B test 10%", 15, None)],
     [(25, "amber", "Model lifts recovery +5pp offline; issuer data is patchy."),
      (18, "red", "A/B blocked: payments-backend capacity this sprint.")]),
    ("ai", "Code review summariser (research)", K.RESEARCH, "eng55", "cto", S.PAUSED, -60, 60, "",
     {}, "Large PRs wait days for review.", "Find out whether LLM summaries speed reviews up.",
     [("Prototype on 50 PRs", -20, -22)],
     [(22, "amber", "Paused: team on smart retries until the A/B test starts.")]),
    ("ai", "Sales call notes to CRM", K.AUTOMATION, "tl8", "pm2", S.PLANNED, 10, 100, "call-notes",
     {"replaces_process": "Sales reps writing CRM notes after each call", "hours_saved_estimated": Decimal("80")},
     "Reps spend ~20 minutes a call on notes.", "Draft the CRM note from the transcript for the rep to approve.",
     [("Legal review of call recording", 20, None)], []),
    ("data", "Lakehouse migration", K.DATA_PLATFORM, "tl7", "cto", S.IN_PROGRESS, -150, 60, "lakehouse",
     {}, "The warehouse costs grow 8% a month and nightly loads miss the 7am SLA.",
     "Move raw and curated layers to Iceberg on S3; keep the BI layer unchanged.",
     [("Raw layer on Iceberg", -70, -65), ("Curated layer", -5, None), ("Decommission old cluster", 60, None)],
     [(40, "green", "Raw layer live."), (20, "amber", "Curated layer 2 weeks late: schema drift in billing."),
      (19, "amber", "Still catching up on billing schemas.")]),
    ("data", "Churn prediction for account managers", K.FEATURE, "eng44", "pm3", S.IN_PROGRESS, -100, 20, "churn-model",
     {"product_metric": "Gross revenue churn", "metric_baseline": "2.1%/mo", "metric_target": "1.6%/mo",
      "metric_current": "1.9%/mo"},
     "Account managers learn about churn when the cancellation arrives.",
     "A weekly risk list with reasons, in the CRM.",
     [("Feature store tables", -60, -61), ("Model in CRM", 20, None)],
     [(9, "green", "Precision@50 0.62; CRM widget in review.")]),
    ("data", "Self-serve finance dashboards", K.AUTOMATION, "eng45", "fin", S.SHIPPED, -180, -40, "finance-bi",
     {"replaces_process": "Monthly hand-built finance spreadsheets", "hours_saved_estimated": Decimal("60"),
      "hours_saved_measured": Decimal("48")},
     "Month-end close waits on 14 spreadsheets built by hand.", "Finance reads the numbers from governed dashboards.",
     [("Revenue dashboard", -90, -92), ("Cost dashboard", -40, -41)],
     [(50, "green", "Revenue dashboard adopted."), (38, "green", "Shipped; spreadsheets retired.")]),
    ("data", "Data quality monitors", K.DATA_PLATFORM, "eng46", "em5", S.IDEA, 30, 120, "",
     {}, "Broken upstream data is found by dashboard users.", "Alert the owning team before anyone reads bad data.",
     [], []),
    ("data", "Event tracking clean-up", K.DATA_PLATFORM, "eng47", "pm2", S.CANCELLED, -120, -30, "",
     {}, "Three tracking libraries send overlapping events.", "One schema, one SDK.",
     [], [(60, "red", "Cancelled: superseded by the product analytics vendor switch.")]),
]


def seed_demo(*, people: dict, teams: dict, stdout=None) -> None:
    today = timezone.localdate()
    created = 0
    for (team_slug, title, kind, owner_key, sponsor_key, status, start, target, tag, benefits, problem, goal,
         milestones, updates) in PORTFOLIO:
        team = teams.get(team_slug)
        owner = people.get(owner_key) or people.get("cto")
        if team is None or owner is None:
            continue
        initiative, was_created = Initiative.objects.update_or_create(team=team, title=title, defaults={
            "kind": kind, "owner": owner, "sponsor": people.get(sponsor_key), "status": status,
            "start_date": today + timedelta(days=start), "target_date": today + timedelta(days=target),
            "shipped_on": today + timedelta(days=target) if status == S.SHIPPED else None,
            "cost_tag": tag, "problem": problem, "goal": goal, **benefits,
        })
        created += was_created
        if was_created:
            # Backdate creation so the timeline and stale detection look lived-in.
            Initiative.objects.filter(pk=initiative.pk).update(
                created_at=timezone.now() + timedelta(days=min(start, 0) - 5)
            )
        for m_title, due, done in milestones:
            Milestone.objects.update_or_create(initiative=initiative, title=m_title, defaults={
                "due_date": today + timedelta(days=due),
                "done_date": today + timedelta(days=done) if done is not None else None,
            })
        for days_ago, health, text in updates:
            StatusUpdate.objects.update_or_create(
                initiative=initiative, date=today - timedelta(days=days_ago),
                defaults={"health": health, "text": text, "author": owner},
            )
        _refresh_from_latest_update(initiative)
    if stdout is not None:
        stdout.write(f"Initiatives: {len(PORTFOLIO)} in the AI and Data portfolio ({created} new).")

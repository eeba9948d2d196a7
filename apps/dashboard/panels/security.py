"""Security and knowledge panels: training and bulletin completion, expiring evidence, the
next Security AMA with its top-voted questions, the next Tech Monthly, and a person's own
trainings, bulletins and upcoming talks."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils.text import Truncator

from apps.dashboard.panels import Panel, PanelContext

EVIDENCE_DAYS = 30


def completion(ctx: PanelContext) -> Panel | None:
    """Org-wide completion of each active training and of the latest bulletins that ask for
    an acknowledgement (security managers: the CTO and the security team's leads)."""
    from apps.security import selectors
    from apps.security.access import is_security_manager

    if not is_security_manager(ctx.actor):
        return None
    heatmap = selectors.training_heatmap(actor=ctx.actor, today=ctx.today)
    trainings = []
    for i, training in enumerate(heatmap.trainings):
        cells = [cells[i] for _, cells in heatmap.rows if cells[i] is not None]
        audience = sum(c.audience for c in cells)
        done = sum(c.done for c in cells)
        trainings.append({"title": training.title, "audience": audience, "done": done,
                          "percent": round(done * 100 / audience) if audience else 0,
                          "url": training.get_absolute_url()})
    bulletins = list(selectors.bulletin_list(actor=ctx.actor).filter(requires_ack=True)[:5])
    sizes = selectors.bulletin_audience_sizes(bulletins)
    bulletin_rows = [{"title": b.title, "severity": b.get_severity_display(), "due_date": b.due_date,
                      "acknowledged": b.ack_count, "audience": sizes.get(b.pk, 0),
                      "percent": round(b.ack_count * 100 / sizes[b.pk]) if sizes.get(b.pk) else 0,
                      "url": b.get_absolute_url()} for b in bulletins]
    return Panel("security_completion", "Security training and bulletins",
                 {"trainings": trainings, "bulletins": bulletin_rows},
                 reverse("security:training-heatmap"), "Completion by team")


def evidence(ctx: PanelContext) -> Panel | None:
    """ISO 27001 evidence expired or expiring within 30 days, soonest first."""
    from apps.security import selectors
    from apps.security.access import is_security_manager

    if not is_security_manager(ctx.actor):
        return None
    qs = selectors.evidence_list(actor=ctx.actor).filter(
        expires_on__isnull=False, expires_on__lte=ctx.today + timedelta(days=EVIDENCE_DAYS))
    items = [{"title": e.title, "expires_on": e.expires_on, "expired": e.expires_on < ctx.today,
              "days": (e.expires_on - ctx.today).days, "controls": [c.code for c in e.controls.all()],
              "owner": e.owner.full_name if e.owner_id else None, "url": e.get_absolute_url()}
             for e in qs.order_by("expires_on", "pk")[:8]]
    return Panel("evidence", f"Evidence expiring within {EVIDENCE_DAYS} days", {"count": qs.count(), "items": items},
                 reverse("security:evidence-list"), "Evidence")


def ama(ctx: PanelContext) -> Panel | None:
    """The next Security AMA and its top-voted published questions. Never the asker: anonymous
    questions carry no link to anyone, and named ones are left unnamed here too."""
    from apps.security import selectors

    if not ctx.actor.is_authenticated:
        return None
    session = selectors.ama_session_list(actor=ctx.actor).filter(starts_at__gte=ctx.now).order_by("starts_at").first()
    data = {"session": None, "questions": []}
    if session is not None:
        published = selectors.ama_question_list(actor=ctx.actor, session=session, status="published")
        data = {
            "session": {"title": session.title, "starts_at": session.starts_at, "url": session.get_absolute_url(),
                        "published": session.published_count},
            "questions": [{"text": Truncator(q.body).chars(160), "votes": q.vote_count, "answered": bool(q.answer)}
                          for q in published[:5]],
        }
    return Panel("ama", "Next Security AMA", data, reverse("security:ama-list"), "AMAs")


def tech_monthly(ctx: PanelContext) -> Panel | None:
    """The next session of a recurring series (the Tech Monthly) and its talks."""
    from apps.knowledge import selectors

    if not ctx.actor.is_authenticated:
        return None
    session = selectors.session_list(actor=ctx.actor, when="upcoming", include_cancelled=False) \
        .filter(series__isnull=False, starts_at__gte=ctx.now).first()
    data = {"session": None, "talks": []}
    if session is not None:
        data = {
            "session": {"title": session.title, "starts_at": session.starts_at, "url": session.get_absolute_url(),
                        "series": session.series.name, "booked_minutes": session.booked_minutes,
                        "duration_minutes": session.duration_minutes},
            "talks": [{"title": t.title, "track": t.get_track_display(), "minutes": t.duration_minutes,
                       "speakers": [p.full_name for p in t.speakers.all()], "url": t.get_absolute_url()}
                      for t in selectors.session_agenda(session=session)],
        }
    return Panel("tech_monthly", "Next Tech Monthly", data, reverse("knowledge:session-list"), "Sessions")


def trainings_due(ctx: PanelContext) -> Panel | None:
    from apps.security import selectors
    from apps.security.models import TrainingStatus

    if ctx.actor.person is None:
        return None
    statuses = selectors.my_training_statuses(actor=ctx.actor).exclude(state=TrainingStatus.State.COMPLETE) \
        .order_by("due_on", "pk")[:8]
    return Panel("trainings_due", "Your security trainings", {"items": [
        {"title": s.training.title, "due_on": s.due_on, "state": s.get_state_display(),
         "overdue": s.state == TrainingStatus.State.OVERDUE, "url": s.training.get_absolute_url()}
        for s in statuses]}, reverse("security:training-list"), "Trainings")


def bulletins(ctx: PanelContext) -> Panel | None:
    from apps.security import selectors

    if ctx.actor.person is None:
        return None
    items = [{"title": b.title, "severity": b.get_severity_display(), "due_date": b.due_date,
              "url": b.get_absolute_url()} for b in selectors.bulletins_to_acknowledge(actor=ctx.actor)[:8]]
    return Panel("bulletins", "Bulletins to acknowledge", {"items": items},
                 reverse("security:bulletin-list"), "Bulletins")


def talks(ctx: PanelContext) -> Panel | None:
    from apps.knowledge import selectors

    if not ctx.actor.is_authenticated:
        return None
    sessions = selectors.session_list(actor=ctx.actor, when="upcoming", include_cancelled=False)[:3]
    return Panel("talks", "Upcoming talks", {"sessions": [
        {"title": s.title, "starts_at": s.starts_at, "talk_count": s.talk_count, "url": s.get_absolute_url()}
        for s in sessions]}, reverse("knowledge:session-list"), "Sessions")

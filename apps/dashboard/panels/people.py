"""People panels: an EM's reports and where their reviews stand."""
from __future__ import annotations

from django.urls import reverse

from apps.dashboard.panels import Panel, PanelContext


def team_reviews(ctx: PanelContext) -> Panel | None:
    """Review status (self review in, manager review in, acknowledged) of the actor's reports in
    the open cycles. Status only, never content; still a read of review records, so it is
    access-logged like the cycle page (one bulk insert)."""
    from apps.reviews import selectors
    from apps.reviews.models import ReviewCycle

    actor = ctx.actor
    if actor.person is None or actor.is_service or not actor.report_ids:
        return None
    S = ReviewCycle.Stage
    reviews = list(
        selectors.review_list(actor=actor)
        .filter(cycle__stage__in=[S.SELF_REVIEW, S.MANAGER_REVIEW, S.CALIBRATION, S.SHARED],
                subject_id__in=sorted(actor.report_ids))
        .order_by("cycle__self_review_due", "subject__full_name", "pk")[:25]
    )
    selectors.log_reads(actor=actor, request=ctx.request, object_type="reviews.review-status",
                        items=[(r.pk, r.subject) for r in reviews])
    items = [{"person": r.subject.full_name, "cycle": r.cycle.name, "stage": r.cycle.get_stage_display(),
              "due": r.cycle.due_for_stage(), "self_submitted": r.self_submitted_at is not None,
              "manager_submitted": r.manager_submitted_at is not None, "you_write": r.reviewer_id == actor.person_id,
              "acknowledged": r.acknowledged_at is not None,
              "url": reverse("reviews:review-detail", args=[r.pk])} for r in reviews]
    return Panel("team_reviews", "Your reports' reviews", {
        "items": items,
        "to_write": sum(1 for i in items if i["you_write"] and not i["manager_submitted"]),
    }, reverse("reviews:home"), "Reviews")

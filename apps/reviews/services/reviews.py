"""One review: the self assessment, the manager assessment, calibration and the subject's
acknowledgement."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from apps.core.access import Actor
from apps.core.roles import Role
from apps.reviews.models import (
    CalibrationChange,
    Review,
)
from apps.reviews.services._common import Stage, _require_can_view, _score
from apps.reviews.services.templates import weighted_rating

CALIBRATED = "Adjusted in calibration."


# -- reviews ----------------------------------------------------------------------------------------
def _save_scores(review: Review, scores: dict, attr: str) -> None:
    if not scores:
        return
    by_criterion = {s.criterion_id: s for s in review.scores.all()}
    for key, value in scores.items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"scores": f"Unknown criterion {key!r}."}) from None
        if cid not in by_criterion:
            raise ValidationError({"scores": f"Criterion {key!r} is not in this cycle's template."})
        setattr(by_criterion[cid], attr, _score(value, "scores"))
    for s in by_criterion.values():
        s.save(update_fields=[attr])


def _recompute(review: Review) -> None:
    pairs = [(s.criterion.weight, s.manager_score) for s in review.scores.select_related("criterion")]
    review.derived_rating = weighted_rating(pairs)


@transaction.atomic
def review_self_save(*, actor: Actor, review: Review, self_assessment: str = "", scores: dict | None = None,
                     submit: bool = False) -> Review:
    """The subject writes their self assessment, during the self-review stage only."""
    if actor.person_id is None or review.subject_id != actor.person_id:
        raise PermissionDenied("Only the person reviewed writes the self assessment.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.SELF_REVIEW:
        raise ValidationError({"stage": "Self assessments are written during the self-review stage."})
    if review.self_submitted_at:
        raise ValidationError({"self_assessment": "You already submitted your self assessment."})
    _save_scores(review, scores or {}, "self_score")
    review.self_assessment = self_assessment or ""
    if submit:
        if not review.self_assessment.strip():
            raise ValidationError({"self_assessment": "Write your self assessment before submitting."})
        review.self_submitted_at = timezone.now()
    review.save()
    return review


def _is_reviewer(actor: Actor, review: Review) -> bool:
    if actor.is_cto and not actor.is_service:
        return True
    return actor.person_id is not None and actor.person_id == review.reviewer_id and \
        actor.can_view_sensitive_person_data(review.subject_id) and actor.person_id != review.subject_id


@transaction.atomic
def review_manager_save(
    *, actor: Actor, review: Review, manager_assessment: str = "", scores: dict | None = None,
    override_rating: int | None = None, override_reason: str = "", potential: str = "",
    promotion_recommended: bool = False, promotion_note: str = "", submit: bool = False,
) -> Review:
    """The reviewer (the manager when the cycle opened, if still in the chain) or the CTO
    writes the manager assessment during the manager-review stage. The overall rating derives
    from the weighted scores unless overridden with a reason."""
    _require_can_view(actor, review.subject_id)
    if not _is_reviewer(actor, review):
        raise PermissionDenied("Only the reviewer writes the manager assessment.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.MANAGER_REVIEW:
        raise ValidationError({"stage": "Manager assessments are written during the manager-review stage."})
    override = _score(override_rating, "override_rating")
    if override is not None and not (override_reason or "").strip():
        raise ValidationError({"override_reason": "Give a reason for overriding the derived rating."})
    if potential and potential not in Review.Potential.values:
        raise ValidationError({"potential": "Choose low, medium or high."})
    _save_scores(review, scores or {}, "manager_score")
    review.manager_assessment = manager_assessment or ""
    review.override_rating = override
    review.override_reason = (override_reason or "").strip() if override is not None else ""
    review.potential = potential or ""
    review.promotion_recommended = bool(promotion_recommended)
    review.promotion_note = promotion_note or ""
    _recompute(review)
    if submit:
        if not review.manager_assessment.strip():
            raise ValidationError({"manager_assessment": "Write the assessment before submitting."})
        if review.scores.filter(manager_score__isnull=True).exists():
            raise ValidationError({"scores": "Score every criterion before submitting."})
        review.manager_submitted_at = timezone.now()
    review.save()
    return review


@transaction.atomic
def review_calibrate(*, actor: Actor, review: Review, rating: int | None = None, potential: str | None = None,
                     reason: str) -> Review:
    """A change made in calibration (CTO, HR, or an EM for their chain), recorded with its reason."""
    _require_can_view(actor, review.subject_id)
    if actor.is_service or not actor.has_role(Role.CTO, Role.HR, Role.EM) or actor.person_id == review.subject_id:
        raise PermissionDenied("Only the CTO, HR and the EMs of the chain calibrate.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if review.cycle.stage != Stage.CALIBRATION:
        raise ValidationError({"stage": "Ratings change in the calibration stage only."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the rating changes in calibration."})
    new_rating = _score(rating, "rating")
    if potential not in (None, "") and potential not in Review.Potential.values:
        raise ValidationError({"potential": "Choose low, medium or high."})
    changes = []
    if new_rating is not None and new_rating != review.final_rating:
        changes.append(("rating", review.final_rating, new_rating))
        review.override_rating = new_rating
        # The reason itself stays in CalibrationChange (calibrators only): the subject sees
        # that the rating was calibrated, not what was said about them in the room.
        review.override_reason = CALIBRATED
    if potential and potential != review.potential:
        changes.append(("potential", review.potential, potential))
        review.potential = potential
    if not changes:
        raise ValidationError({"rating": "Nothing changes: pick a different rating or potential."})
    review.save()
    CalibrationChange.objects.bulk_create([
        CalibrationChange(review=review, changed_by=actor.user, field=f, old_value="" if o is None else str(o),
                          new_value=str(n), reason=reason) for f, o, n in changes
    ])
    return review


@transaction.atomic
def review_acknowledge(*, actor: Actor, review: Review, comment: str = "") -> Review:
    if actor.person_id is None or review.subject_id != actor.person_id:
        raise PermissionDenied("Only the person reviewed acknowledges their review.")
    review = Review.objects.select_for_update().select_related("cycle").get(pk=review.pk)
    if not review.cycle.is_shared:
        raise Http404("No review matches the given query.")  # unshared: it does not exist for them
    if review.acknowledged_at:
        raise ValidationError({"acknowledged_at": "You already acknowledged this review."})
    review.acknowledged_at = timezone.now()
    review.acknowledgement_comment = comment or ""
    review.save(update_fields=["acknowledged_at", "acknowledgement_comment", "updated_at"])
    return review

"""Review templates (weighted criteria) and the weighted rating they give."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.access import Actor
from apps.reviews.models import (
    Criterion,
    ReviewTemplate,
)
from apps.reviews.services._common import _require_admin

# -- templates --------------------------------------------------------------------------------------
MAX_WEIGHT = Decimal("999.99")  # Criterion.weight is numeric(5, 2)
CRITERION_NAME_MAX = 120


@transaction.atomic
def review_template_create(*, actor: Actor, name: str, criteria: list[dict], description: str = "") -> ReviewTemplate:
    """``criteria``: [{"name": ..., "weight": Decimal, "description": ...}, ...]."""
    _require_admin(actor)
    if not (name or "").strip():
        raise ValidationError({"name": "Give the template a name."})
    if ReviewTemplate.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": "A template with this name exists already."})
    if not criteria:
        raise ValidationError({"criteria": "A template needs at least one criterion."})
    seen: set[str] = set()
    for c in criteria:
        try:
            weight = Decimal(str(c.get("weight")))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} is not a number."}) from None
        if not weight.is_finite() or weight <= 0:
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} must be greater than zero."})
        if weight > MAX_WEIGHT or weight != weight.quantize(Decimal("0.01")):
            raise ValidationError({"criteria": f"The weight of {c.get('name')!r} is at most {MAX_WEIGHT} "
                                               "with two decimals."})
        key = (c.get("name") or "").strip().lower()
        if not key or key in seen:
            raise ValidationError({"criteria": "Every criterion needs a distinct name."})
        if len(c["name"].strip()) > CRITERION_NAME_MAX:
            raise ValidationError({"criteria": f"A criterion name has at most {CRITERION_NAME_MAX} characters: "
                                               f"{c['name'].strip()[:40]!r}…"})
        seen.add(key)
    template = ReviewTemplate.objects.create(name=name.strip(), description=description)
    for i, c in enumerate(criteria):
        Criterion.objects.create(template=template, name=c["name"].strip(), weight=Decimal(str(c["weight"])),
                                 description=c.get("description", ""), position=i)
    return template


def weighted_rating(pairs: list[tuple[Decimal, int | None]]) -> Decimal | None:
    """Sum(weight x score) / sum(weight) over the scored criteria, to two decimals; None when
    nothing is scored."""
    scored = [(w, s) for w, s in pairs if s is not None]
    total = sum((w for w, _ in scored), Decimal(0))
    if not scored or not total:
        return None
    value = sum((w * s for w, s in scored), Decimal(0)) / total
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

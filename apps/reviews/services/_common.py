"""The checks every reviews service module shares: who may act, and clean money, currency and
score input."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps.core.access import Actor
from apps.core.roles import Role
from apps.reviews.models import ReviewCycle
from apps.reviews.policy import CURRENCIES

Stage = ReviewCycle.Stage
MAX_SALARY = Decimal("9999999999.99")


# -- checks ---------------------------------------------------------------------------------------
def _require_admin(actor: Actor) -> None:
    """Cycles, templates, bands and pay records: the CTO and HR."""
    if actor.is_service or not actor.has_role(Role.CTO, Role.HR):
        raise PermissionDenied("Only the CTO and HR may do this.")


def _require_cto(actor: Actor) -> None:
    if actor.is_service or not actor.is_cto:
        raise PermissionDenied("Only the CTO may do this.")


def _require_can_view(actor: Actor, person_id: int) -> None:
    if not actor.can_view_sensitive_person_data(person_id):
        raise Http404("Not found.")


def _money(value, field: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter an amount such as 55000.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Enter an amount such as 55000.00."})
    if amount <= 0:
        raise ValidationError({field: "The amount must be greater than zero."})
    if amount > MAX_SALARY:
        raise ValidationError({field: "The amount is too large."})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _currency(value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationError({field: f"Unknown currency {value!r}: use an ISO 4217 code such as EUR or USD."})
    return code


def _score(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "A score is a whole number from 1 to 5."}) from None
    if not 1 <= score <= 5:
        raise ValidationError({field: "A score is a whole number from 1 to 5."})
    return score

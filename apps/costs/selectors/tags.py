"""Cost by tag: what the resources carrying a cost tag cost (read by initiatives)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from apps.costs.models import CostTagEntry


def parse_cost_tag(tag: str | None) -> tuple[str, str] | None:
    """``"initiative=invoice-ocr"`` -> ("initiative", "invoice-ocr"); a bare value is read under
    ``settings.COST_TAG_DEFAULT_KEY``. Keys and values compare lower-cased (as they are stored);
    AWS's ``user:`` key prefix is dropped. None for an empty tag."""
    tag = (tag or "").strip()
    if not tag:
        return None
    key, sep, value = tag.partition("=")
    if not sep:
        key, value = settings.COST_TAG_DEFAULT_KEY, tag
    key = key.strip().lower()
    key = key[5:] if key.startswith("user:") else key
    value = value.strip().lower()
    if not key or not value:
        return None
    return key[:128], value[:256]


def cost_by_tag(*, tag: str, start: date, end: date) -> list[tuple[str, Decimal]] | None:
    """What resources tagged ``tag`` (``key=value`` or a bare value) cost from ``start`` to ``end``
    (inclusive): billed cost per currency, from the cost tag dimension (file imports and the Cost
    Explorer pull). None when no cost fact carries the tag in that range — "no cost data", never
    an invented zero. Not scoped to a user: callers show it where the tag's owner is visible."""
    parsed = parse_cost_tag(tag)
    if parsed is None:
        return None
    key, value = parsed
    rows = (
        CostTagEntry.objects.filter(tag_key=key, tag_value=value, date__gte=start, date__lte=end).order_by()
        .values("currency").annotate(total=Sum("cost")).order_by("currency")
    )
    out = [(row["currency"], row["total"]) for row in rows]
    return out or None

"""Money across currencies: the FX table, sums of amounts in several currencies, and rounding
to the cent so that the parts add up to the total."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings

from apps.costs.models import FxRate

CENT = Decimal("0.01")


class FxTable:
    """Rates to the reporting currency, loaded once (one query) per request or job."""

    def __init__(self) -> None:
        self.reporting = settings.REPORTING_CURRENCY
        self._loaded: dict[str, tuple[list[date], list[Decimal]]] | None = None

    @property
    def _rates(self) -> dict[str, tuple[list[date], list[Decimal]]]:
        """Read on first use, so building a table costs nothing until a rate is needed (and
        the API schema can be generated without a database)."""
        if self._loaded is None:
            rows: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
            for currency, valid_from, rate in FxRate.objects.order_by("currency", "valid_from").values_list(
                "currency", "valid_from", "rate"
            ):
                rows[currency].append((valid_from, rate))
            self._loaded = {c: ([d for d, _ in pairs], [r for _, r in pairs]) for c, pairs in rows.items()}
        return self._loaded

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        entry = self._rates.get(currency)
        if not entry:
            return None
        i = bisect_right(entry[0], day)
        # Before the first known rate: use the earliest one rather than dropping the cost.
        return entry[1][max(i - 1, 0)]

    def has_rate(self, currency: str) -> bool:
        return currency == self.reporting or currency in self._rates

    def to_reporting(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else amount * rate

    def from_reporting(self, amount: Decimal, currency: str, day: date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else amount / rate


@dataclass
class MoneyTotal:
    """A sum of amounts in several currencies: ``amount`` is everything the FX table converts to
    ``currency`` (the reporting currency); what it cannot convert stays per currency in
    ``unconverted`` — shown apart, never added in as if it were the reporting currency, never
    dropped."""

    currency: str
    amount: Decimal
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unconverted


def money_total(items: Iterable[tuple[Decimal, str]], *, day: date, fx: FxTable | None = None) -> MoneyTotal:
    """Add (amount, currency) pairs through the FX table (rates of ``day``), to the cent."""
    fx = fx or FxTable()
    total = Decimal("0")
    unconverted: dict[str, Decimal] = {}
    for amount, currency in items:
        converted = fx.to_reporting(amount, currency, day)
        if converted is None:
            unconverted[currency] = unconverted.get(currency, Decimal("0")) + amount
        else:
            total += converted
    return MoneyTotal(currency=fx.reporting, amount=total.quantize(CENT),
                      unconverted={c: unconverted[c].quantize(CENT) for c in sorted(unconverted)})


def round_to_total(values: dict[Hashable, Decimal], total: Decimal | None = None) -> dict[Hashable, Decimal]:
    """Cents that add up: each value rounded down or up to the cent (so never a cent or more from
    its exact value) such that together they make ``total`` (default: their exact sum, rounded
    once). The values with the largest remainders get the spare cents — "largest remainder"
    rounding, the way a finance report makes its lines add up to its total."""
    if total is None:
        total = sum(values.values(), Decimal("0")).quantize(CENT)
    floors = {k: v.quantize(CENT, rounding=ROUND_FLOOR) for k, v in values.items()}
    spare = int((total - sum(floors.values(), Decimal("0"))) / CENT)
    spare = max(0, min(spare, len(floors)))
    # Stable sort: equal remainders keep the given order, so the result is deterministic.
    for key in sorted(values, key=lambda k: values[k] - floors[k], reverse=True)[:spare]:
        floors[key] += CENT
    return floors

"""Print the totals a backup must preserve, as JSON: rows per model, money sums per currency,
and the sums of encrypted amounts (decrypted with FIELD_ENCRYPTION_KEY).

Run it on the source and on a restored copy and compare (README, "Backup and restore"). It
exits non-zero when encrypted amounts cannot be read — a restore without the right key.
"""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models import Sum


def _portal_models():
    for model in apps.get_models():
        if model.__module__.startswith("apps.") or model._meta.label == "auth.User":
            yield model


def collect_totals() -> dict:
    """Rows per model, plain Decimal sums (per currency when the model has one) and
    decrypted sums of fields marked ``encrypted_at_rest``."""
    rows: dict[str, int] = {}
    money: dict[str, dict[str, str]] = {}
    encrypted: dict[str, dict[str, str]] = {}
    for model in _portal_models():
        label = model._meta.label
        manager = model._base_manager
        rows[label] = manager.count()
        field_names = {f.name for f in model._meta.concrete_fields}
        has_currency = "currency" in field_names
        for field in model._meta.concrete_fields:
            key = f"{label}.{field.name}"
            if getattr(field, "encrypted_at_rest", False):
                sums: dict[str, Decimal] = defaultdict(Decimal)
                columns = [field.name, "currency"] if has_currency else [field.name]
                try:
                    for values in manager.values_list(*columns).iterator(chunk_size=2000):
                        if values[0] is not None:
                            sums[values[1] if has_currency else ""] += values[0]
                except ImproperlyConfigured as exc:
                    raise CommandError(f"{key}: {exc}") from exc
                encrypted[key] = {c: str(v) for c, v in sorted(sums.items())}
            elif isinstance(field, models.DecimalField):
                if has_currency:
                    qs = manager.values("currency").annotate(total=Sum(field.name)).order_by("currency")
                    money[key] = {r["currency"]: str(r["total"] or 0) for r in qs}
                else:
                    money[key] = {"": str(manager.aggregate(total=Sum(field.name))["total"] or 0)}
    return {"rows": rows, "money": money, "encrypted": encrypted}


class Command(BaseCommand):
    help = "Print rows per model and money totals (encrypted amounts decrypted) as JSON, to compare a restore."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(collect_totals(), indent=1, sort_keys=True))

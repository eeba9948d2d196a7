"""``EncryptedDecimalField``: a Decimal in Python, a Fernet token in the database.

The column is text holding ``Fernet(key).encrypt(str(amount))``, so a database dump does
not reveal pay. Consequences, on purpose: the database cannot sort, sum or filter on these
amounts; selectors do that in Python after the access check.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

from apps.reviews.crypto import decrypt_decimal, encrypt_decimal

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with version byte 0x80


class EncryptedDecimalField(models.TextField):
    description = "A decimal amount, encrypted at rest"
    encrypted_at_rest = True  # read by core's backup_totals to prove a restore is readable

    def __init__(self, *args, max_digits: int = 12, decimal_places: int = 2, **kwargs):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["max_digits"] = self.max_digits
        kwargs["decimal_places"] = self.decimal_places
        return name, path, args, kwargs

    def _quantize(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.decimal_places))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt_decimal(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, (int, float)):
            return Decimal(str(value))
        if isinstance(value, str) and value.startswith(FERNET_PREFIX):
            return decrypt_decimal(value)  # a token from a fixture / dumpdata
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValidationError("Enter a number.", code="invalid") from None

    def get_prep_value(self, value):
        value = self.to_python(value)
        if value is None:
            return None
        return encrypt_decimal(self._quantize(value))

    def value_to_string(self, obj):  # dumpdata: write a token, never the clear amount
        value = self.value_from_object(obj)
        return "" if value is None else encrypt_decimal(self._quantize(value))

    def formfield(self, **kwargs):
        from django import forms

        return forms.DecimalField(max_digits=self.max_digits, decimal_places=self.decimal_places, **kwargs)

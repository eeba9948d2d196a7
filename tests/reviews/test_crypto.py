"""Salary amounts are encrypted at rest; the key can be rotated."""
from __future__ import annotations

from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from apps.core.crypto import derive_dev_key
from apps.reviews.crypto import decrypt_decimal, encrypt_decimal
from apps.reviews.models import CompensationRecord, RaiseProposal
from tests.reviews.scenario import ENG_SALARY


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_stored_salary_column_does_not_hold_the_amount(world, sc):
    raw = _raw("reviews_compensationrecord", "base_salary", sc.record.pk)
    assert raw.startswith("gAAAAA")
    for plain in ("61234.56", "61234", "61,234"):
        assert plain not in raw
    assert decrypt_decimal(raw) == ENG_SALARY
    assert CompensationRecord.objects.get(pk=sc.record.pk).base_salary == ENG_SALARY


def test_raise_amounts_are_encrypted_too(world, sc):
    for column, plain in (("current_salary", "61234"), ("proposed_salary", "63500")):
        raw = _raw("reviews_raiseproposal", column, sc.proposal.pk)
        assert raw.startswith("gAAAAA") and plain not in raw
    p = RaiseProposal.objects.get(pk=sc.proposal.pk)
    assert (p.current_salary, p.proposed_salary) == (ENG_SALARY, Decimal("63500.00"))


def test_the_same_amount_encrypts_differently_each_time():
    assert encrypt_decimal(Decimal("100.00")) != encrypt_decimal(Decimal("100.00"))


def test_without_a_configured_key_a_dev_key_is_derived_from_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    token = encrypt_decimal(Decimal("5.00"))
    assert Fernet(derive_dev_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"5.00"
    assert derive_dev_key("a") != derive_dev_key("b")


def test_a_wrong_key_fails_clearly(settings):
    token = encrypt_decimal(Decimal("5.00"))
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="does not hold the key"):
        decrypt_decimal(token)


def test_a_malformed_key_fails_clearly(settings):
    settings.FIELD_ENCRYPTION_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        encrypt_decimal(Decimal("1"))


def test_key_rotation_reencrypts_every_amount(world, sc, settings):
    old = derive_dev_key(settings.SECRET_KEY).decode()  # tests run with no FIELD_ENCRYPTION_KEY
    new = Fernet.generate_key().decode()
    before = _raw("reviews_compensationrecord", "base_salary", sc.record.pk)
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert CompensationRecord.objects.get(pk=sc.record.pk).base_salary == ENG_SALARY  # old key still reads
    call_command("rotate_salary_key", stdout=open("/dev/null", "w"))
    after = _raw("reviews_compensationrecord", "base_salary", sc.record.pk)
    assert after != before
    assert Fernet(new.encode()).decrypt(after.encode()) == b"61234.56"
    settings.FIELD_ENCRYPTION_KEY = new  # the old key is gone: everything still reads
    assert sorted(str(r.base_salary) for r in CompensationRecord.objects.filter(person=world.engineer)) == ["61234.56"]
    p = RaiseProposal.objects.get(pk=sc.proposal.pk)
    assert p.proposed_salary == Decimal("63500.00")

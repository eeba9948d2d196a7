"""TOTP secrets are sealed at rest with the FIELD_ENCRYPTION_KEY keys (apps.accounts.sealing)."""
from __future__ import annotations

import base64
import importlib
from binascii import unhexlify

import pytest
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import sealing, services
from apps.accounts.models import SealedTOTPDevice
from apps.accounts.selectors import totp_device_get
from tests.accounts.mfa import code_for, enrol, fresh_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
KEY = "00112233445566778899aabbccddeeff01234567"


def test_a_sealed_secret_opens_only_for_its_user_and_holds_no_trace_of_the_secret():
    sealed = sealing.seal(KEY, user_id=7)
    assert sealed.startswith("sealed1:") and len(sealed) <= sealing.KEY_COLUMN_LENGTH
    b32 = base64.b32encode(unhexlify(KEY)).decode()
    assert KEY not in sealed and b32[:16] not in sealed
    assert sealing.open_sealed(sealed, user_id=7) == KEY
    assert sealing.seal(KEY, user_id=7) != sealed  # a fresh nonce each time
    with pytest.raises(ImproperlyConfigured):
        sealing.open_sealed(sealed, user_id=8)  # copied onto another user's row: does not open


def test_the_stored_key_is_sealed_and_only_the_sealed_device_reads_it():
    user = UserFactory()
    key, _ = enrol(user)
    stored = TOTPDevice.objects.get(user=user)
    assert stored.key.startswith("sealed1:") and key not in stored.key
    # django-otp's own device cannot use the column: it fails instead of checking against garbage.
    with pytest.raises(ValueError):
        stored.verify_token(code_for(key))
    device = totp_device_get(user=user)
    assert isinstance(device, SealedTOTPDevice)
    assert device.verify_token(fresh_code(user))


def test_rotation_reseals_with_the_new_key_and_the_old_key_can_then_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    user = UserFactory()
    key, _ = enrol(user)
    sealed_with_old = TOTPDevice.objects.get(user=user).key

    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert totp_device_get(user=user).verify_token(fresh_code(user))  # the old key still opens it
    call_command("rotate_salary_key", stdout=open("/dev/null", "w"))  # noqa: SIM115 - discarded output
    resealed = TOTPDevice.objects.get(user=user).key
    assert resealed != sealed_with_old

    settings.FIELD_ENCRYPTION_KEY = new
    assert sealing.open_sealed(resealed, user_id=user.pk) == key
    assert totp_device_get(user=user).verify_token(fresh_code(user))
    with pytest.raises(ImproperlyConfigured):
        sealing.open_sealed(sealed_with_old, user_id=user.pk)


def test_the_migration_seals_secrets_stored_in_clear_and_unapplying_opens_them():
    user = UserFactory()
    TOTPDevice.objects.create(user=user, key=KEY, name="from before", confirmed=True)
    migration = importlib.import_module("apps.accounts.migrations.0002_sealed_totp_secrets")

    migration.seal_secrets(django_apps, None)
    migration.seal_secrets(django_apps, None)  # twice: an already sealed secret is left alone
    sealed = TOTPDevice.objects.get(user=user).key
    assert sealing.open_sealed(sealed, user_id=user.pk) == KEY

    migration.open_secrets(django_apps, None)
    assert TOTPDevice.objects.get(user=user).key == KEY


def test_reseal_also_seals_a_secret_left_in_clear():
    user = UserFactory()
    TOTPDevice.objects.create(user=user, key=KEY, name="from before", confirmed=True)
    assert services.totp_secrets_reseal() == 1
    assert sealing.open_sealed(TOTPDevice.objects.get(user=user).key, user_id=user.pk) == KEY

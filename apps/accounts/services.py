"""Writes for sign-in: enrolling a TOTP authenticator, checking a second factor, recovery codes,
and the CTO's reset of another user's two-factor."""
from __future__ import annotations

import base64
import secrets
import time
from binascii import unhexlify

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from apps.accounts import sealing
from apps.accounts.models import RecoveryCode, SealedTOTPDevice
from apps.accounts.selectors import totp_device_get
from apps.core import services as core_services
from apps.core.access import get_actor

RECOVERY_CODE_COUNT = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper without doubt


def totp_secret_new() -> str:
    """A new 160-bit TOTP secret (hex, django-otp's storage form). Not stored until confirmed."""
    return random_hex(20)


def totp_provisioning(*, user, key_hex: str) -> dict[str, str]:
    """What an enrolment page shows: the base32 secret, the otpauth:// URI and a QR code as an
    SVG ``data:`` URI for an <img> (rendered here, on the server: no script, no CDN, no markup
    marked safe)."""
    device = TOTPDevice(user=user, key=key_hex, name="authenticator")  # unsaved: only builds the URI
    uri = device.config_url
    qr = segno.make(uri, error="m")
    secret = base64.b32encode(unhexlify(key_hex)).decode().rstrip("=")
    return {"uri": uri, "secret": secret, "qr_data_uri": qr.svg_data_uri(scale=4, dark="#000", light="#fff")}


def _totp_matching_step(key_hex: str, code: str) -> int | None:
    """The time step (now, or one either side for clock skew) whose code is ``code``."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6, drift=0)
    now = time.time()
    for offset in (0, -1, 1):
        totp.time = now + offset * 30
        if totp.token() == int(code):
            return totp.t()
    return None


def _recovery_code_new() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes with fresh ones; returns the clear codes (show once)."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=RecoveryCode.hash_code(user.pk, code)) for code in codes])
    return codes


@transaction.atomic
def mfa_enrol(*, user, key_hex: str, code: str) -> list[str]:
    """Confirm an authenticator with its first code: store the device, issue recovery codes.

    Raises ValidationError for a wrong code, or when the user already has an authenticator
    (a reset by the CTO comes first)."""
    if totp_device_get(user=user) is not None:
        raise ValidationError("Two-factor is already set up for this account.")
    step = _totp_matching_step(key_hex, code)
    if step is None:
        raise ValidationError("That code does not match. Check the time on your phone and try the next code.")
    TOTPDevice.objects.filter(user=user).delete()  # leftovers of an unfinished enrolment
    # The enrolment code counts as used (last_t): it cannot be replayed at the next sign-in.
    SealedTOTPDevice.create_sealed(user=user, key_hex=key_hex, name="authenticator", confirmed=True, last_t=step)
    return recovery_codes_regenerate(user=user)


def mfa_verify(*, user, code: str) -> str:
    """Check a second factor: a 6-digit TOTP code, or an unused recovery code (used up here).

    Returns ``"totp"`` or ``"recovery"``; raises ValidationError otherwise. The TOTP device also
    throttles itself (django-otp: a growing wait after each wrong code) and refuses a replayed code."""
    code = (code or "").strip()
    device = totp_device_get(user=user)
    if device is None:
        raise ValidationError("Two-factor is not set up for this account.")
    digits = code.replace(" ", "")
    if digits.isdigit() and len(digits) == 6:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            raise ValidationError("Too many wrong codes: wait a little before the next try.")
        if device.verify_token(digits):
            return "totp"
        raise ValidationError("That code is not valid (or was already used).")
    if len(RecoveryCode.normalise(code)) == 10:
        used = RecoveryCode.objects.filter(
            user=user, code_hash=RecoveryCode.hash_code(user.pk, code), used_at__isnull=True,
        ).update(used_at=timezone.now())  # one conditional update: a code works exactly once
        if used == 1:
            return "recovery"
    raise ValidationError("That code is not valid (or was already used).")


@transaction.atomic
def mfa_reset(*, by, user, request=None) -> int:
    """The CTO removes a user's authenticator and recovery codes (lost phone). The user enrols
    again at the next sign-in. Written to the access log. Returns the number of devices removed."""
    if not get_actor(by).is_cto:
        raise PermissionDenied("Only the CTO may reset another user's two-factor.")
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    person = getattr(user, "person", None)
    core_services.access_log_record(user=by, action="mfa-reset", object_type="user", object_id=user.pk,
                                    subject=person if person is not None else user.get_username(), request=request)
    return removed


@transaction.atomic
def totp_secrets_reseal() -> int:
    """Seal every stored TOTP secret with the primary FIELD_ENCRYPTION_KEY (after a new key was
    put first; also seals any secret still in clear hex). Returns the devices rewritten."""
    n = 0
    for device in TOTPDevice.objects.select_for_update().order_by("pk"):
        TOTPDevice.objects.filter(pk=device.pk).update(key=sealing.reseal(device.key, user_id=device.user_id))
        n += 1
    return n

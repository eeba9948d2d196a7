"""Test helpers for two-factor sign-in: compute TOTP codes from a secret, as an authenticator app does."""
from __future__ import annotations

import base64
import time
from binascii import unhexlify

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import sealing, services


def code_for(key_hex: str, *, at: float | None = None) -> str:
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def key_from_base32(secret: str) -> str:
    padded = secret + "=" * (-len(secret) % 8)
    return base64.b32decode(padded).hex()


def enrol(user) -> tuple[str, list[str]]:
    """Give ``user`` a confirmed authenticator through the real service; returns (key, recovery codes)."""
    key = services.totp_secret_new()
    codes = services.mfa_enrol(user=user, key_hex=key, code=code_for(key))
    return key, codes


def fresh_code(user) -> str:
    """A code the user's device accepts now: codes of an already used time step are refused
    (replay), so take the next step's code, which the ±1 step tolerance accepts."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    device.refresh_from_db()
    now = time.time()
    step_now = int(now // 30)
    at = now if device.last_t < step_now else now + 30 * (device.last_t - step_now + 1)
    return code_for(sealing.open_sealed(device.key, user_id=user.pk), at=at)

"""TOTP secrets sealed at rest.

django-otp keeps a device's secret as hex in ``otp_totp_totpdevice.key``; a copy of the
database (a backup, a restored dump on a laptop) would then hold every second factor in clear.
The portal stores ``sealed1:`` + url-safe base64 of ``nonce || AES-256-GCM(secret)`` instead,
bound to the user id as associated data (a sealed secret copied onto another user's row does
not open). The AES key is derived with HKDF-SHA256 from each FIELD_ENCRYPTION_KEY key — the
same keys, and the same rotation, as the salary amounts: the first key seals, every key opens,
and ``manage.py rotate_salary_key`` re-seals with the first.

The sealed form is not hex, so code that reads the column as django-otp does (``bin_key``
of a plain TOTPDevice) fails instead of using it: only :class:`apps.accounts.models.SealedTOTPDevice`
opens it. 20-byte secrets seal to 72 characters (the column holds 80)."""
from __future__ import annotations

import base64
import binascii
import os
from binascii import hexlify, unhexlify

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from apps.core.crypto import field_keys

PREFIX = "sealed1:"
_INFO = b"cto-portal/accounts/totp-secret/v1"
KEY_COLUMN_LENGTH = 80


def _aead(field_key: bytes) -> AESGCM:
    raw = base64.urlsafe_b64decode(field_key)
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw))


def _aad(user_id: int) -> bytes:
    return f"totp-secret:user:{user_id}".encode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(key_hex: str, *, user_id: int) -> str:
    """Seal a hex secret for ``user_id`` with the primary key."""
    nonce = os.urandom(12)
    box = _aead(field_keys()[0]).encrypt(nonce, unhexlify(key_hex), _aad(user_id))
    sealed = PREFIX + base64.urlsafe_b64encode(nonce + box).decode()
    if len(sealed) > KEY_COLUMN_LENGTH:
        raise ValueError(f"A {len(key_hex) // 2}-byte TOTP secret does not fit the column once sealed.")
    return sealed


def open_sealed(value: str, *, user_id: int) -> str:
    """The hex secret inside a sealed value (any configured key opens it)."""
    if not is_sealed(value):
        raise ValueError("Not a sealed TOTP secret.")
    try:
        blob = base64.urlsafe_b64decode(value[len(PREFIX):].encode())
    except (binascii.Error, ValueError) as exc:
        raise ValueError("A sealed TOTP secret is damaged.") from exc
    nonce, box = blob[:12], blob[12:]
    for key in field_keys():
        try:
            return hexlify(_aead(key).decrypt(nonce, box, _aad(user_id))).decode()
        except InvalidTag:
            continue
    raise ImproperlyConfigured(
        "A TOTP secret could not be opened: FIELD_ENCRYPTION_KEY does not hold the key it was sealed with "
        "(keep the old key after the new one until rotate_salary_key has run).")


def reseal(value: str, *, user_id: int) -> str:
    """The value sealed with the primary key (plain hex is sealed; used by rotation)."""
    key_hex = open_sealed(value, user_id=user_id) if is_sealed(value) else value
    return seal(key_hex, user_id=user_id)

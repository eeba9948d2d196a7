"""Field encryption for salary amounts (Fernet, from ``cryptography``).

Keys
----
``settings.FIELD_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas. The
first key encrypts; every key decrypts (``MultiFernet``), which is what makes rotation work.

When the setting is empty (DEBUG and tests only: settings refuse to start without it in
production) a *development* key is derived from ``SECRET_KEY`` with SHA-256. Such a key is
exactly as secret as SECRET_KEY and is meant for demo and test data only.

Rotation (documented in the app's README section of the report)::

    # 1. generate a new key
    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
    # 2. deploy with the NEW key first and the old one after it
    FIELD_ENCRYPTION_KEY="<new>,<old>"
    # 3. re-encrypt every stored amount with the new key (idempotent, one transaction)
    python manage.py rotate_salary_key
    # 4. deploy with FIELD_ENCRYPTION_KEY="<new>" only
"""
from __future__ import annotations

import base64
import hashlib
from decimal import Decimal, InvalidOperation

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_CONTEXT = b"cto-portal/reviews/field-encryption/dev-key/v1:"


def derive_dev_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY, for DEBUG/test only (see module docstring)."""
    digest = hashlib.sha256(DEV_KEY_CONTEXT + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def field_keys() -> list[bytes]:
    """The FIELD_ENCRYPTION_KEY keys, primary first (or the development key); also used to
    seal the TOTP secrets (apps.accounts.sealing)."""
    raw = (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "").strip()
    if not raw:
        return [derive_dev_key(settings.SECRET_KEY)]
    return [k.strip().encode() for k in raw.split(",") if k.strip()]


def get_fernet() -> MultiFernet:
    keys = field_keys()
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def encrypt_decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return get_fernet().encrypt(format(Decimal(value), "f").encode()).decode()


def decrypt_decimal(token: str | None) -> Decimal | None:
    if token is None or token == "":
        return None
    try:
        return Decimal(get_fernet().decrypt(token.encode()).decode())
    except (InvalidToken, InvalidOperation) as exc:
        raise ImproperlyConfigured(
            "A salary amount could not be decrypted: FIELD_ENCRYPTION_KEY does not hold the key it was "
            "written with (keep the old key after the new one until rotate_salary_key has run)."
        ) from exc


def rotate_token(token: str) -> str:
    """Re-encrypt a stored token with the first (primary) key."""
    return get_fernet().rotate(token.encode()).decode()

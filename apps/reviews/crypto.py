"""Field encryption for salary amounts (Fernet, from ``cryptography``).

Keys
----
``settings.FIELD_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas. The
first key encrypts; every key decrypts (``MultiFernet``), which is what makes rotation work.

When the setting is empty (DEBUG and tests only) a *development* key derived from
``SECRET_KEY`` is used (``apps.core.crypto``, shared with the sealed TOTP secrets).

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

from decimal import Decimal, InvalidOperation

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from apps.core.crypto import field_keys


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

"""The portal's field-encryption keys: ``settings.FIELD_ENCRYPTION_KEY`` holds one or more
Fernet keys separated by commas, the first one primary (it encrypts; every key decrypts, which
is what makes rotation work). Used by the salary amounts (``apps.reviews.crypto``) and the
sealed TOTP secrets (``apps.accounts.sealing``).

When the setting is empty (DEBUG and tests only: settings refuse to start without it in
production) a *development* key is derived from ``SECRET_KEY`` with SHA-256. Such a key is
exactly as secret as SECRET_KEY and is meant for demo and test data only."""
from __future__ import annotations

import base64
import hashlib

from django.conf import settings

DEV_KEY_CONTEXT = b"cto-portal/reviews/field-encryption/dev-key/v1:"


def derive_dev_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY, for DEBUG/test only (see module docstring)."""
    digest = hashlib.sha256(DEV_KEY_CONTEXT + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def field_keys() -> list[bytes]:
    """The FIELD_ENCRYPTION_KEY keys, primary first (or the development key)."""
    raw = (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "").strip()
    if not raw:
        return [derive_dev_key(settings.SECRET_KEY)]
    return [k.strip().encode() for k in raw.split(",") if k.strip()]

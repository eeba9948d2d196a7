"""Sign-in data the portal keeps beside django-otp's TOTP devices: the recovery codes.

A recovery code is stored only as a SHA-256 of the user id and the code (the clear value is
shown once, at enrolment). The codes are random 50-bit strings, so a fast hash is enough; a
slow password hash would make checking ten of them take seconds."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice


class RecoveryCode(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_user")]

    def __str__(self) -> str:
        return f"recovery code of {self.user} ({'used' if self.used_at else 'unused'})"

    @staticmethod
    def normalise(code: str) -> str:
        return "".join(ch for ch in code.upper() if ch.isalnum())

    @staticmethod
    def hash_code(user_id: int, code: str) -> str:
        return hashlib.sha256(f"{user_id}:{RecoveryCode.normalise(code)}".encode()).hexdigest()


class SealedTOTPDevice(TOTPDevice):
    """django-otp's TOTP device whose secret is sealed at rest (apps.accounts.sealing). Same
    table, same throttling and replay guard; only the secret is read differently. Every read
    and write of an authenticator in the portal goes through this proxy."""

    class Meta:
        proxy = True
        verbose_name = "two-factor authenticator"

    @property
    def bin_key(self) -> bytes:
        from binascii import unhexlify

        from apps.accounts import sealing

        return unhexlify(sealing.open_sealed(self.key, user_id=self.user_id).encode())

    @classmethod
    def create_sealed(cls, *, user, key_hex: str, **fields) -> SealedTOTPDevice:
        from apps.accounts import sealing

        return cls.objects.create(user=user, key=sealing.seal(key_hex, user_id=user.pk), **fields)

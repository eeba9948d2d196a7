"""Sign-in data the portal keeps beside django-otp's TOTP devices: the recovery codes.

A recovery code is stored only as a SHA-256 of the user id and the code (the clear value is
shown once, at enrolment). The codes are random 50-bit strings, so a fast hash is enough; a
slow password hash would make checking ten of them take seconds."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


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

"""Reads for sign-in: who owes a second factor, and with which device."""
from __future__ import annotations

from apps.accounts.models import SealedTOTPDevice
from apps.core.access import get_actor
from apps.core.roles import Role

# The roles that see salaries, reviews and the whole budget. Not a setting on purpose: turning
# it off must be a code change with a review, never an environment variable.
MFA_REQUIRED_ROLES = frozenset({Role.CTO, Role.HR, Role.FINANCE})


def mfa_required(*, user) -> bool:
    """True when the user's role (superusers without a person act as the CTO) needs TOTP."""
    return get_actor(user).role in MFA_REQUIRED_ROLES


def totp_device_get(*, user) -> SealedTOTPDevice | None:
    """The user's confirmed authenticator, if any (its secret opens only in memory)."""
    return SealedTOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def second_factor_due(*, user) -> bool:
    """After the password (or SSO) step: must this user still give a code or enrol?"""
    return mfa_required(user=user) or totp_device_get(user=user) is not None


def recovery_codes_left(*, user) -> int:
    from apps.accounts.models import RecoveryCode

    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()

"""Demo data (``manage.py seed_demo``): the demo CTO, HR and finance logins get an authenticator
with one published secret, so ``make run`` can be used at once. DEMO ONLY: the secret is in the
source code; it is set up only with DEBUG on (or in tests), never on a production start."""
from __future__ import annotations

import base64
from binascii import unhexlify

from django.conf import settings

from apps.accounts.models import SealedTOTPDevice
from apps.accounts.selectors import MFA_REQUIRED_ROLES

DEMO_TOTP_KEY_HEX = "43544f2d706f7274616c2d64656d6f2d6f6e6c7921"  # "CTO-portal-demo-only!"


def demo_secret_base32() -> str:
    return base64.b32encode(unhexlify(DEMO_TOTP_KEY_HEX)).decode().rstrip("=")


def seed_demo(*, people, teams, stdout) -> None:
    users = [p.user for p in people.values() if p.user_id and p.role in MFA_REQUIRED_ROLES]
    if not (settings.DEBUG or settings.TESTING):
        stdout.write("Two-factor: DEBUG is off, so no demo authenticator is set up; "
                     "the CTO, HR and finance logins enrol at their first sign-in.")
        return
    for user in users:
        if not SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
            SealedTOTPDevice.create_sealed(user=user, key_hex=DEMO_TOTP_KEY_HEX, name="authenticator (demo)",
                                           confirmed=True)
    names = ", ".join(sorted(u.get_username() for u in users))
    stdout.write(f"Two-factor (DEMO ONLY, published secret): {names} sign in with a TOTP code for the key "
                 f"{demo_secret_base32()} (add it to an authenticator app), or run "
                 "`python manage.py demo_totp_code` for the current code.")

"""Print the current TOTP code of the demo authenticator that ``seed_demo`` gives the demo
CTO, HR and finance logins (DEBUG only). The secret is public: it is in apps/accounts/demo.py."""
import time
from binascii import unhexlify

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from apps.accounts.demo import DEMO_TOTP_KEY_HEX, demo_secret_base32


class Command(BaseCommand):
    help = "Print the current code of the demo TOTP secret (demo data only; needs DEBUG=1)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo TOTP secret exists only in the demo (DEBUG=1).")
        totp = TOTP(unhexlify(DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6)
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"{totp.token():06d}  (valid ~{left}s more; key {demo_secret_base32()})")

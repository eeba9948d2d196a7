"""Re-encrypt every stored salary amount, and re-seal every TOTP secret, with the primary
FIELD_ENCRYPTION_KEY.

Rotation: set FIELD_ENCRYPTION_KEY="<new key>,<old key>", run this command, then drop the
old key. See apps/reviews/crypto.py."""
from django.core.management.base import BaseCommand

from apps.accounts.services import totp_secrets_reseal
from apps.reviews.services import salary_key_rotate


class Command(BaseCommand):
    help = "Re-encrypt salary amounts and TOTP secrets with the first key of FIELD_ENCRYPTION_KEY (after adding a new key)."

    def handle(self, *args, **options):
        n = salary_key_rotate()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {n} row(s) with the primary key."))
        n = totp_secrets_reseal()
        self.stdout.write(self.style.SUCCESS(f"Re-sealed {n} TOTP secret(s) with the primary key."))

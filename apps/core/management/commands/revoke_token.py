from django.core.management.base import BaseCommand, CommandError

from apps.core import services
from apps.core.models import ApiToken


class Command(BaseCommand):
    help = "Revoke API tokens by key prefix (as shown in the admin) or every token of an account."

    def add_arguments(self, parser):
        parser.add_argument("prefix", nargs="?", help="the token's key prefix, e.g. ctop_AbC123")
        parser.add_argument("--account", help="revoke every token of this service account")

    def handle(self, *args, prefix=None, account=None, **options):
        if not prefix and not account:
            raise CommandError("Give a token prefix or --account NAME.")
        qs = ApiToken.objects.filter(revoked_at__isnull=True)
        qs = qs.filter(key_prefix=prefix) if prefix else qs.filter(service_account__name=account)
        tokens = list(qs)
        if not tokens:
            raise CommandError("No live token matches.")
        for token in tokens:
            services.api_token_revoke(token=token)
        self.stdout.write(f"Revoked {len(tokens)} token(s).")

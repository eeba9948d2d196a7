from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.core import services
from apps.core.models import ServiceAccount
from apps.core.roles import Role


class Command(BaseCommand):
    help = "Issue an API token for a service account (created if missing). Prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("account", help="service account name, e.g. jira-bridge")
        parser.add_argument("--role", default=Role.SERVICE, choices=Role.values)
        parser.add_argument("--days", type=int, default=None, help="expire after N days (default: never)")
        parser.add_argument("--name", default="", help="a label for this token")

    def handle(self, *args, account: str, role: str, days: int | None, name: str, **options):
        try:
            sa = ServiceAccount.objects.filter(name=account).first()
            if sa is None:
                sa = services.service_account_create(name=account, role=role)
                self.stderr.write(f"Created service account {account!r} with role {role}.")
            expires = timezone.now() + timedelta(days=days) if days else None
            token, key = services.api_token_issue(service_account=sa, name=name, expires_at=expires)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stderr.write(f"Token {token.key_prefix}… for {sa.name} (role {sa.role}), expires {expires or 'never'}.")
        self.stdout.write(key)

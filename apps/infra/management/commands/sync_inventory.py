from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.infra import services


class Command(BaseCommand):
    help = ("Inventory AWS (EC2, EBS, RDS, S3, Lambda, EKS, load balancers) for every enabled account, "
            "or only --account ID. Honours AWS_ENDPOINT_URL and the standard credentials chain.")

    def add_arguments(self, parser):
        parser.add_argument("--account", action="append", dest="accounts", metavar="ID",
                            help="12-digit account id (repeatable); default: every enabled account")

    def handle(self, *args, accounts=None, **options):
        width = 30

        def progress(done: int, total: int, message: str) -> None:
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stdout.write(f"\r[{bar}] {done}/{total} {message[:60]:<60}", ending="")
            self.stdout.flush()

        try:
            run = services.inventory_sync_run(account_ids=accounts, progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write("")
        if run.error:
            self.stderr.write(run.error)
        line = f"Inventory sync #{run.pk} {run.status}: {run.message} ({run.aws_calls} AWS calls)"
        if run.status == run.Status.FAILED:
            raise CommandError(line)
        self.stdout.write(self.style.SUCCESS(line))

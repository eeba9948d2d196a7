from django.core.management.base import BaseCommand, CommandError

from apps.syncs import services


class Command(BaseCommand):
    help = "Create the planned meetings of the coming days from each active series' cadence (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.GENERATE_HORIZON_DAYS,
                            help=f"how far ahead (default {services.GENERATE_HORIZON_DAYS})")

    def handle(self, *args, days: int, **options):
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        created = services.meeting_generate_upcoming(horizon_days=days)
        self.stdout.write(self.style.SUCCESS(f"{created} meeting{'s' if created != 1 else ''} created."))

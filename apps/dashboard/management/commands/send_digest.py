from django.core.management.base import BaseCommand

from apps.dashboard import services


class Command(BaseCommand):
    help = "Send this week's CTO digest (once per week per recipient); --dry-run prints it instead."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the digest (text and HTML); send nothing")

    def handle(self, *args, dry_run: bool, **options):
        recipients = services.digest_recipients()
        if not recipients:
            self.stdout.write(self.style.WARNING("No active CTO with an email address: nobody to send the digest to."))
            return
        if not dry_run:
            sent = services.weekly_digest_send()
            self.stdout.write(self.style.SUCCESS(f"{sent} digest{'s' if sent != 1 else ''} sent."))
            return
        for person in recipients:
            digest = services.digest_render(person=person)
            self.stdout.write(f"To: {digest.recipient}\nSubject: {digest.subject}\n")
            self.stdout.write("----- text/plain -----")
            self.stdout.write(digest.text)
            self.stdout.write("----- text/html -----")
            self.stdout.write(digest.html)
        self.stdout.write(self.style.SUCCESS("Dry run: nothing sent, nothing recorded."))

"""``python manage.py import_costs PATH_OR_S3_URL [--format focus|cur]`` — all or nothing."""
from __future__ import annotations

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.core import services as core_services
from apps.costs import importers, services
from apps.costs.tasks import COST_IMPORT


class ProgressBar:
    """A one-line terminal progress bar (KB read of the total, rows read, rows per second)."""

    def __init__(self, stream, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done_kb: int, total_kb: int | None, rows: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        rate = rows / max(now - self.started, 1e-6)
        if total_kb:
            filled = int(self.width * min(done_kb, total_kb) / total_kb)
            bar = "#" * filled + "-" * (self.width - filled)
            pct = int(100 * min(done_kb, total_kb) / total_kb)
            text = f"\r[{bar}] {pct:3d}% {done_kb}/{total_kb} KB · {rows} rows · {rate:,.0f} rows/s"
        else:
            text = f"\r{done_kb} KB · {rows} rows · {rate:,.0f} rows/s"
        self.stream.write(text)
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = ("Import a FOCUS 1.0 or AWS CUR CSV (plain or .gz) from a path, a directory or s3://bucket/prefix "
            "(every file under it, or a manifest). Replaces the billing periods it covers, all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("location", help="file, directory or s3://bucket/prefix")
        parser.add_argument("--format", choices=importers.FORMATS, default=None,
                            help="default: detected from the header")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, location: str, format: str | None = None, no_progress: bool = False, **options):
        run = core_services.syncrun_create(kind=COST_IMPORT, params={"location": location, "format": format or ""})
        core_services.syncrun_start(run=run)
        bar = None if no_progress else ProgressBar(sys.stderr)
        try:
            files = services.input_files_for(location)
            result = services.cost_file_import(actor=services.SYSTEM, files=files, fmt=format, progress=bar)
        except ValidationError as exc:
            if bar:
                bar.finish()
            message = "\n".join(exc.messages)
            core_services.syncrun_fail(run=run, error=message)
            raise CommandError(f"Nothing was imported.\n{message}")
        except Exception as exc:
            if bar:
                bar.finish()
            core_services.syncrun_fail(run=run, error=f"{type(exc).__name__}: {exc}")
            raise CommandError(f"Nothing was imported: {type(exc).__name__}: {exc}")
        if bar:
            bar(0, None, result.rows, force=True)
            bar.finish()
        core_services.syncrun_progress(run=run, rows=result.entries)
        core_services.syncrun_succeed(run=run, result=result.as_dict(),
                                      message=f"{result.rows} rows → {result.entries} daily cost entries")
        periods = ", ".join(f"{p} {b} {d}" for p, b, d in result.periods)
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.rows} rows ({', '.join(result.formats).upper()}) into {result.entries} daily cost "
            f"entries, replacing {result.deleted} for: {periods}."
        ))

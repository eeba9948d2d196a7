"""``python manage.py sync_aws [--costs] [--inventory] [--account ID]`` — boto3 pulls.

``--costs`` is handled here (Cost Explorer, apps.costs). ``--inventory`` belongs to the infra
app: :func:`handle_inventory` imports ``apps.infra.services`` lazily, so this command works
(and says so) when infra is not installed yet. With neither flag, both run.
"""
from __future__ import annotations

import sys
from importlib import import_module
from importlib.util import find_spec

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.core import services as core_services
from apps.costs import services
from apps.costs.tasks import COST_SYNC, record_sync_outcome


def handle_costs(command: BaseCommand, *, account_ids: list[str] | None) -> bool:
    run = core_services.syncrun_create(kind=COST_SYNC, params={"accounts": account_ids or []})
    core_services.syncrun_start(run=run)

    def bar(done: int, total: int, outcome) -> None:
        filled = int(30 * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'-' * (30 - filled)}] {done}/{total} accounts · {outcome.account_id}")
        sys.stderr.flush()

    try:
        results = services.cost_explorer_sync(actor=services.SYSTEM, account_ids=account_ids, run=run, on_account=bar)
    except ValidationError as exc:
        core_services.syncrun_fail(run=run, error="\n".join(exc.messages))
        raise CommandError("\n".join(exc.messages))
    run = record_sync_outcome(run=run, results=results)
    if results:
        sys.stderr.write("\n")
    for r in results:
        line = f"{r.account_id}: {r.status}, {r.entries} entries for {r.start}..{r.end}, {r.calls} Cost Explorer calls"
        if r.status == "ok":
            command.stdout.write(line)
        else:
            command.stdout.write(command.style.WARNING(f"{line} — {r.error}"))
    command.stdout.write(f"Sync run #{run.pk}: {run.status}, {run.aws_calls} AWS calls (≈ ${run.aws_calls * 0.01:.2f}).")
    return run.status == "succeeded"


def handle_inventory(command: BaseCommand, *, account_ids: list[str] | None) -> bool:
    """Delegates to the infra app when it provides ``apps.infra.services.inventory_sync_command``
    (``(command, account_ids=...) -> bool``); tolerates its absence."""
    if find_spec("apps.infra") is None or find_spec("apps.infra.services") is None:
        command.stdout.write(command.style.WARNING("--inventory: the infra app is not installed; skipped."))
        return True
    infra = import_module("apps.infra.services")
    runner = getattr(infra, "inventory_sync_command", None)
    if runner is None:
        command.stdout.write(command.style.WARNING("--inventory: apps.infra.services has no inventory_sync_command; skipped."))
        return True
    return bool(runner(command, account_ids=account_ids))


class Command(BaseCommand):
    help = "Pull from AWS: --costs (Cost Explorer) and/or --inventory (infra). Honours AWS_ENDPOINT_URL."

    def add_arguments(self, parser):
        parser.add_argument("--costs", action="store_true", help="daily costs from Cost Explorer")
        parser.add_argument("--inventory", action="store_true", help="resources (the infra app)")
        parser.add_argument("--account", action="append", dest="accounts", metavar="ID",
                            help="only this account id (repeatable)")

    def handle(self, *args, costs: bool = False, inventory: bool = False, accounts=None, **options):
        if not costs and not inventory:
            costs = inventory = True
        ok = True
        if costs:
            ok = handle_costs(self, account_ids=accounts) and ok
        if inventory:
            ok = handle_inventory(self, account_ids=accounts) and ok
        if not ok:
            raise CommandError("Some accounts failed; see above.")

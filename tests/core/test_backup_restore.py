"""The backup drill of the README, run for real: ``ops/backup.sh`` (pg_dump) of a database holding
people, costs and encrypted salaries, ``ops/restore.sh`` (pg_restore) into a fresh database, and
``manage.py backup_totals`` on both. The restored copy reads back the same totals; its salary
amounts decrypt with the key and not without it, and the dump holds no amount in clear text."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from binascii import unhexlify
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests.accounts.mfa import enrol
from tests.costs.helpers import FOCUS_SAMPLE, csv_totals, import_path
from tests.reviews.scenario import cto_actor, pay

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)

KEY = Fernet.generate_key().decode()
SALARIES = [Decimal("61234.56"), Decimal("87654.32")]


def _url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _run(args: list[str], db: str, key: str = KEY) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(db), "FIELD_ENCRYPTION_KEY": key, "DEBUG": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _totals(db: str, key: str = KEY) -> dict:
    done = _run([sys.executable, "manage.py", "backup_totals"], db, key)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def restored_db():
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_a_fresh_database_reads_back_the_same_totals(
    require_postgres, world, settings, tmp_path, restored_db
):
    settings.FIELD_ENCRYPTION_KEY = KEY
    cto = cto_actor(world)
    pay(cto, world.people["engineer"], SALARIES[0])
    pay(cto, world.people["engineer2"], SALARIES[1])
    import_path(FOCUS_SAMPLE)
    totp_key, _ = enrol(world.users["cto"])
    source = connection.settings_dict["NAME"]

    before = _totals(source)
    # The totals are the data's, not empty dictionaries that would trivially match.
    assert before["encrypted"]["reviews.CompensationRecord.base_salary"] == {"EUR": str(sum(SALARIES))}
    assert before["rows"]["org.Person"] == len(world.people)
    file_sum = sum(csv_totals(FOCUS_SAMPLE, "ProviderName").values())
    assert sum(Decimal(v) for v in before["money"]["costs.CostEntry.cost"].values()) == file_sum

    dump = tmp_path / "portal.dump"
    backup = _run([str(ROOT / "ops" / "backup.sh"), str(dump)], source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    restore = _run([str(ROOT / "ops" / "restore.sh"), str(dump)], restored_db)
    assert restore.returncode == 0, restore.stderr

    assert _totals(restored_db) == before

    # Without the key the restored salaries cannot be read: the command fails and says why.
    wrong = _run([sys.executable, "manage.py", "backup_totals"], restored_db, key=Fernet.generate_key().decode())
    assert wrong.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in wrong.stderr

    # Neither the dump nor the restored table holds an amount in clear text.
    plain = subprocess.run(["pg_restore", "--data-only", "--file=-", str(dump)], capture_output=True, text=True,
                           check=True).stdout
    for amount in SALARIES:
        assert str(amount) not in plain
        assert str(amount).replace(".", "") not in plain
    # Nor the CTO's TOTP secret, in hex or base32 (it is sealed with the same key).
    assert "sealed1:" in plain
    assert totp_key not in plain and base64.b32encode(unhexlify(totp_key)).decode().rstrip("=") not in plain


def test_a_restore_into_a_database_that_is_not_empty_fails_and_changes_nothing(
    require_postgres, world, tmp_path, restored_db
):
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "portal.dump"
    assert _run([str(ROOT / "ops" / "backup.sh"), str(dump)], source).returncode == 0
    assert _run([str(ROOT / "ops" / "restore.sh"), str(dump)], restored_db).returncode == 0
    first = _totals(restored_db)

    again = _run([str(ROOT / "ops" / "restore.sh"), str(dump)], restored_db)
    assert again.returncode != 0
    assert _totals(restored_db) == first

"""PostgreSQL only: a stored, GIN-indexed text-search vector of each meeting's notes, kept by
the database itself (a generated column), which global search reads instead of running
``to_tsvector`` over every visible meeting's notes on each query. Not a model field: Django
never writes it, and SQLite (the demo) has no text search and searches with ``icontains``."""
from django.db import migrations

COLUMN = "notes_search_vector"
FORWARD = [
    f"ALTER TABLE syncs_meeting ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(notes, ''))) STORED",
    f"CREATE INDEX IF NOT EXISTS syncs_meeting_notes_search ON syncs_meeting USING gin ({COLUMN})",
]
BACKWARD = [
    "DROP INDEX IF EXISTS syncs_meeting_notes_search",
    f"ALTER TABLE syncs_meeting DROP COLUMN IF EXISTS {COLUMN}",
]


def _run(statements):
    def apply(apps, schema_editor):
        # The test suite re-runs data migrations' functions without a schema editor: nothing to do.
        if schema_editor is None or schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("syncs", "0002_beat_schedules")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]

#!/usr/bin/env bash
# Restore a dump made by ops/backup.sh into an EMPTY database, all or nothing.
#
#   createdb -h host -U user cto_portal_restored
#   DATABASE_URL=postgres://user@host:5432/cto_portal_restored ops/restore.sh /backups/cto_portal-2026-11-30.dump
#   DATABASE_URL=... python manage.py backup_totals     # compare with the same command on the source
#
# --single-transaction with --exit-on-error: a failed restore leaves the target database empty.
set -euo pipefail
in="${1:?usage: ops/restore.sh FILE}"
: "${DATABASE_URL:?DATABASE_URL must point at the (empty) database to restore into}"
pg_restore --single-transaction --exit-on-error --no-owner --no-privileges --dbname="$DATABASE_URL" "$in"
echo "restored: $in" >&2

#!/usr/bin/env bash
# Back up the portal's PostgreSQL database into one compressed, self-contained file.
#
#   DATABASE_URL=postgres://user@host:5432/cto_portal ops/backup.sh /backups/cto_portal-$(date +%F).dump
#
# pg_dump's custom format is a consistent snapshot (one transaction) that pg_restore can read
# selectively. Salary amounts stay encrypted in the dump: keep FIELD_ENCRYPTION_KEY in the secret
# store, never beside the dump. Prints the totals to compare after a restore.
set -euo pipefail
out="${1:?usage: ops/backup.sh FILE}"
: "${DATABASE_URL:?DATABASE_URL must point at the database to back up}"
pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$out"
echo "backup written: $out ($(du -h "$out" | cut -f1))" >&2

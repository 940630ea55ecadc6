#!/usr/bin/env bash
# Dump the Help Locator database into BACKUP_DIR (pg_dump custom format).
#
#   DATABASE_URL=postgis://user:password@host:5432/helplocator deploy/backup.sh
#
# Environment:
#   DATABASE_URL   the database to dump (required; postgis:// or postgresql://)
#   BACKUP_DIR     where dumps go (default /var/backups/help-locator)
#   BACKUP_KEEP    how many dumps of this database to keep, newest first (default 14; 0 keeps all)
#   PG_BIN         folder of pg_dump/pg_restore (default: PostgreSQL 15's on Debian, else PATH);
#                  the client must be at least as new as the server
#
# Prints the path of the new dump. A dump holds registrants' and experts'
# private contacts: it is written readable by its owner only, and must be
# encrypted before it leaves the machine. Restore with deploy/restore.sh.
set -euo pipefail
umask 077

: "${DATABASE_URL:?DATABASE_URL is required}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/help-locator}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"
if [ -z "${PG_BIN:-}" ] && [ -x /usr/lib/postgresql/15/bin/pg_dump ]; then PG_BIN=/usr/lib/postgresql/15/bin; fi
pg() { if [ -n "${PG_BIN:-}" ]; then "$PG_BIN/$1" "${@:2}"; else "$@"; fi; }

# libpq does not know Django's postgis:// scheme.
url="postgresql://${DATABASE_URL#*://}"
dbname="${url%%\?*}"
dbname="${dbname##*/}"
[ -n "$dbname" ] || { echo "DATABASE_URL names no database" >&2; exit 2; }

mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/$dbname-$(date -u +%Y%m%dT%H%M%SZ).dump"
# Written under a temporary name and renamed once complete and readable, so a
# dump that exists under its final name is never a truncated one.
trap 'rm -f -- "$target.partial"' EXIT
pg pg_dump --format=custom --compress=6 --file="$target.partial" --dbname="$url"
pg pg_restore --list "$target.partial" >/dev/null
mv -- "$target.partial" "$target"

if [ "$BACKUP_KEEP" -gt 0 ]; then
    # Names sort by time (UTC stamps); drop all but the newest BACKUP_KEEP.
    find "$BACKUP_DIR" -maxdepth 1 -name "$dbname-*.dump" -printf '%f\n' | sort -r |
        tail -n +"$((BACKUP_KEEP + 1))" | while read -r old; do rm -f -- "$BACKUP_DIR/$old"; done
fi
echo "$target"

#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into an empty database.
#
#   deploy/restore.sh /var/backups/help-locator/helplocator-20250101T030000Z.dump \
#       postgis://user:password@host:5432/helplocator_restored
#
# The target database (the second argument, else DATABASE_URL) is created when
# it does not exist; one that already has tables is refused, never merged into.
# The extensions the project needs (postgis, pg_trgm, unaccent, btree_gist) are
# created first, which needs a superuser or a database owner allowed to create
# them. PG_BIN as for backup.sh.
set -euo pipefail

dump="${1:?usage: deploy/restore.sh DUMP [TARGET_DATABASE_URL]}"
target="${2:-${DATABASE_URL:?give the target database URL or set DATABASE_URL}}"
[ -r "$dump" ] || { echo "Cannot read $dump" >&2; exit 2; }
if [ -z "${PG_BIN:-}" ] && [ -x /usr/lib/postgresql/15/bin/pg_restore ]; then PG_BIN=/usr/lib/postgresql/15/bin; fi
pg() { if [ -n "${PG_BIN:-}" ]; then "$PG_BIN/$1" "${@:2}"; else "$@"; fi; }

url="postgresql://${target#*://}"
base="${url%%\?*}"
query=""
if [ "$base" != "$url" ]; then query="?${url#*\?}"; fi
dbname="${base##*/}"
[ -n "$dbname" ] || { echo "The target URL names no database" >&2; exit 2; }
# The same server's maintenance database, to create the target in.
maintenance="${base%/*}/postgres$query"

exists="$(printf "SELECT 1 FROM pg_database WHERE datname = :'db'" | pg psql "$maintenance" -v db="$dbname" -tAq)"
if [ "$exists" != "1" ]; then
    printf 'CREATE DATABASE :"db"' | pg psql "$maintenance" -v db="$dbname" -v ON_ERROR_STOP=1 -q
fi

tables="$(pg psql "$url" -tAq -c \
    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")"
if [ "$tables" != "0" ]; then
    echo "Refusing to restore: database $dbname already has $tables tables (restore into an empty one)." >&2
    exit 1
fi

pg psql "$url" -v ON_ERROR_STOP=1 -q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gist;
SQL

# Everything but the extensions' comments, which only an extension's owner may
# set (a restore as the database owner would stop there); in one transaction,
# so a failed restore leaves the database empty.
list="$(mktemp)"
trap 'rm -f -- "$list"' EXIT
pg pg_restore --list "$dump" | grep -v -E ' COMMENT - EXTENSION ' >"$list"
pg pg_restore --use-list="$list" --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$url" "$dump"
# Planner statistics are not in a dump.
pg psql "$url" -q -c "ANALYZE"
echo "Restored $dump into $dbname"

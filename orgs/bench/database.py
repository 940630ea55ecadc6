"""The benchmark's own databases, beside the product's on the same cluster.

One database per size (``helplocator_bench_1000000`` …), so that every size
stays cached between runs. The product's database is never a target.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import psycopg
from django.core.management import call_command
from django.db import connections
from psycopg import sql

from orgs.bench.generator import BenchRefused, current_database

ERROR_SAME_AS_PRODUCT = (
    "Refusing to benchmark in {name!r}: it is the product's database (DATABASE_URL). Pick another name with --database."
)


def bench_database_name(*, base: str, size: int, product_db: str) -> str:
    name = f"{base}_{size}"
    if product_db in (name, base):
        raise BenchRefused(ERROR_SAME_AS_PRODUCT.format(name=product_db))
    return name


def _settings() -> dict[str, Any]:
    return dict(connections["default"].settings_dict)


def conninfo(name: str | None = None) -> dict[str, Any]:
    """psycopg connection arguments for ``name`` (default: the current database)."""
    s = _settings()
    info: dict[str, Any] = {"dbname": name or s["NAME"]}
    for key, arg in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if s.get(key):
            info[arg] = str(s[key])
    # The app's session settings (jit, plan_cache_mode: locator/settings.py),
    # so that (a) and (a') run as the app's queries do.
    if (s.get("OPTIONS") or {}).get("options"):
        info["options"] = s["OPTIONS"]["options"]
    return info


def database_url(name: str) -> str:
    """A DATABASE_URL for ``name`` on the same server as the current database."""
    s = _settings()
    auth = quote(str(s.get("USER") or ""), safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(str(s["PASSWORD"]), safe="")
    host = str(s.get("HOST") or "localhost")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgis://{auth + '@' if auth else ''}{host}{port}/{quote(name, safe='')}"


def create_database(name: str) -> bool:
    """Create the database if it is missing; True when it was created."""
    with psycopg.connect(**conninfo(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


@contextmanager
def using_database(name: str, *, product_db: str) -> Iterator[None]:
    """Point Django's default connection at ``name`` for the block (as Django's
    test runner does for the test database), then back."""
    conn = connections["default"]
    previous = conn.settings_dict["NAME"]
    conn.close()
    conn.settings_dict["NAME"] = name
    try:
        if current_database() == product_db:
            raise BenchRefused(ERROR_SAME_AS_PRODUCT.format(name=product_db))
        yield
    finally:
        conn.close()
        conn.settings_dict["NAME"] = previous


def prepare(name: str, *, verbosity: int = 0) -> None:
    """Schema and gazetteer in the (current) benchmark database; both are no-ops when present.

    The first migration creates the extensions (postgis, pg_trgm, unaccent, btree_gist)."""
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable")  # the shared cache (throttle counters)
    call_command("load_gazetteer", "--if-empty", verbosity=verbosity)


# What the timed queries read: tables and their indexes.
PREWARM_TABLES = (
    "orgs_searchentry",
    "orgs_location",
    "orgs_organisation",
    "orgs_service",
    "orgs_serviceatlocation",
    "orgs_service_categories",
    "orgs_service_target_groups",
    "orgs_openinghours",
    "orgs_membership",
    "orgs_clustercell",
    "orgs_place",
    "bench_location_latlon",
)


def prewarm() -> str:
    """Read the tables and indexes the benchmark uses into the OS cache, so
    that every size is timed warm (a million rows take a few GB)."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        try:
            with transaction.atomic():
                cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except Exception:
            for table in PREWARM_TABLES:
                cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            return "sequential scans (pg_prewarm unavailable)"
        cur.execute(
            """
            SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0)
            FROM pg_class c
            WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(%(t)s::text[]) AS t)
               OR c.oid IN (SELECT i.indexrelid FROM pg_index i
                            WHERE i.indrelid IN (SELECT to_regclass(t) FROM unnest(%(t)s::text[]) AS t))
            """,
            {"t": list(PREWARM_TABLES)},
        )
        blocks = int(cur.fetchone()[0])
    return f"pg_prewarm read {blocks * 8 // 1024} MB"

"""Synthetic directories for the benchmark: 10k, 100k or 1M locations.

Realistic enough to exercise the search the way real data would: locations
cluster around the gazetteer's towns in proportion to their population (Moscow
gets hundreds of times more than a town of 5,000), spread wider around bigger
towns; services carry categories of the real seed taxonomy with a skewed mix
(one common category, a rare one on about 0.1% of services), target groups,
formats, free or paid; a share of locations is protected (approximate or city
only). Organisations are grouped into branches the way networks are.

Everything is written set-based in SQL (``INSERT ... SELECT generate_series``),
chunk by chunk under a progress bar, and every random draw is a hash of
(seed, row number, stream): the same seed and size give the same data whatever
the chunking, and no million-row round trip goes through Python.

Safety: every organisation's name starts with ``[synthetic]`` and its source
says it is benchmark data; ``generate()`` refuses the product's database and
any database that holds organisations which are not synthetic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from orgs.bench.rows import (
    CHUNK,
    SYNTHETIC_PREFIX,
    SYNTHETIC_SOURCE,
    _prepare_lookups,
    _write_chunk,
    org_count,
)
from orgs.search import index as search_index
from orgs.seed import DEFAULT_SEED_PATH, SeedReport, category_upsert, target_group_upsert

# Bump when the shape of the generated data changes: cached data sets of an
# older version are regenerated.
GENERATOR_VERSION = 1
# Bump when the derived tables (map clusters, remote-help rows) change shape:
# cached data sets keep their rows and only these are derived again.
DERIVED_VERSION = 3

MARKER_TABLE = "bench_dataset"
# Plain latitude/longitude columns with a btree index: the layout of the
# "simpler directory" the benchmark compares against (runners.bbox_haversine_nearest).
FLAT_TABLE = "bench_location_latlon"


ERROR_PRODUCT_DATABASE = (
    "Refusing to write synthetic data into {name!r}: it is the product's database. "
    "The benchmark uses its own database (manage.py bench creates it)."
)
ERROR_REAL_DATA = (
    "Refusing to write synthetic data into {name!r}: it holds {count} organisations that are not synthetic. "
    "Use an empty benchmark database."
)


class BenchRefused(RuntimeError):
    """The target database is not a benchmark database."""


@dataclass(frozen=True)
class Dataset:
    size: int
    seed: int
    organisations: int
    search_rows: int
    seconds: float
    reused: bool


# --- safety ---------------------------------------------------------------------------


def current_database() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT current_database()")
        return str(cur.fetchone()[0])


def ensure_bench_database(*, product_db: str) -> str:
    """The current database's name, if synthetic data may be written into it."""
    name = current_database()
    if name == product_db:
        raise BenchRefused(ERROR_PRODUCT_DATABASE.format(name=name))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM orgs_organisation WHERE name NOT LIKE %s", [SYNTHETIC_PREFIX + "%"])
        real = int(cur.fetchone()[0])
    if real:
        raise BenchRefused(ERROR_REAL_DATA.format(name=name, count=real))
    return name


# --- the cache marker -------------------------------------------------------------------


def _ensure_marker_table() -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"""CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (
                    id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                    size int NOT NULL, seed int NOT NULL, version int NOT NULL,
                    organisations int NOT NULL, search_rows bigint NOT NULL,
                    seconds float8 NOT NULL, generated_at timestamptz NOT NULL DEFAULT now())"""
        )
        # Data sets made before derived versions were recorded count as version 1.
        cur.execute(f"ALTER TABLE {MARKER_TABLE} ADD COLUMN IF NOT EXISTS derived_version int NOT NULL DEFAULT 1")
        cur.execute(f"COMMENT ON TABLE {MARKER_TABLE} IS 'Synthetic benchmark data set (orgs.bench.generator)'")


def cached_dataset(*, size: int, seed: int) -> Dataset | None:
    """The data set already in this database, if it is this size, seed and version."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER_TABLE])
        if not cur.fetchone()[0]:
            return None
        cur.execute(f"SELECT size, seed, version, organisations, search_rows, seconds FROM {MARKER_TABLE}")  # noqa: S608
        row = cur.fetchone()
        if row is None or tuple(row[:3]) != (size, seed, GENERATOR_VERSION):
            return None
        cur.execute("SELECT count(*) FROM orgs_location WHERE source = %s", [SYNTHETIC_SOURCE])
        if int(cur.fetchone()[0]) != size:
            return None
        return Dataset(size=size, seed=seed, organisations=row[3], search_rows=row[4], seconds=row[5], reused=True)


# --- generation -------------------------------------------------------------------------


def ensure_taxonomy() -> dict[str, int]:
    """The real seed taxonomy (categories and target groups) in this database; slug -> id."""
    data = json.loads(DEFAULT_SEED_PATH.read_text(encoding="utf-8"))
    report = SeedReport()
    with transaction.atomic():
        for row in data["categories"]:
            category_upsert(row=row, report=report)
        for row in data["target_groups"]:
            target_group_upsert(row=row, report=report)
    with connection.cursor() as cur:
        cur.execute("SELECT slug, id FROM orgs_category")
        return {slug: int(pk) for slug, pk in cur.fetchall()}


def _reset(cur: Any) -> None:
    """Remove a previous synthetic data set (the database holds nothing else: see ensure_bench_database)."""
    if len(connection.atomic_blocks) > 1:
        # Inside an outer transaction (the tests) the previous set's deferred
        # checks are still pending, and TRUNCATE refuses to run then.
        for table in (
            "orgs_searchentry",
            "orgs_remoteentry",
            "orgs_clustercell",
            "orgs_openinghours",
            "orgs_serviceatlocation",
            "orgs_service_categories",
            "orgs_service_target_groups",
            "orgs_service",
            "orgs_location",
            "orgs_organisation",
        ):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    else:
        cur.execute("TRUNCATE orgs_organisation, orgs_clustercell CASCADE")
    cur.execute(f"DROP TABLE IF EXISTS {FLAT_TABLE}")
    cur.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


def _build_flat_table(cur: Any) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {FLAT_TABLE}")
    cur.execute(
        f"""
        CREATE TABLE {FLAT_TABLE} AS
        SELECT l.id AS location_id, ST_Y(l.public_point::geometry) AS lat, ST_X(l.public_point::geometry) AS lon
        FROM orgs_location l JOIN orgs_organisation o ON o.id = l.organisation_id
        WHERE o.status = 'published' AND l.public_point IS NOT NULL
        """  # noqa: S608 - a fixed table name
    )
    cur.execute(f"CREATE INDEX {FLAT_TABLE}_lat_lon ON {FLAT_TABLE} (lat, lon)")
    cur.execute(f"ANALYZE {FLAT_TABLE}")


def _may_skip_checks() -> bool:
    """Whether to write without constraint triggers: only for a standalone run
    (not inside a caller's transaction, such as a test) by a superuser."""
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
    return bool(row and row[0])


GENERATED_TABLES = (
    "orgs_organisation",
    "orgs_location",
    "orgs_service",
    "orgs_serviceatlocation",
    "orgs_service_categories",
    "orgs_service_target_groups",
    "orgs_openinghours",
)


def _derived_version() -> int:
    _ensure_marker_table()
    with connection.cursor() as cur:
        cur.execute(f"SELECT derived_version FROM {MARKER_TABLE}")  # noqa: S608 - a fixed table name
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _derive(cur: Any, progress: Callable[[str, int, int], None] | None) -> None:
    """The tables derived from the search rows and the services, set-based as
    orgs.search.index.rebuild() computes them: map clusters and remote-help rows."""
    cur.execute("SET LOCAL jit = off")
    cur.execute("SET LOCAL work_mem = '256MB'")

    def clusters(done: int, total: int) -> None:
        if progress:
            progress("map clusters", done, total)

    search_index.rebuild_clusters(progress=clusters)
    search_index.rebuild_remote()


def _reorder(progress: Callable[[str, int, int], None] | None) -> None:
    """The search rows in the order the product's scheduled job keeps them in
    (search_index.reorder): the benchmark measures the product as deployed."""
    if progress:
        progress("reordering search rows", 0, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        search_index.reorder()
    if progress:
        progress("reordering search rows", 1, 1)


def _vacuum_analyze(tables: list[str]) -> None:
    # VACUUM (visibility map, for index-only scans) cannot run inside a
    # transaction, as in the tests; ANALYZE can.
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"{verb} {table}")


def generate(
    *,
    size: int,
    seed: int,
    product_db: str,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> Dataset:
    """Fill the current database with ``size`` synthetic locations (or reuse them).

    ``product_db`` is the product's database name: generate() refuses to run
    there. ``progress(phase, done, total)`` is called as chunks are written.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    ensure_bench_database(product_db=product_db)
    if not force:
        cached = cached_dataset(size=size, seed=seed)
        if cached is not None:
            if _derived_version() < DERIVED_VERSION:
                with transaction.atomic(), connection.cursor() as cur:
                    _derive(cur, progress)
                    cur.execute(f"UPDATE {MARKER_TABLE} SET derived_version = %s", [DERIVED_VERSION])  # noqa: S608
                _reorder(progress)
                _vacuum_analyze(["orgs_clustercell", "orgs_remoteentry"])
            return cached
    started = time.monotonic()
    categories = ensure_taxonomy()
    with transaction.atomic(), connection.cursor() as cur:
        # JIT compilation costs about a second per statement here and saves nothing.
        cur.execute("SET LOCAL jit = off")
        cur.execute("SELECT count(*) FROM orgs_organisation")
        if cur.fetchone()[0]:
            _reset(cur)
        _ensure_marker_table()
        _prepare_lookups(cur, categories)
    done = 0
    if progress:
        progress("locations", 0, size)
    skip_checks = _may_skip_checks()
    for lo in range(1, size + 1, CHUNK):
        hi = min(lo + CHUNK, size + 1)
        # One transaction per chunk: the deferred "published has a location"
        # check runs per chunk, and a stopped run leaves no marker behind.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            if skip_checks:
                # Django's foreign keys are deferred: at commit a chunk ran about
                # a million row-locking checks (a minute per chunk). The rows are
                # built consistent by construction, and the tests, which run
                # with every check, prove it.
                cur.execute("SET LOCAL session_replication_role = replica")
            # Organisations carry three GIN indexes (trigram and full text):
            # a large pending list turns a row-by-row insert into a bulk merge.
            cur.execute("SET LOCAL gin_pending_list_limit = '256MB'")
            _write_chunk(cur, lo=lo, hi=hi, seed=seed)
        done += hi - lo
        if progress:
            progress("locations", done, size)
    with transaction.atomic(), connection.cursor() as cur:
        _derive(cur, progress)
        _build_flat_table(cur)
        cur.execute("DROP TABLE IF EXISTS syn_town, syn_cat, syn_tg")
        cur.execute("SELECT count(*) FROM orgs_searchentry")
        rows = int(cur.fetchone()[0])
        seconds = time.monotonic() - started
        cur.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 - a fixed table name
        cur.execute(
            f"INSERT INTO {MARKER_TABLE} (size, seed, version, organisations, search_rows, seconds,"  # noqa: S608
            " derived_version) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [size, seed, GENERATOR_VERSION, org_count(size), rows, seconds, DERIVED_VERSION],
        )
    _reorder(progress)
    _vacuum_analyze([*GENERATED_TABLES, "orgs_searchentry", "orgs_remoteentry", "orgs_clustercell"])
    return Dataset(size=size, seed=seed, organisations=org_count(size), search_rows=rows, seconds=seconds, reused=False)

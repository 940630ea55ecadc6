"""Keeps the stored coverage (models.CoverageTown) in step with the directory.

``refresh_all()`` recomputes every (town, facet) set-based in PostgreSQL: the
scheduled job ``refresh_coverage`` and the importers call it. Between runs a
single organisation's change updates only the towns it can affect
(``organisations_changing`` / ``organisations_changed``, called by
orgs.search.index where their search rows are rewritten, in the same
transaction):

- towns whose nearest location belonged to the organisation (it may have moved
  away or gone): measured again;
- towns that a new or moved location of it is now nearer to than their stored
  distance: measured again;
- remote help: the facets of its remote rows, before and after, have their
  towns' flags recomputed (a few set-based joins per facet).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from orgs.coverage.sql import IN_PERSON, nearest_sql, remote_pairs_sql

# Every facet a town is measured for: "any help" and each category.
_FACETS = "SELECT 0::bigint AS facet UNION ALL SELECT id FROM orgs_category"

_FULL_SOURCE = f"""
SELECT p.geonameid AS place_id, f.facet, p.point
FROM orgs_place p CROSS JOIN ({_FACETS}) f
"""  # noqa: S608 - fixed fragments

_DIRTY = "coverage_dirty"
_DIRTY_FACETS = "coverage_dirty_remote"


def _mark_run(cur: object, *, full_seconds: float | None) -> None:
    now = timezone.now()
    if full_seconds is None:
        cur.execute("UPDATE orgs_coveragerun SET updated_at = %s", [now])  # type: ignore[attr-defined]
    else:
        cur.execute(  # type: ignore[attr-defined]
            """INSERT INTO orgs_coveragerun (id, computed_at, updated_at, seconds) VALUES (1, %s, %s, %s)
               ON CONFLICT (id) DO UPDATE SET computed_at = EXCLUDED.computed_at,
                   updated_at = EXCLUDED.updated_at, seconds = EXCLUDED.seconds""",
            [now, now, full_seconds],
        )


@transaction.atomic
def refresh_all() -> float:
    """Recompute the whole stored coverage; returns the seconds it took.

    Readers keep seeing the previous rows until the transaction commits."""
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute("DELETE FROM orgs_coveragetown")
        # The remote pairs first, in a table of their own with fresh statistics:
        # an UPDATE joined to them on a just-emptied table was planned as a
        # nested loop and ran for minutes (seen in the journey after a reload).
        cur.execute("DROP TABLE IF EXISTS coverage_remote_pairs")
        cur.execute(f"CREATE TEMPORARY TABLE coverage_remote_pairs ON COMMIT DROP AS {remote_pairs_sql()}")
        cur.execute("ANALYZE coverage_remote_pairs")
        cur.execute(
            f"""INSERT INTO orgs_coveragetown (place_id, facet, distance_m, nearest_location_id, remote)
                SELECT n.place_id, n.facet, n.distance_m, n.location_id, r.place_id IS NOT NULL
                FROM ({nearest_sql(source=_FULL_SOURCE)}) n
                LEFT JOIN (SELECT DISTINCT facet, place_id FROM coverage_remote_pairs) r
                  ON r.place_id = n.place_id AND r.facet = n.facet"""  # noqa: S608 - fixed fragments
        )
        seconds = time.monotonic() - started
        _mark_run(cur, full_seconds=seconds)
        cur.execute("ANALYZE orgs_coveragetown")
    return seconds


# --- incremental ------------------------------------------------------------------


def _ensure_dirty_tables(cur: object) -> None:
    cur.execute(  # type: ignore[attr-defined]
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_DIRTY} (place_id bigint, facet bigint) ON COMMIT DELETE ROWS"
    )
    cur.execute(  # type: ignore[attr-defined]
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_DIRTY_FACETS} (facet bigint) ON COMMIT DELETE ROWS"
    )


def _computed(cur: object) -> bool:
    cur.execute("SELECT EXISTS (SELECT 1 FROM orgs_coveragerun)")  # type: ignore[attr-defined]
    return bool(cur.fetchone()[0])  # type: ignore[attr-defined]


def organisations_changing(organisation_ids: Iterable[int]) -> None:
    """Before the organisations' search rows are deleted: note the towns and
    remote facets that depend on them (nothing when coverage was never computed)."""
    ids = sorted({int(i) for i in organisation_ids})
    if not ids:
        return
    with connection.cursor() as cur:
        if not _computed(cur):
            return
        _ensure_dirty_tables(cur)
        cur.execute(
            f"""INSERT INTO {_DIRTY} (place_id, facet)
                SELECT c.place_id, c.facet FROM orgs_coveragetown c
                WHERE c.nearest_location_id IN (
                    SELECT DISTINCT e.location_id FROM orgs_searchentry e WHERE e.organisation_id = ANY(%s))""",  # noqa: S608
            [ids],
        )
        cur.execute(
            f"INSERT INTO {_DIRTY_FACETS} SELECT DISTINCT facet FROM orgs_remoteentry WHERE organisation_id = ANY(%s)",  # noqa: S608
            [ids],
        )


def organisations_changed(organisation_ids: Iterable[int]) -> None:
    """After the organisations' search rows were written again: add the towns
    their rows are now nearer to, then measure every noted town again."""
    ids = sorted({int(i) for i in organisation_ids})
    if not ids:
        return
    with connection.cursor() as cur:
        if not _computed(cur):
            return
        _ensure_dirty_tables(cur)
        # A new row beats the stored distance only within it: one geodesic
        # distance per (town, new row's facet), no index needed for the few
        # rows of one organisation.
        cur.execute(
            f"""INSERT INTO {_DIRTY} (place_id, facet)
                SELECT c.place_id, c.facet
                FROM (SELECT DISTINCT e.facet, e.public_point FROM orgs_searchentry e
                      WHERE e.organisation_id = ANY(%s) AND {IN_PERSON}) n
                JOIN orgs_coveragetown c ON c.facet = n.facet
                JOIN orgs_place p ON p.geonameid = c.place_id
                WHERE c.distance_m IS NULL OR ST_DWithin(n.public_point, p.point, c.distance_m)""",  # noqa: S608
            [ids],
        )
        cur.execute(
            f"INSERT INTO {_DIRTY_FACETS} SELECT DISTINCT facet FROM orgs_remoteentry WHERE organisation_id = ANY(%s)",  # noqa: S608
            [ids],
        )
        _drain(cur)


def _drain(cur: object) -> None:
    source = f"""
        SELECT DISTINCT d.place_id, d.facet, p.point
        FROM {_DIRTY} d JOIN orgs_place p ON p.geonameid = d.place_id"""  # noqa: S608 - a fixed table name
    cur.execute(  # type: ignore[attr-defined]
        f"""UPDATE orgs_coveragetown c SET distance_m = n.distance_m, nearest_location_id = n.location_id
            FROM ({nearest_sql(source=source)}) n
            WHERE c.place_id = n.place_id AND c.facet = n.facet"""  # noqa: S608 - fixed fragments
    )
    measured = cur.rowcount  # type: ignore[attr-defined]
    cur.execute(f"SELECT array_agg(DISTINCT facet) FROM {_DIRTY_FACETS}")  # type: ignore[attr-defined]  # noqa: S608
    facets = cur.fetchone()[0] or []  # type: ignore[attr-defined]
    if facets:
        cur.execute(  # type: ignore[attr-defined]
            f"""UPDATE orgs_coveragetown c SET remote = (r.place_id IS NOT NULL)
                FROM orgs_coveragetown c2
                LEFT JOIN ({remote_pairs_sql(conds=" AND e.facet = ANY(%(facets)s)")}) r
                  ON r.place_id = c2.place_id AND r.facet = c2.facet
                WHERE c.id = c2.id AND c2.facet = ANY(%(facets)s)
                  AND c.remote IS DISTINCT FROM (r.place_id IS NOT NULL)""",  # noqa: S608 - fixed fragments
            {"facets": facets},
        )
    if measured or facets:
        _mark_run(cur, full_seconds=None)
    cur.execute(f"DELETE FROM {_DIRTY}")  # type: ignore[attr-defined]  # noqa: S608
    cur.execute(f"DELETE FROM {_DIRTY_FACETS}")  # type: ignore[attr-defined]  # noqa: S608


def refresh_if_computed() -> None:
    """A full recompute, unless coverage was never computed here (after imports)."""
    with connection.cursor() as cur:
        if not _computed(cur):
            return
    refresh_all()

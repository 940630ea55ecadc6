"""Keeps ``SearchEntry`` (the nearest-search table) in step with the directory.

Every write that can change what the public finds (an organisation's status, a
location, a service, its categories, a membership) refreshes the rows of the
organisations it touches, inside the same transaction, so a suspended
organisation disappears from search the moment its suspension commits.

Bulk writers (the seed loader, imports, the benchmark generator) wrap their work
in ``deferred()`` so each organisation is refreshed once at the end, or call
``rebuild()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

_state = threading.local()

# Rows for one (location, service) pair: facet 0 plus every category of the
# service and every ancestor of those categories (a recursive walk up the tree).
# A location with no service linked still gets one facet-0 row, so "any help
# near me" finds it.
_SELECT_ROWS = """
WITH RECURSIVE cat_up(service_id, category_id) AS (
    SELECT sc.service_id, sc.category_id
    FROM orgs_service_categories sc
    JOIN orgs_service s ON s.id = sc.service_id
    WHERE s.organisation_id = ANY(%(org_ids)s)
  UNION
    SELECT cu.service_id, c.parent_id
    FROM cat_up cu JOIN orgs_category c ON c.id = cu.category_id
    WHERE c.parent_id IS NOT NULL
),
org AS (
    SELECT o.id,
           COALESCE(ARRAY(SELECT m.network_id FROM orgs_membership m
                          WHERE m.organisation_id = o.id AND m.status = 'active'
                          ORDER BY m.network_id), '{}') AS network_ids
    FROM orgs_organisation o
    WHERE o.id = ANY(%(org_ids)s) AND o.status = 'published'
),
pair AS (
    SELECT l.id AS location_id, l.organisation_id, sal.service_id
    FROM orgs_location l
    JOIN org ON org.id = l.organisation_id
    JOIN orgs_serviceatlocation sal ON sal.location_id = l.id
    WHERE l.public_point IS NOT NULL
  UNION ALL
    SELECT l.id, l.organisation_id, NULL
    FROM orgs_location l
    JOIN org ON org.id = l.organisation_id
    WHERE l.public_point IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM orgs_serviceatlocation x WHERE x.location_id = l.id)
)
INSERT INTO orgs_searchentry (facet, location_id, organisation_id, service_id, public_point, visibility,
                              timezone, target_ids, formats, is_free, languages, network_ids)
SELECT f.facet, p.location_id, p.organisation_id, p.service_id, l.public_point, l.visibility, l.timezone,
       COALESCE(ARRAY(SELECT tg.targetgroup_id FROM orgs_service_target_groups tg
                      WHERE tg.service_id = p.service_id ORDER BY 1), '{}'),
       COALESCE(s.formats, ARRAY['in_person']::varchar[]),
       COALESCE(s.is_free, true),
       ARRAY(SELECT DISTINCT unnest(l.languages || COALESCE(s.languages, '{}'))),
       org.network_ids
FROM pair p
JOIN orgs_location l ON l.id = p.location_id
JOIN org ON org.id = p.organisation_id
LEFT JOIN orgs_service s ON s.id = p.service_id
CROSS JOIN LATERAL (
    SELECT 0::bigint AS facet
  UNION
    SELECT cu.category_id FROM cat_up cu WHERE cu.service_id = p.service_id
) f
"""


# Map clusters for zoom levels up to this are precomputed (orgs.viewport).
MAX_CLUSTER_ZOOM = 9

# The cluster-cell counts of the organisations' current search rows: one per
# distinct (location, facet) in each zoom level's grid cell. Network facets are
# stored as minus the network id.
_CLUSTER_CELLS = """
WITH pts AS (
    SELECT DISTINCT e.location_id, f.facet,
           ST_X(e.public_point::geometry) AS lon, ST_Y(e.public_point::geometry) AS lat
    FROM orgs_searchentry e
    CROSS JOIN LATERAL (
        SELECT e.facet
      UNION ALL
        SELECT -nid FROM unnest(e.network_ids) AS nid WHERE e.facet = 0
    ) f(facet)
    WHERE e.organisation_id = ANY(%(org_ids)s)
),
cells AS (
    SELECT z AS zoom, p.facet,
           floor((p.lon + 180) / (90.0 / 2 ^ z))::int AS cx,
           floor((p.lat + 90) / (90.0 / 2 ^ z))::int AS cy,
           count(*) AS n, sum(p.lon) AS sum_lon, sum(p.lat) AS sum_lat
    FROM pts p CROSS JOIN generate_series(0, %(max_zoom)s) AS z
    GROUP BY 1, 2, 3, 4
)
"""
# Added with an upsert; the ORDER BY takes row locks in one order, so that
# concurrent refreshes cannot deadlock.
_CLUSTER_ADD = (
    _CLUSTER_CELLS
    + """
INSERT INTO orgs_clustercell (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT zoom, facet, cx, cy, n, sum_lon, sum_lat FROM cells ORDER BY zoom, facet, cx, cy
ON CONFLICT (zoom, facet, cx, cy) DO UPDATE SET
    n = orgs_clustercell.n + EXCLUDED.n,
    sum_lon = orgs_clustercell.sum_lon + EXCLUDED.sum_lon,
    sum_lat = orgs_clustercell.sum_lat + EXCLUDED.sum_lat
"""
)
# Subtracted with an UPDATE: PostgreSQL checks CHECK constraints on the row an
# upsert proposes, so a negative delta cannot go through INSERT ... ON CONFLICT.
_CLUSTER_SUBTRACT = (
    _CLUSTER_CELLS
    + """
UPDATE orgs_clustercell c SET
    n = c.n - d.n, sum_lon = c.sum_lon - d.sum_lon, sum_lat = c.sum_lat - d.sum_lat
FROM cells d
WHERE c.zoom = d.zoom AND c.facet = d.facet AND c.cx = d.cx AND c.cy = d.cy
"""
)

# The text that the organisation search matches: lower-cased, ё folded to е.
_DOCUMENT = """
UPDATE orgs_organisation o SET search_document = d.doc
FROM (
    SELECT o2.id, translate(lower(concat_ws(' ',
        o2.name, o2.description, o2.description_en, o2.description_uk,
        (SELECT string_agg(concat_ws(' ', s.name, s.description, s.eligibility), ' ')
         FROM orgs_service s WHERE s.organisation_id = o2.id),
        (SELECT string_agg(DISTINCT concat_ws(' ', c.name_ru, c.name_en), ' ')
         FROM orgs_service s
         JOIN orgs_service_categories sc ON sc.service_id = s.id
         JOIN orgs_category c ON c.id = sc.category_id
         WHERE s.organisation_id = o2.id),
        (SELECT string_agg(DISTINCT concat_ws(' ', l.city, l.region), ' ')
         FROM orgs_location l WHERE l.organisation_id = o2.id)
    )), 'ё', 'е') AS doc
    FROM orgs_organisation o2 WHERE o2.id = ANY(%(org_ids)s)
) d
WHERE o.id = d.id AND o.search_document IS DISTINCT FROM d.doc
"""


def refresh(organisation_ids: Iterable[int]) -> None:
    """Rewrite the search rows of these organisations (now, or at the end of ``deferred()``)."""
    ids = sorted({int(i) for i in organisation_ids if i is not None})
    if not ids:
        return
    pending: set[int] | None = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(ids)
        return
    _write(ids)


def _write(ids: list[int]) -> None:
    params: dict[str, Any] = {"org_ids": ids, "max_zoom": MAX_CLUSTER_ZOOM}
    with connection.cursor() as cur:
        cur.execute(_CLUSTER_SUBTRACT, params)
        cur.execute("DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(org_ids)s)", params)
        cur.execute(_SELECT_ROWS, params)
        cur.execute(_CLUSTER_ADD, params)
        cur.execute(_DOCUMENT, params)


def withdraw(organisation_ids: Iterable[int]) -> None:
    """Take the organisations' rows out now, cluster counts included.

    Called before a location, service or organisation is deleted: Django's
    cascade deletes their search rows before any post_delete signal, and the
    cluster counts can only be subtracted while those rows still exist. The
    usual refresh (now or at the end of ``deferred()``) puts back what remains.
    """
    ids = sorted({int(i) for i in organisation_ids if i is not None})
    if not ids:
        return
    params: dict[str, Any] = {"org_ids": ids, "max_zoom": MAX_CLUSTER_ZOOM}
    with connection.cursor() as cur:
        cur.execute(_CLUSTER_SUBTRACT, params)
        cur.execute("DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(org_ids)s)", params)


@contextmanager
def deferred() -> Iterator[None]:
    """Collect refreshes and run them once when the block ends."""
    outer = getattr(_state, "pending", None)
    if outer is not None:  # nested: the outermost block flushes
        yield
        return
    _state.pending = set()
    try:
        yield
        ids = sorted(_state.pending)
    finally:
        _state.pending = None
    if ids:
        _write(ids)


def rebuild() -> int:
    """Recompute the whole table (after bulk loads). Returns the number of rows."""
    with connection.cursor() as cur:
        if connection.in_atomic_block:
            # TRUNCATE refuses to run while the transaction has deferred
            # constraint checks pending; DELETE is slower but always allowed.
            cur.execute("DELETE FROM orgs_searchentry")
            cur.execute("DELETE FROM orgs_clustercell")
        else:
            cur.execute("TRUNCATE orgs_searchentry, orgs_clustercell")
        cur.execute("SELECT COALESCE(array_agg(id), '{}') FROM orgs_organisation")
        params = {"org_ids": cur.fetchone()[0], "max_zoom": MAX_CLUSTER_ZOOM}
        cur.execute(_SELECT_ROWS, params)
        cur.execute(_CLUSTER_ADD, params)
        cur.execute(_DOCUMENT, params)
        cur.execute("ANALYZE orgs_searchentry")
        cur.execute("ANALYZE orgs_clustercell")
        cur.execute("SELECT count(*) FROM orgs_searchentry")
        return int(cur.fetchone()[0])

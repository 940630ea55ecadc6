"""Keeps the derived search tables in step with the directory: ``SearchEntry``
(the nearest search), ``RemoteEntry`` (online and phone help by service area),
``ClusterCell`` (the map's clusters) and the organisations' search documents.

Every write that can change what the public finds (an organisation's status, a
location, a service, its categories, a membership) refreshes the rows of the
organisations it touches, inside the same transaction, so a suspended
organisation disappears from search the moment its suspension commits.

Bulk writers (the seed loader, imports, the benchmark generator) wrap their work
in ``deferred()`` so each organisation is refreshed once at the end, or call
``rebuild()``. A refresh of single organisations also updates the stored
coverage of the towns it can affect (orgs.coverage.compute); ``refresh_many()``
(imports) recomputes it whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from orgs.coverage import compute as coverage

_state = threading.local()

# Every category with itself and each of its ancestors (the taxonomy is a few
# dozen rows), then the facets of the services in scope: one hash join, so a
# rebuild is linear in the number of services. ``{services}`` narrows the
# services (orgs_service aliased ``s``).
_SERVICE_FACETS = """
cat_up(category_id, facet) AS (
    SELECT id, id FROM orgs_category
  UNION
    SELECT cu.category_id, c.parent_id
    FROM cat_up cu JOIN orgs_category c ON c.id = cu.facet
    WHERE c.parent_id IS NOT NULL
),
svc_facet(service_id, facet) AS (
    SELECT DISTINCT sc.service_id, cu.facet
    FROM orgs_service_categories sc
    JOIN orgs_service s ON s.id = sc.service_id
    JOIN cat_up cu ON cu.category_id = sc.category_id
    WHERE {services}
),
svc_targets(service_id, ids) AS (
    SELECT tg.service_id, array_agg(tg.targetgroup_id ORDER BY tg.targetgroup_id)
    FROM orgs_service_target_groups tg
    JOIN orgs_service s ON s.id = tg.service_id
    WHERE {services}
    GROUP BY tg.service_id
),
org AS (
    SELECT o.id, o.name,
           COALESCE(ARRAY(SELECT m.network_id FROM orgs_membership m
                          WHERE m.organisation_id = o.id AND m.status = 'active'
                          ORDER BY m.network_id), '{{}}') AS network_ids
    FROM orgs_organisation o
    WHERE o.id = ANY(%(org_ids)s) AND o.status = 'published'
)
"""

# Rows for one (location, service) pair: facet 0 plus every category of the
# service and every ancestor of those categories. A location with no service
# linked still gets one facet-0 row, so "any help near me" finds it.
_SELECT_ROWS = (
    "WITH RECURSIVE "  # noqa: S608 - fixed fragments; values are bound parameters
    + _SERVICE_FACETS.format(services="s.organisation_id = ANY(%(org_ids)s)")
    + """,
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
),
faceted AS (
    SELECT p.location_id, p.organisation_id, p.service_id, 0::bigint AS facet FROM pair p
  UNION ALL
    SELECT p.location_id, p.organisation_id, p.service_id, f.facet
    FROM pair p JOIN svc_facet f ON f.service_id = p.service_id
)
INSERT INTO orgs_searchentry (facet, location_id, organisation_id, service_id, public_point, visibility,
                              timezone, target_ids, formats, is_free, languages, network_ids)
SELECT p.facet, p.location_id, p.organisation_id, p.service_id, l.public_point, l.visibility, l.timezone,
       COALESCE(t.ids, '{}'),
       COALESCE(s.formats, ARRAY['in_person']::varchar[]),
       COALESCE(s.is_free, true),
       ARRAY(SELECT DISTINCT unnest(l.languages || COALESCE(s.languages, '{}'))),
       org.network_ids
FROM faceted p
JOIN orgs_location l ON l.id = p.location_id
JOIN org ON org.id = p.organisation_id
LEFT JOIN orgs_service s ON s.id = p.service_id
LEFT JOIN svc_targets t ON t.service_id = p.service_id
"""
)

# A radius area is found through a polygon around its circle: 36 points
# projected (geodesically) at the radius times this margin. The polygon's edges
# cut inside the circle by at most 1 - cos(5 degrees) (0.4%), and the sphere of
# the polygon test differs from the WGS84 ellipsoid by under 0.5%: 3% keeps the
# polygon a sure container; the search checks the exact distance.
RADIUS_POLYGON_MARGIN = 1.03
# Beyond this radius (a quarter of the way round the Earth and more) a polygon
# is no longer a safe container; such a service gets the key "radius" instead.
RADIUS_POLYGON_MAX_KM = 5000

# The remote-help rows (models.RemoteEntry) of the published organisations in
# scope: their online and phone services whose area is wider than their places.
_REMOTE_SERVICES = (
    "s.organisation_id = ANY(%(org_ids)s) AND s.formats && ARRAY['online', 'phone']::varchar[]"
    " AND s.area_kind <> 'locations'"
)
_REMOTE_ROWS = (
    "WITH RECURSIVE "  # noqa: S608 - fixed fragments and constants; values are bound parameters
    + _SERVICE_FACETS.format(services=_REMOTE_SERVICES)
    + f""",
area AS (
    SELECT s.id AS service_id,
           CASE s.area_kind WHEN 'city' THEN 1 WHEN 'region' THEN 2 WHEN 'country' THEN 3 WHEN 'anywhere' THEN 4
                ELSE 0 END AS rank,
           CASE s.area_kind WHEN 'city' THEN 'city:' || s.area_place_id WHEN 'region' THEN 'region:' || s.area_region
                WHEN 'country' THEN 'country:' || s.area_country WHEN 'anywhere' THEN 'anywhere'
                ELSE '' END AS area_key,
           CASE WHEN s.area_kind = 'polygon' THEN s.area_polygon END AS area,
           NULL::geography AS centre, NULL::float8 AS radius_m
    FROM orgs_service s
    WHERE {_REMOTE_SERVICES} AND s.area_kind <> 'radius'
  UNION ALL
    SELECT s.id, 0,
           CASE WHEN s.area_radius_km > {RADIUS_POLYGON_MAX_KM} THEN 'radius' ELSE '' END,
           CASE WHEN s.area_radius_km <= {RADIUS_POLYGON_MAX_KM} THEN (
               SELECT ST_Multi(ST_MakePolygon(ST_AddPoint(ring, ST_StartPoint(ring))))::geography
               FROM (SELECT ST_MakeLine(ARRAY(
                   SELECT ST_Project(l.public_point, s.area_radius_km * {1000 * RADIUS_POLYGON_MARGIN},
                                     radians(a))::geometry
                   FROM generate_series(0, 350, 10) AS a ORDER BY a)) AS ring) r
           ) END,
           l.public_point, s.area_radius_km * 1000.0
    FROM orgs_service s
    JOIN orgs_serviceatlocation sal ON sal.service_id = s.id
    JOIN orgs_location l ON l.id = sal.location_id
    WHERE {_REMOTE_SERVICES} AND s.area_kind = 'radius' AND l.public_point IS NOT NULL
),
faceted AS (
    SELECT s.id AS service_id, 0::bigint AS facet
    FROM orgs_service s WHERE {_REMOTE_SERVICES}
  UNION ALL
    SELECT service_id, facet FROM svc_facet
)
INSERT INTO orgs_remoteentry (facet, service_id, organisation_id, rank, area_key, area, centre, radius_m,
                              organisation_name, service_name, target_ids, formats, is_free, languages, network_ids)
SELECT f.facet, s.id, s.organisation_id, a.rank, a.area_key, a.area, a.centre, a.radius_m,
       org.name, s.name, COALESCE(t.ids, '{{}}'), s.formats, s.is_free, s.languages, org.network_ids
FROM faceted f
JOIN orgs_service s ON s.id = f.service_id
JOIN org ON org.id = s.organisation_id
JOIN area a ON a.service_id = s.id
LEFT JOIN svc_targets t ON t.service_id = s.id
"""  # noqa: S608 - fixed fragments and constants; values are bound parameters
)


# Map clusters for zoom levels up to this are precomputed (orgs.search.viewport): at
# zoom 12 a 1000 x 600 pixel map is 16 x 10 cells, a few hundred rows however
# dense the city. Beyond it a viewport is small enough to group live.
MAX_CLUSTER_ZOOM = 12


# The points the clusters count: one per distinct (location, facet) of the
# search rows that meet ``where``. Network facets are stored as minus the
# network id, so "members of a coalition" has cells of its own.
def _cluster_points(where: str = "") -> str:
    return f"""
    SELECT DISTINCT e.location_id, f.facet,
           ST_X(e.public_point::geometry) AS lon, ST_Y(e.public_point::geometry) AS lat
    FROM orgs_searchentry e
    CROSS JOIN LATERAL (
        SELECT e.facet
      UNION ALL
        SELECT -nid FROM unnest(e.network_ids) AS nid WHERE e.facet = 0
    ) f(facet)
    {where}"""  # noqa: S608 - fixed fragments


# The cells of those points at %(zoom)s, written into ``into``; ``sign`` ("" or
# "%(sign)s * ") negates them for the old rows of a refresh.
def _finest_cells(*, into: str, where: str = "", sign: str = "") -> str:
    return f"""
INSERT INTO {into} (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT %(zoom)s, p.facet,
       floor((p.lon + 180) / (90.0 / 2 ^ %(zoom)s))::int AS cx,
       floor((p.lat + 90) / (90.0 / 2 ^ %(zoom)s))::int AS cy,
       {sign}count(*), {sign}sum(p.lon), {sign}sum(p.lat)
FROM ({_cluster_points(where)}
) p
GROUP BY 2, 3, 4
"""  # noqa: S608 - fixed fragments; values are bound parameters


# The cluster-cell counts of the organisations' current search rows: one per
# distinct (location, facet) in each zoom level's grid cell.
_CLUSTER_CELLS = f"""
WITH pts AS ({_cluster_points("WHERE e.organisation_id = ANY(%(org_ids)s)")}
),
cells AS (
    SELECT z AS zoom, p.facet,
           floor((p.lon + 180) / (90.0 / 2 ^ z))::int AS cx,
           floor((p.lat + 90) / (90.0 / 2 ^ z))::int AS cy,
           count(*) AS n, sum(p.lon) AS sum_lon, sum(p.lat) AS sum_lat
    FROM pts p CROSS JOIN generate_series(0, %(max_zoom)s) AS z
    GROUP BY 1, 2, 3, 4
)
"""  # noqa: S608 - fixed fragments; values are bound parameters
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
    coverage.organisations_changing(ids)
    with connection.cursor() as cur:
        cur.execute(_CLUSTER_SUBTRACT, params)
        cur.execute("DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(org_ids)s)", params)
        cur.execute("DELETE FROM orgs_remoteentry WHERE organisation_id = ANY(%(org_ids)s)", params)
        cur.execute(_SELECT_ROWS, params)
        cur.execute(_REMOTE_ROWS, params)
        cur.execute(_CLUSTER_ADD, params)
        cur.execute(_DOCUMENT, params)
    coverage.organisations_changed(ids)


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
    coverage.organisations_changing(ids)
    with connection.cursor() as cur:
        cur.execute(_CLUSTER_SUBTRACT, params)
        cur.execute("DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(org_ids)s)", params)
        cur.execute("DELETE FROM orgs_remoteentry WHERE organisation_id = ANY(%(org_ids)s)", params)
    coverage.organisations_changed(ids)


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


def _everything(sql: str) -> str:
    """The refresh statement for every organisation at once: the scope on a list
    of ids becomes a condition that every row meets (a 600,000-id array would
    cost more than the work)."""
    return sql.replace("= ANY(%(org_ids)s)", "IS NOT NULL")


# Clusters of the whole search table (empty before): the finest zoom from the
# points, then each coarser zoom from the one below (a cell at zoom z - 1 is four
# cells at zoom z: floor(x / 2) = floor(floor(x) / 2)). Thirteen passes over
# the points would cost ten times more.
_CLUSTERS_FINEST = _finest_cells(into="orgs_clustercell")
_CLUSTERS_ROLL_UP = """
INSERT INTO orgs_clustercell (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT %(zoom)s, facet, cx / 2, cy / 2, sum(n), sum(sum_lon), sum(sum_lat)
FROM orgs_clustercell WHERE zoom = %(zoom)s + 1
GROUP BY 2, 3, 4
"""


def rebuild_clusters(progress: Callable[[int, int], None] | None = None) -> None:
    """Recompute every cluster cell from the search rows (after a bulk load)."""
    zooms = list(reversed(range(MAX_CLUSTER_ZOOM + 1)))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM orgs_clustercell")
        for n, zoom in enumerate(zooms):
            if progress:
                progress(n, len(zooms))
            cur.execute(_CLUSTERS_FINEST if n == 0 else _CLUSTERS_ROLL_UP, {"zoom": zoom})
    if progress:
        progress(len(zooms), len(zooms))


def rebuild_remote() -> int:
    """Recompute the remote-help rows of every organisation. Returns the number of rows."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM orgs_remoteentry")
        cur.execute(_everything(_REMOTE_ROWS), {})
        cur.execute("SELECT count(*) FROM orgs_remoteentry")
        return int(cur.fetchone()[0])


# The order reorder() writes the search rows in: by facet, then along a
# space-filling curve (geohash). The GiST index on (facet, public_point) is
# built in heap order, and rows inserted in random order make a tree whose pages
# mix facets and far-apart places: at a million locations a k-nearest scan then
# read 510 pages instead of 54 and took 4-7 ms instead of 0.6 ms (see docs/benchmarks.md,
# Benchmarks).
_REORDER = (
    "CREATE INDEX search_reorder_tmp ON orgs_searchentry (facet, ST_GeoHash(public_point::geometry, 12))",
    "CLUSTER orgs_searchentry USING search_reorder_tmp",
    "DROP INDEX search_reorder_tmp",
    "ANALYZE orgs_searchentry",
)


def reorder() -> None:
    """Rewrite the search rows in (facet, place) order and rebuild their indexes.

    CLUSTER locks the table against reads while it runs (about a minute at a
    million locations, milliseconds at the directory's real size), so this is a
    scheduled job, not part of every write. PostgreSQL refuses CLUSTER while
    the transaction has deferred checks pending on the table, so those checks
    run first; then checks are deferred again, which is where every deferrable
    constraint of the schema starts (tests/test_search_reorder.py checks)."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            for statement in _REORDER:
                cur.execute(statement)
        finally:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def rebuild() -> int:
    """Recompute the derived tables (after bulk loads). Returns the number of search rows.

    Set-based and linear in the size of the directory: every statement is the
    per-organisation refresh with its scope lifted."""
    with connection.cursor() as cur:
        tables = ("orgs_searchentry", "orgs_remoteentry", "orgs_clustercell")
        if connection.in_atomic_block:
            # TRUNCATE refuses to run while the transaction has deferred
            # constraint checks pending; DELETE is slower but always allowed.
            for table in tables:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        else:
            cur.execute(f"TRUNCATE {', '.join(tables)}")
        cur.execute(_everything(_SELECT_ROWS), {})
        cur.execute(_everything(_REMOTE_ROWS), {})
    rebuild_clusters()
    with connection.cursor() as cur:
        cur.execute(_everything(_DOCUMENT), {})
        for table in tables:
            cur.execute(f"ANALYZE {table}")
        cur.execute("SELECT count(*) FROM orgs_searchentry")
        return int(cur.fetchone()[0])


# --- many organisations at once (imports) -------------------------------------------
#
# refresh() scopes every statement with "= ANY(array)": a filter that costs the
# array's length on every row it tests, so a refresh of thousands of
# organisations grows with their square. refresh_many() does the same work with
# the scope in a temporary table (a hash join: linear). The cluster counts are
# changed by their difference only: the cells of the old search rows (negated)
# and of the new ones, at the finest zoom, rolled up to the coarser zooms as in
# rebuild_clusters() (exact: each coarser cell is two finer ones across) and
# summed; a cell whose points did not change is not written.

REFRESH_MANY_MIN = 200  # below this many organisations refresh() is as quick
_SCOPE = "search_refresh_scope"
_CELLS = "search_refresh_cells"
_DELTA = "search_refresh_delta"
_SCOPED_CELLS_FINEST = _finest_cells(
    into=_CELLS,
    where=f"WHERE e.organisation_id IN (SELECT id FROM {_SCOPE})",  # noqa: S608 - a fixed table name
    sign="%(sign)s * ",
)
_SCOPED_CELLS_ROLL_UP = f"""
INSERT INTO {_CELLS} (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT %(zoom)s, facet, cx / 2, cy / 2, sum(n), sum(sum_lon), sum(sum_lat)
FROM {_CELLS} WHERE zoom = %(zoom)s + 1
GROUP BY 2, 3, 4
"""  # noqa: S608 - fixed table names; values are bound parameters
_SCOPED_DELTA = f"""
INSERT INTO {_DELTA} (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT zoom, facet, cx, cy, sum(n), sum(sum_lon), sum(sum_lat)
FROM {_CELLS}
GROUP BY 1, 2, 3, 4
HAVING sum(n) <> 0 OR sum(sum_lon) <> 0 OR sum(sum_lat) <> 0
"""  # noqa: S608 - fixed table names
# Fewer points (or the same number elsewhere in the cell): the cell exists.
_DELTA_SUBTRACT = f"""
UPDATE orgs_clustercell c SET
    n = c.n + d.n, sum_lon = c.sum_lon + d.sum_lon, sum_lat = c.sum_lat + d.sum_lat
FROM {_DELTA} d
WHERE d.n <= 0 AND c.zoom = d.zoom AND c.facet = d.facet AND c.cx = d.cx AND c.cy = d.cy
"""  # noqa: S608 - fixed table names
# More points: an upsert (a proposed row with a negative count would fail the CHECK).
_CLUSTER_UPSERT = """
INSERT INTO orgs_clustercell (zoom, facet, cx, cy, n, sum_lon, sum_lat)
SELECT zoom, facet, cx, cy, n, sum_lon, sum_lat FROM {source} WHERE n > 0 ORDER BY zoom, facet, cx, cy
ON CONFLICT (zoom, facet, cx, cy) DO UPDATE SET
    n = orgs_clustercell.n + EXCLUDED.n,
    sum_lon = orgs_clustercell.sum_lon + EXCLUDED.sum_lon,
    sum_lat = orgs_clustercell.sum_lat + EXCLUDED.sum_lat
"""
_DELTA_ADD = _CLUSTER_UPSERT.format(source=_DELTA)
_CELLS_ADD = _CLUSTER_UPSERT.format(source=_CELLS)  # when nothing was subtracted


# The tables the refresh reads (see analyze_understated).
_SOURCES = (
    "orgs_organisation",
    "orgs_location",
    "orgs_service",
    "orgs_serviceatlocation",
    "orgs_service_categories",
    "orgs_service_target_groups",
    "orgs_membership",
    "orgs_searchentry",
)


def _scoped(sql: str) -> str:
    return sql.replace("= ANY(%(org_ids)s)", f"IN (SELECT id FROM {_SCOPE})")  # noqa: S608 - a fixed table name


def analyze_understated(cur: Any, tables: Iterable[str], rows: int) -> None:
    """ANALYZE the tables whose statistics say they hold fewer than ``rows``
    rows (bulk writers: the number they wrote or will touch). After a bulk
    load into a table the statistics last saw (nearly) empty, the planner
    expects no rows and joins by nested loops over whole tables: minutes
    instead of a second. Run inside the transaction, ANALYZE counts the rows
    it wrote."""
    cur.execute(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' AND reltuples >= 0 AND reltuples < %s",
        [list(tables), rows],
    )
    for (table,) in cur.fetchall():
        cur.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def refresh_many(organisation_ids: Iterable[int]) -> None:
    """``refresh()`` for thousands of organisations at once (an import): the
    same search rows, remote-help rows, cluster counts and search documents, in
    time linear in their number. Inside ``deferred()`` the ids join the pending
    ones, as with refresh()."""
    ids = sorted({int(i) for i in organisation_ids if i is not None})
    if len(ids) < REFRESH_MANY_MIN or getattr(_state, "pending", None) is not None:
        refresh(ids)
        return
    finest = {"zoom": MAX_CLUSTER_ZOOM}
    cells = "(zoom smallint, facet bigint, cx integer, cy integer, n bigint, sum_lon float8, sum_lat float8)"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {_SCOPE}, {_CELLS}, {_DELTA}")
        cur.execute(f"CREATE TEMPORARY TABLE {_SCOPE} (id bigint PRIMARY KEY) ON COMMIT DROP")
        cur.execute(f"CREATE TEMPORARY TABLE {_CELLS} {cells} ON COMMIT DROP")
        cur.execute(f"CREATE TEMPORARY TABLE {_DELTA} {cells} ON COMMIT DROP")
        cur.execute(f"INSERT INTO {_SCOPE} SELECT DISTINCT unnest(%s::bigint[])", [ids])
        cur.execute(f"ANALYZE {_SCOPE}")
        analyze_understated(cur, _SOURCES, len(ids))
        cur.execute(_SCOPED_CELLS_FINEST, {**finest, "sign": -1})
        had_rows = cur.rowcount > 0  # no cells: no search rows (new organisations)
        if had_rows:
            cur.execute(_scoped("DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(org_ids)s)"))
        cur.execute(_scoped("DELETE FROM orgs_remoteentry WHERE organisation_id = ANY(%(org_ids)s)"))
        cur.execute(_scoped(_SELECT_ROWS), {})
        analyze_understated(cur, ["orgs_searchentry"], cur.rowcount)
        cur.execute(_scoped(_REMOTE_ROWS), {})
        cur.execute(_SCOPED_CELLS_FINEST, {**finest, "sign": 1})
        for zoom in reversed(range(MAX_CLUSTER_ZOOM)):
            cur.execute(_SCOPED_CELLS_ROLL_UP, {"zoom": zoom})
        if had_rows:
            cur.execute(_SCOPED_DELTA)
            cur.execute(_DELTA_SUBTRACT)
            cur.execute(_DELTA_ADD)
        else:  # nothing to subtract: the new cells are the difference
            cur.execute(_CELLS_ADD)
        cur.execute(_scoped(_DOCUMENT), {})
        cur.execute(f"DROP TABLE {_SCOPE}, {_CELLS}, {_DELTA}")
    # An import touches towns everywhere: measure them all again, in the import's transaction.
    coverage.refresh_if_computed()

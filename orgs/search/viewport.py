"""Points or clusters for a map viewport, as GeoJSON.

Zoom levels up to MAX_CLUSTER_ZOOM (12: a city's districts) read the
precomputed ``ClusterCell`` rows (maintained by orgs.search.index) when the
only filters are a category or a network, so a viewport costs a screenful of
cells however many locations it holds; every other case is computed from
``SearchEntry`` inside the viewport, where the (facet, public_point) GiST index
bounds the work. Close up, when few locations are in view, individual points
are returned. Every position is a public one.

The answer is documented in the OpenAPI schema by api/viewport.py
(django-rest-framework-gis feature serializers).
"""

from __future__ import annotations

import math
from typing import Any

from django.db import connections, router

from orgs.models import ClusterCell, SearchEntry
from orgs.search.filters import SearchFilters, row_conditions
from orgs.search.index import MAX_CLUSTER_ZOOM

# Beyond this many locations in view, the answer is clusters (keeps a response
# near 100 KB whatever the data).
MAX_POINTS = 400
# Grid cells are 90 / 2**zoom degrees: about 64 screen pixels at that zoom.
CELLS_PER_DEGREE_AT_ZOOM0 = 1 / 90

BBox = tuple[float, float, float, float]


def snapped(bbox: BBox, zoom: int) -> BBox:
    """The box widened outward to a grid of two cluster cells (180 / 2**zoom
    degrees). Visitors looking at neighbouring views then ask for the same
    boxes, which the browser and the nginx micro-cache can answer from one
    copy; locator-map.js snaps its requests the same way (the grid values are
    exact binary fractions, so both sides compute the same numbers)."""
    grid = 180 / 2**zoom

    def down(value: float) -> float:
        # The division can underflow for values next to zero; never move inward.
        edge = math.floor(value / grid) * grid
        return edge if edge <= value else edge - grid

    def up(value: float) -> float:
        edge = math.ceil(value / grid) * grid
        return edge if edge >= value else edge + grid

    minlon, minlat, maxlon, maxlat = bbox
    south, north = max(-90.0, down(minlat)), min(90.0, up(maxlat))
    west, east = max(-180.0, down(minlon)), min(180.0, up(maxlon))
    if minlon > maxlon and west <= east:
        # A box across the antimeridian that widening closed: the whole world.
        west, east = -180.0, 180.0
    return (west, south, east, north)


def _boxes(bbox: BBox) -> list[BBox]:
    """Split a box that crosses the antimeridian (minlon > maxlon) in two."""
    minlon, minlat, maxlon, maxlat = bbox
    if minlon <= maxlon:
        return [bbox]
    return [(minlon, minlat, 180.0, maxlat), (-180.0, minlat, maxlon, maxlat)]


def _envelope_condition(bbox: BBox, params: dict[str, Any], column: str) -> str:
    parts = []
    for i, (x1, y1, x2, y2) in enumerate(_boxes(bbox)):
        params.update({f"x1_{i}": x1, f"y1_{i}": y1, f"x2_{i}": x2, f"y2_{i}": y2})
        parts.append(f"{column} && ST_MakeEnvelope(%(x1_{i})s, %(y1_{i})s, %(x2_{i})s, %(y2_{i})s, 4326)::geography")
    return "(" + " OR ".join(parts) + ")"


def _facet_for(filters: SearchFilters) -> int | None:
    """The single precomputed facet that answers these filters, if there is one."""
    other = filters.target_ids or filters.formats or filters.free or filters.open_now or filters.languages
    if other or len(filters.facets) > 1 or len(filters.network_ids) > 1:
        return None
    if filters.facets and filters.network_ids:
        return None
    if filters.facets:
        return filters.facets[0]
    if filters.network_ids:
        return -filters.network_ids[0]
    return 0


def viewport_features(*, bbox: BBox, zoom: int, filters: SearchFilters) -> dict[str, Any]:
    bbox = snapped(bbox, zoom)
    facet = _facet_for(filters)
    if zoom <= MAX_CLUSTER_ZOOM and facet is not None:
        clusters = _precomputed_clusters(bbox=bbox, zoom=zoom, facet=facet)
        if sum(c[2] for c in clusters) > MAX_POINTS:
            return _collection("clusters", [_cluster_feature(*c) for c in clusters])
    points = _points(bbox=bbox, filters=filters, limit=MAX_POINTS + 1)
    if len(points) <= MAX_POINTS:
        return _collection("points", [_point_feature(p) for p in points])
    return _collection(
        "clusters", [_cluster_feature(*c) for c in _live_clusters(bbox=bbox, zoom=zoom, filters=filters)]
    )


def _collection(mode: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "mode": mode, "features": features}


def _cluster_feature(lon: float, lat: float, count: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": {"cluster": True, "count": count},
    }


def _point_feature(row: tuple[Any, ...]) -> dict[str, Any]:
    location_id, lon, lat, visibility, org_slug, org_name, loc_name, city = row
    return {
        "type": "Feature",
        "id": location_id,
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": {
            "cluster": False,
            "location_id": location_id,
            "visibility": visibility,
            "organisation": org_slug,
            "organisation_name": org_name,
            "name": loc_name,
            "city": city,
        },
    }


def _precomputed_clusters(*, bbox: BBox, zoom: int, facet: int) -> list[tuple[float, float, int]]:
    size = 90.0 / 2**zoom
    conds, params = [], {"zoom": zoom, "facet": facet}
    for i, (x1, y1, x2, y2) in enumerate(_boxes(bbox)):
        params.update(
            {
                f"cx1_{i}": int((x1 + 180) // size),
                f"cx2_{i}": int((x2 + 180) // size),
                f"cy1_{i}": int((y1 + 90) // size),
                f"cy2_{i}": int((y2 + 90) // size),
            }
        )
        conds.append(f"(cx BETWEEN %(cx1_{i})s AND %(cx2_{i})s AND cy BETWEEN %(cy1_{i})s AND %(cy2_{i})s)")
    sql = f"""
        SELECT sum_lon / n, sum_lat / n, n FROM orgs_clustercell
        WHERE zoom = %(zoom)s AND facet = %(facet)s::bigint AND n > 0 AND ({" OR ".join(conds)})
    """  # noqa: S608 - fixed fragments; values are bound parameters
    with connections[router.db_for_read(ClusterCell)].cursor() as cur:
        cur.execute(sql, params)
        return [(lon, lat, n) for lon, lat, n in cur.fetchall()]


def _search_conditions(bbox: BBox, filters: SearchFilters, params: dict[str, Any]) -> str:
    conds = [_envelope_condition(bbox, params, "e.public_point"), *row_conditions(filters, params)]
    params["facets"] = list(filters.facets or (0,))
    conds.append("e.facet = ANY(%(facets)s::bigint[])")
    return " AND ".join(conds)


def _points(*, bbox: BBox, filters: SearchFilters, limit: int) -> list[tuple[Any, ...]]:
    params: dict[str, Any] = {"limit": limit}
    where = _search_conditions(bbox, filters, params)
    sql = f"""
        SELECT l.id, ST_X(l.public_point::geometry), ST_Y(l.public_point::geometry), l.visibility,
               o.slug, o.name, l.name, l.city
        FROM (SELECT DISTINCT e.location_id FROM orgs_searchentry e WHERE {where} LIMIT %(limit)s) hit
        JOIN orgs_location l ON l.id = hit.location_id
        JOIN orgs_organisation o ON o.id = l.organisation_id
        ORDER BY l.id
    """  # noqa: S608 - fixed fragments; values are bound parameters
    with connections[router.db_for_read(SearchEntry)].cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _live_clusters(*, bbox: BBox, zoom: int, filters: SearchFilters) -> list[tuple[float, float, int]]:
    params: dict[str, Any] = {"size": 90.0 / 2**zoom}
    where = _search_conditions(bbox, filters, params)
    sql = f"""
        WITH pts AS (
            SELECT DISTINCT e.location_id, ST_X(e.public_point::geometry) AS lon, ST_Y(e.public_point::geometry) AS lat
            FROM orgs_searchentry e WHERE {where}
        )
        SELECT avg(lon), avg(lat), count(*)
        FROM pts
        GROUP BY floor((lon + 180) / %(size)s), floor((lat + 90) / %(size)s)
    """  # noqa: S608 - fixed fragments; values are bound parameters
    with connections[router.db_for_read(SearchEntry)].cursor() as cur:
        cur.execute(sql, params)
        return [(lon, lat, n) for lon, lat, n in cur.fetchall()]

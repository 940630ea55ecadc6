"""The SQL of the coverage measure, shared by the full recompute, the
incremental update and the filtered reads (so the three cannot measure
differently)."""

from __future__ import annotations

from typing import Any

from orgs.search.filters import SearchFilters, row_conditions

# Upper bounds of the distance bands, in km; a town beyond the last or with no
# help at all is "beyond".
BANDS_KM = (10, 25, 50, 100, 300)
BAND_KEYS = (*[str(b) for b in BANDS_KM], "beyond")

# Only places where help is given in person count for the distance.
IN_PERSON = "'in_person'::varchar = ANY(e.formats)"

# A gazetteer town's region key as the service areas spell it ("RU.48").
REGION = "CASE WHEN p.admin1_code <> '' THEN p.country_code || '.' || p.admin1_code ELSE p.country_code END"


def filter_conditions(filters: SearchFilters, params: dict[str, Any]) -> str:
    """The target-group, free and coalition filters as conditions on rows ``e``
    (search rows or remote rows: both carry the same columns)."""
    return "".join(f" AND {c}" for c in row_conditions(filters, params))


def nearest_sql(*, source: str, conds: str = "") -> str:
    """(place_id, facet, distance_m, location_id) for each row of ``source``
    (columns place_id, facet, point): the exact WGS84 geodesic distance to the
    nearest matching in-person search row.

    Two index probes per row on the (facet, public_point) GiST index: the KNN
    order is on a sphere, so its first row is only a candidate; its geodesic
    distance g bounds the answer, and every row within g geodesically is then
    read (a disc of that radius, usually one row) and the least taken. Exact,
    with no margin to tune."""
    on = f"e.facet = s.facet AND {IN_PERSON}{conds}"
    return f"""
SELECT s.place_id, s.facet, b.d AS distance_m, b.location_id
FROM ({source}) s
LEFT JOIN LATERAL (
    SELECT ST_Distance(e.public_point, s.point) AS g
    FROM orgs_searchentry e
    WHERE {on}
    ORDER BY e.public_point <-> s.point
    LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT e.location_id, ST_Distance(e.public_point, s.point) AS d
    FROM orgs_searchentry e
    WHERE {on} AND ST_DWithin(e.public_point, s.point, c.g + 0.01)
    ORDER BY 2, 1
    LIMIT 1
) b ON c.g IS NOT NULL
"""  # noqa: S608 - fixed fragments; values are bound parameters


def remote_pairs_sql(*, conds: str = "", places: str = "orgs_place") -> str:
    """(facet, place_id) pairs where remote help covers the town: an online or
    phone service for anywhere, the town's country, region or the town itself
    (equality on the area key), within a radius of one of its locations, or in
    a drawn area. ``conds`` narrows the remote rows ``e`` (facets, filters);
    ``places`` is the set of towns (a table or subquery with the Place columns)."""
    return f"""
SELECT r.facet, k.place_id
FROM (SELECT DISTINCT e.facet, e.area_key FROM orgs_remoteentry e
      WHERE e.area IS NULL AND e.area_key <> 'radius'{conds}) r
JOIN (SELECT p.geonameid AS place_id,
             unnest(ARRAY['anywhere', 'country:' || p.country_code, 'region:' || {REGION},
                          'city:' || p.geonameid]) AS key
      FROM {places} p) k ON k.key = r.area_key
UNION
SELECT e.facet, p.geonameid
FROM orgs_remoteentry e JOIN {places} p ON ST_DWithin(e.centre, p.point, e.radius_m)
WHERE e.centre IS NOT NULL{conds}
UNION
SELECT e.facet, p.geonameid
FROM orgs_remoteentry e JOIN {places} p ON ST_Covers(e.area, p.point)
WHERE e.area IS NOT NULL AND e.centre IS NULL{conds}
"""  # noqa: S608 - fixed fragments; values are bound parameters


def band_sql(distance: str) -> str:
    """The band index (0 = within 10 km … 5 = beyond 300 km or none) of a distance in metres."""
    whens = " ".join(f"WHEN {distance} <= {km * 1000} THEN {i}" for i, km in enumerate(BANDS_KM))
    return f"CASE WHEN {distance} IS NULL THEN {len(BANDS_KM)} {whens} ELSE {len(BANDS_KM)} END"


def band_of(distance_m: float | None) -> str:
    """The band key of a distance (the Python twin of band_sql)."""
    if distance_m is None:
        return "beyond"
    for km in BANDS_KM:
        if distance_m <= km * 1000:
            return str(km)
    return "beyond"

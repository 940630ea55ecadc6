"""The SQL of the search probes: the index-ordered nearest candidates, the
remote-help candidates by service area and the Active People Centres covering
a point, with the rule that says when enough candidates were read. The nearest
statement (``nearest``) embeds them; ``reference`` runs them on their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from orgs import models as m
from orgs.search.filters import SearchFilters, row_conditions

# PostGIS orders geography KNN by distance on a sphere; the answer must be
# ordered by WGS84 geodesic distance. The two differ by well under 1% (the
# sphere's mean radius against the ellipsoid), so a location whose sphere
# distance exceeds the k-th geodesic distance by more than this margin can
# not belong to the k nearest.
SPHERE_MARGIN = 0.01


def nearest_candidates_sql(*, filters: SearchFilters, params: dict[str, Any], max_m: float | None) -> str:
    """The index-ordered candidate rows: (location_id, knn, geodesic, service_id),
    at most ``%(limit)s`` of them, nearest first on the sphere. ``params`` gets
    the values (``origin`` and ``limit`` are the caller's)."""
    conds = row_conditions(filters, params)
    if max_m is not None:
        conds.append("ST_DWithin(e.public_point, %(origin)s::geography, %(max_m)s)")
        params["max_m"] = max_m
    extra = "".join(f" AND {c}" for c in conds)
    facets = filters.facets or (0,)
    parts = []
    for i, facet in enumerate(facets):
        params[f"facet{i}"] = facet
        parts.append(
            f"""(SELECT e.location_id, e.service_id, e.public_point <-> %(origin)s::geography AS knn,
                        e.public_point
                 FROM orgs_searchentry e
                 WHERE e.facet = %(facet{i})s::bigint{extra}
                 ORDER BY e.public_point <-> %(origin)s::geography
                 LIMIT %(limit)s)"""  # noqa: S608 - fixed fragments; values are bound parameters
        )
    union = "\nUNION ALL\n".join(parts)
    return f"""
        SELECT u.location_id, u.knn, ST_Distance(u.public_point, %(origin)s::geography) AS geodesic, u.service_id
        FROM ({union}) u
        ORDER BY u.knn
        LIMIT %(limit)s
    """  # noqa: S608 - fixed fragments; values are bound parameters


def nearest_is_complete(
    *, rows: int, limit: int, last_knn: float | None, k: int, found: int, kth_m: float | None
) -> bool:
    """Whether ``limit`` candidate rows were enough: every row not fetched lies
    further on the sphere than the last one, so by SPHERE_MARGIN none of them
    can beat the k-th geodesic distance found."""
    if rows < limit:
        return True
    return found == k and kth_m is not None and last_knn is not None and kth_m <= last_knn * (1 - SPHERE_MARGIN)


def first_limit(k: int) -> int:
    return max(4 * k, 16)


# Narrow areas first, then by organisation and service name (columns of remote_candidates_sql, as ``d``).
REMOTE_ORDER = "d.rank, d.organisation_name, d.service_name, d.service_id"


def remote_candidates_sql(*, filters: SearchFilters, params: dict[str, Any], keys: Sequence[str]) -> str:
    """Remote-help candidates from RemoteEntry, one row per service:
    (service_id, rank, organisation_name, service_name), not yet ordered or cut.

    Per facet, one index probe for each area key (SQL expressions: bound
    parameters or subqueries, e.g. "anywhere", "country:RU"), each stopping
    after ``%(limit)s`` rows in display order, and one GiST probe for the drawn
    areas and radii containing the origin. The work is bounded by the limit,
    not by the size of the directory."""
    # Opening hours belong to places; remote help has no "open now".
    extra = "".join(f" AND {c}" for c in row_conditions(replace(filters, open_now=False), params))
    in_radius = "ST_DWithin(e.centre, %(origin)s::geography, e.radius_m)"
    parts = []
    for i, facet in enumerate(filters.facets or (0,)):
        params[f"facet{i}"] = facet
        on_facet = f"e.facet = %(facet{i})s::bigint{extra}"
        parts += [
            f"""(SELECT e.service_id, e.rank, e.organisation_name, e.service_name
                 FROM orgs_remoteentry e
                 WHERE {on_facet} AND e.area_key = {key} AND e.area IS NULL
                 ORDER BY e.organisation_name, e.service_name, e.service_id
                 LIMIT %(limit)s)"""  # noqa: S608 - fixed fragments; values are bound parameters
            for key in keys
        ]
        # Radii too wide for a polygon, and the drawn areas and radii whose
        # polygon contains the origin. A radius service has a row per location:
        # one per service before the limit.
        parts += [
            f"""(SELECT * FROM (
                     SELECT DISTINCT ON (e.service_id) e.service_id, e.rank, e.organisation_name, e.service_name
                     FROM orgs_remoteentry e
                     WHERE {on_facet} AND {where}
                     ORDER BY e.service_id) s
                 ORDER BY s.organisation_name, s.service_name, s.service_id
                 LIMIT %(limit)s)"""  # noqa: S608 - fixed fragments; values are bound parameters
            for where in (
                f"e.area_key = 'radius' AND e.area IS NULL AND {in_radius}",
                "e.area IS NOT NULL AND e.area && %(origin)s::geography AND CASE WHEN e.centre IS NULL"
                f" THEN ST_Covers(e.area, %(origin)s::geography) ELSE {in_radius} END",
            )
        ]
    union = "\nUNION ALL\n".join(parts)
    return f"""
        SELECT DISTINCT ON (u.service_id) u.service_id, u.rank, u.organisation_name, u.service_name
        FROM ({union}) u
        ORDER BY u.service_id, u.rank
    """  # noqa: S608 - fixed fragments; values are bound parameters


# Reaching a point: inside the territory, or within the radius of the centre.
# Each branch is served by its GiST index; the radius branch first asks for the
# widest radius a centre may have (a database constraint), as an index cannot
# search by a radius that differs per row.
CENTRES_COVERING_SQL = f"""
    SELECT c.id FROM orgs_activepeoplecentre c
    WHERE c.territory IS NOT NULL AND ST_Covers(c.territory, %(origin)s::geography)
  UNION
    SELECT c.id FROM orgs_activepeoplecentre c
    WHERE ST_DWithin(c.centre, %(origin)s::geography, {m.CENTRE_MAX_RADIUS_M})
      AND ST_DWithin(c.centre, %(origin)s::geography, c.radius_m)
"""  # noqa: S608 - a constant

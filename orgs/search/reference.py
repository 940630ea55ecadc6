"""The test oracle of the nearest search: the same answer as
``orgs.search.nearest`` built with the ORM, one probe at a time and readable.

No request calls these any more (``GET /api/v1/nearest`` runs the one
statement of ``nearest``). ``tests/test_nearest_json.py`` checks the statement
against them on the same data, ``tests/test_remote_services.py`` and the
benchmark (``orgs/bench``) use them as the reference ranking. Change a rule here
and in the statement together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.db import connections, router

from orgs import models as m
from orgs.geo import public_distance_m
from orgs.search.filters import SearchFilters
from orgs.search.sql import (
    CENTRES_COVERING_SQL,
    REMOTE_ORDER,
    first_limit,
    nearest_candidates_sql,
    nearest_is_complete,
    remote_candidates_sql,
)
from orgs.selectors import memberships_public


@dataclass
class NearestHit:
    location: m.Location
    distance_m: float  # geodesic metres from the public point, unrounded
    service_ids: list[int] = field(default_factory=list)
    open_now: bool | None = None

    @property
    def public_distance_m(self) -> int:
        return public_distance_m(self.distance_m, self.location.visibility)


def _nearest_rows(
    *, origin: Point, filters: SearchFilters, limit: int, max_m: float | None
) -> list[tuple[int, float, float, int | None]]:
    """Up to ``limit`` index-ordered rows: (location_id, sphere_m, geodesic_m, service_id)."""
    params: dict[str, Any] = {"origin": bytes(origin.ewkb), "limit": limit}
    sql = nearest_candidates_sql(filters=filters, params=params, max_m=max_m)
    with connections[router.db_for_read(m.SearchEntry)].cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def locations_nearest(
    *, origin: Point, filters: SearchFilters, k: int = 10, max_m: float | None = None
) -> list[NearestHit]:
    """The ``k`` published locations nearest to ``origin`` that offer matching help,
    nearest first by WGS84 geodesic distance from their public position.

    The index yields rows in spherical order; we keep fetching until the rows
    not yet seen cannot beat the k-th geodesic distance (see SPHERE_MARGIN).
    Always the k nearest: there is no radius unless ``max_m`` is given.
    """
    limit = first_limit(k)
    while True:
        rows = _nearest_rows(origin=origin, filters=filters, limit=limit, max_m=max_m)
        best: dict[int, float] = {}
        services: dict[int, set[int]] = {}
        for location_id, _knn, geodesic, service_id in rows:
            if location_id not in best or geodesic < best[location_id]:
                best[location_id] = geodesic
            if service_id is not None:
                services.setdefault(location_id, set()).add(service_id)
        ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))[:k]
        if nearest_is_complete(
            rows=len(rows),
            limit=limit,
            last_knn=rows[-1][1] if rows else None,
            k=k,
            found=len(ranked),
            kth_m=ranked[-1][1] if ranked else None,
        ):
            break
        limit *= 4

    hits_by_id = {loc_id: NearestHit(location=None, distance_m=dist) for loc_id, dist in ranked}  # type: ignore[arg-type]
    locations = (
        m.Location.objects.filter(pk__in=hits_by_id)
        .select_related("organisation")
        .prefetch_related("hours", memberships_public("organisation__memberships"))
    )
    for loc in locations:
        hit = hits_by_id[loc.pk]
        hit.location = loc
        hit.service_ids = sorted(services.get(loc.pk, ()))
    return [hits_by_id[loc_id] for loc_id, _ in ranked]


@dataclass(frozen=True)
class OriginArea:
    """Where an origin lies, as the gazetteer knows it (for service areas)."""

    country: str
    region_code: str
    place_id: int | None


def services_remote(
    *, origin: Point, area: OriginArea | None, filters: SearchFilters, limit: int = 20
) -> list[m.Service]:
    """Online and phone services of published organisations whose service area
    covers the origin: anywhere, its country, its region, its city, a radius
    around one of their locations, or a drawn polygon containing it.

    Narrow areas first (a drawn area or a radius, then the city, the region,
    the country, anywhere), then by organisation and service name."""
    ids = _remote_service_ids(origin=origin, area=area, filters=filters, limit=limit)
    found = (
        m.Service.objects.filter(pk__in=ids)
        .select_related("organisation")
        .prefetch_related("categories", "target_groups", memberships_public("organisation__memberships"))
    )
    by_id = {s.pk: s for s in found}
    return [by_id[i] for i in ids if i in by_id]


def _remote_service_ids(*, origin: Point, area: OriginArea | None, filters: SearchFilters, limit: int) -> list[int]:
    """The ids for services_remote (see remote_candidates_sql)."""
    params: dict[str, Any] = {"origin": bytes(origin.ewkb), "limit": limit}
    keys = ["anywhere"]
    if area is not None:
        keys += [f"country:{area.country}", f"region:{area.region_code}"]
        if area.place_id is not None:
            keys.append(f"city:{area.place_id}")
    for j, key in enumerate(keys):
        params[f"key{j}"] = key
    inner = remote_candidates_sql(filters=filters, params=params, keys=[f"%(key{j})s" for j in range(len(keys))])
    sql = f"SELECT d.service_id FROM ({inner}) d ORDER BY {REMOTE_ORDER} LIMIT %(limit)s"  # noqa: S608
    with connections[router.db_for_read(m.RemoteEntry)].cursor() as cur:
        cur.execute(sql, params)
        return [row[0] for row in cur.fetchall()]


def centres_covering(*, origin: Point) -> list[m.ActivePeopleCentre]:
    """Active People Centres of published hosts whose territory contains the origin, by name."""
    with connections[router.db_for_read(m.ActivePeopleCentre)].cursor() as cur:
        cur.execute(CENTRES_COVERING_SQL, {"origin": bytes(origin.ewkb)})
        ids = [row[0] for row in cur.fetchall()]
    return list(
        m.ActivePeopleCentre.objects.filter(pk__in=ids, host__status=m.PublicationStatus.PUBLISHED)
        .select_related("host")
        .prefetch_related("helps_with", memberships_public("host__memberships"))
        .order_by("name", "pk")
    )

"""Reads for the public: the nearest-help search and what it returns.

Only published organisations are ever returned, and only public positions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.gis.geos import Point
from django.db import connections, router
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from orgs import models as m
from orgs.geo import public_distance_m

# PostGIS orders geography KNN by distance on a sphere; the answer must be
# ordered by WGS84 geodesic distance. The two differ by well under 1% (the
# sphere's mean radius against the ellipsoid), so a location whose sphere
# distance exceeds the k-th geodesic distance by more than this margin can
# not belong to the k nearest.
SPHERE_MARGIN = 0.01


@dataclass(frozen=True)
class SearchFilters:
    """Filters shared by the nearest search, the map and the organisation list.

    ``facets`` are category ids (each matches its sub-categories too); the
    other id lists are already resolved from slugs by the caller.
    """

    facets: tuple[int, ...] = ()
    target_ids: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    free: bool = False
    open_now: bool = False
    languages: tuple[str, ...] = ()
    network_ids: tuple[int, ...] = ()
    now: dt.datetime | None = None

    @property
    def has_service_filter(self) -> bool:
        return bool(self.facets or self.target_ids or self.formats or self.free or self.languages)


@dataclass
class NearestHit:
    location: m.Location
    distance_m: float  # geodesic metres from the public point, unrounded
    service_ids: list[int] = field(default_factory=list)
    open_now: bool | None = None

    @property
    def public_distance_m(self) -> int:
        return public_distance_m(self.distance_m, self.location.visibility)


# --- taxonomy ---------------------------------------------------------------------


def category_descendant_ids(category_ids: Iterable[int]) -> set[int]:
    """The categories and all categories below them."""
    ids = {int(i) for i in category_ids}
    if not ids:
        return set()
    with connections[router.db_for_read(m.Category)].cursor() as cur:
        cur.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT id FROM orgs_category WHERE id = ANY(%s)
              UNION
                SELECT c.id FROM orgs_category c JOIN down d ON c.parent_id = d.id
            ) SELECT id FROM down
            """,
            [list(ids)],
        )
        return {row[0] for row in cur.fetchall()}


# --- the nearest search -------------------------------------------------------------


def row_conditions(filters: SearchFilters, params: dict[str, Any]) -> list[str]:
    """WHERE conditions on orgs_searchentry rows (aliased ``e``) for the non-facet filters."""
    conds: list[str] = []
    if filters.target_ids:
        # Cast to the column's type: a parameter of another integer type makes
        # PostgreSQL fall back from an index condition to a filter.
        conds.append("e.target_ids && %(target_ids)s::bigint[]")
        params["target_ids"] = list(filters.target_ids)
    if filters.formats:
        conds.append("e.formats && %(formats)s::varchar[]")
        params["formats"] = list(filters.formats)
    if filters.free:
        conds.append("e.is_free")
    if filters.languages:
        conds.append("e.languages && %(languages)s::varchar[]")
        params["languages"] = list(filters.languages)
    if filters.network_ids:
        conds.append("e.network_ids && %(network_ids)s::bigint[]")
        params["network_ids"] = list(filters.network_ids)
    if filters.open_now:
        conds.append(f"({OPEN_NOW_SQL})")
        params["now"] = filters.now or timezone.now()
    return conds


# Whether a location is open at %(now)s in its own time zone: whether an
# opening-hours row ``h`` covers the local time ``local.t``, on the row's own
# weekday or, for an interval whose closing time is not after its opening time
# (it runs past midnight), on the day after.
_OPEN_ROW = """(
        (h.weekday = EXTRACT(ISODOW FROM local.t)::int - 1
         AND local.t::time >= h.opens
         AND (h.closes > h.opens AND local.t::time < h.closes OR h.closes <= h.opens))
     OR (h.closes <= h.opens
         AND h.weekday = (EXTRACT(ISODOW FROM local.t)::int + 5) %% 7
         AND local.t::time < h.closes)
    )"""


def _hours_rows(location_id: str, timezone: str) -> str:
    return f"""FROM orgs_openinghours h
    CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE {timezone}) AS t) local
    WHERE h.location_id = {location_id}"""


def open_now_sql(*, location_id: str = "e.location_id", timezone: str = "e.timezone") -> str:
    """The SQL condition, for a row whose location id and time zone are these columns."""
    return f"""
EXISTS (
    SELECT 1 {_hours_rows(location_id, timezone)} AND {_OPEN_ROW}
)
"""


def open_now_value_sql(*, location_id: str, timezone: str) -> str:
    """true or false, or NULL for a location with no opening hours (unknown),
    in one scan of its hours."""
    return f"""(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE coalesce(bool_or({_OPEN_ROW}), false) END
    {_hours_rows(location_id, timezone)})"""


OPEN_NOW_SQL = open_now_sql()


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


def _nearest_rows(
    *, origin: Point, filters: SearchFilters, limit: int, max_m: float | None
) -> list[tuple[int, float, float, int | None]]:
    """Up to ``limit`` index-ordered rows: (location_id, sphere_m, geodesic_m, service_id)."""
    params: dict[str, Any] = {"origin": bytes(origin.ewkb), "limit": limit}
    sql = nearest_candidates_sql(filters=filters, params=params, max_m=max_m)
    with connections[router.db_for_read(m.SearchEntry)].cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


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


def is_open(location: m.Location, now: dt.datetime | None = None) -> bool | None:
    """Open now in the location's own time zone; None when it has no hours."""
    hours = list(location.hours.all())
    if not hours:
        return None
    import zoneinfo

    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(location.timezone))
    today, t = local.weekday(), local.time()
    yesterday = (today - 1) % 7
    for h in hours:
        overnight = h.closes <= h.opens
        if h.weekday == today and t >= h.opens and (overnight or t < h.closes):
            return True
        if overnight and h.weekday == yesterday and t < h.closes:
            return True
    return False


# --- help without a visit, and Active People Centres ------------------------------


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


# --- organisations ------------------------------------------------------------------


def organisations_public() -> QuerySet[m.Organisation]:
    return m.Organisation.objects.filter(status=m.PublicationStatus.PUBLISHED)


def memberships_public(lookup: str = "memberships") -> Prefetch:
    """Active memberships with their network, as ``active_memberships`` on each organisation."""
    return Prefetch(
        lookup,
        queryset=m.Membership.objects.filter(status=m.MembershipStatus.ACTIVE).select_related("network").order_by("pk"),
        to_attr="active_memberships",
    )


def organisations_search(
    *,
    network: str | None = None,
    category: str | None = None,
    target: str | None = None,
    city: str | None = None,
    region: str | None = None,
    country: str | None = None,
    q: str | None = None,
    limit: int = 100,
    page: int = 1,
) -> list[m.Organisation]:
    """Published organisations by filters and Russian text.

    ``q`` matches word by word: a word matches by its Russian stem (full text,
    "психологов" finds "психолог") or, for typos, by trigram word similarity
    ("психолг"). ё and е are the same letter here.
    """
    qs = organisations_public()
    if network:
        qs = qs.filter(memberships__network__slug=network, memberships__status=m.MembershipStatus.ACTIVE)
    if category:
        ids = m.Category.objects.filter(slug=category).values_list("pk", flat=True)
        qs = qs.filter(services__categories__in=category_descendant_ids(ids))
    if target:
        qs = qs.filter(services__target_groups__slug=target)
    if city:
        qs = qs.filter(locations__city__iexact=city)
    if region:
        qs = qs.filter(locations__region__iexact=region)
    if country:
        qs = qs.filter(country=country.upper())
    if q:
        words = [w for w in q.lower().replace("ё", "е").split() if w][:8]
        for word in words:
            qs = qs.extra(
                where=[
                    "(to_tsvector('russian', orgs_organisation.search_document) @@ plainto_tsquery('russian', %s)"
                    " OR %s <%% orgs_organisation.search_document)"
                ],
                params=[word, word],
            )
    # By name, then id: a stable order, so that pages neither skip nor repeat.
    start = (page - 1) * limit
    return list(qs.distinct().order_by("name", "pk").prefetch_related(memberships_public())[start : start + limit])

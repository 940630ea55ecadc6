"""Reads of the coverage: aggregates per country, region and the whole
directory, and the per-town rows, for one facet and the optional filters.

Precomputed: every facet ("any help" and each category, which counts its
sub-categories) with no other filter, in models.CoverageTown; an answer is
then one aggregate over about ten thousand stored rows. With a target group,
a coalition or "free only" the towns are measured on read by the same SQL as
the stored rows (orgs.coverage.sql), and the per-town rows are kept in the
shared cache until the stored coverage changes: the filter combinations are
too many to store (categories x target groups x coalitions x free), and few of
them are ever asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connections, router

from orgs import models as m
from orgs.coverage.sql import BAND_KEYS, BANDS_KM, REGION, band_sql, filter_conditions, nearest_sql, remote_pairs_sql
from orgs.search.filters import SearchFilters

LARGEST_BEYOND_KM = 100
LARGEST_COUNT = 20
FILTERED_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class CoverageQuery:
    facet: int = 0  # 0: any help
    target_id: int | None = None
    network_id: int | None = None
    free: bool = False

    @property
    def precomputed(self) -> bool:
        return self.target_id is None and self.network_id is None and not self.free

    def search_filters(self) -> SearchFilters:
        return SearchFilters(
            target_ids=(self.target_id,) if self.target_id else (),
            network_ids=(self.network_id,) if self.network_id else (),
            free=self.free,
        )


@dataclass
class Totals:
    code: str
    country: str
    towns: int = 0
    population: int = 0
    bands: dict[str, int] = field(default_factory=dict)  # population per band key
    beyond_50: int = 0
    beyond_50_no_remote: int = 0
    beyond_100: int = 0
    beyond_100_no_remote: int = 0

    def share(self, value: int) -> float:
        return round(value / self.population, 4) if self.population else 0.0


@dataclass
class TownRow:
    geonameid: int
    name: str
    name_ru: str
    country: str
    region: str
    population: int
    lat: float
    lon: float
    distance_m: float | None
    remote: bool

    @property
    def band(self) -> str:
        from orgs.coverage.sql import band_of

        return band_of(self.distance_m)

    @property
    def distance_km(self) -> float | None:
        return None if self.distance_m is None else round(self.distance_m / 1000, 1)


@dataclass
class Coverage:
    computed_at: dt.datetime | None
    updated_at: dt.datetime | None
    total: Totals
    countries: list[Totals]
    regions: list[Totals]
    largest_beyond_100: list[TownRow]


def _cursor() -> Any:
    return connections[router.db_for_read(m.CoverageTown)].cursor()


def coverage_run() -> m.CoverageRun | None:
    return m.CoverageRun.objects.using(router.db_for_read(m.CoverageRun)).filter(pk=1).first()


_TOWN_COLUMNS = f"""p.geonameid, p.name, p.name_ru, p.country_code, {REGION} AS region, p.population,
    ST_Y(p.point::geometry) AS lat, ST_X(p.point::geometry) AS lon"""


def _rows_source(query: CoverageQuery, params: dict[str, Any], run: m.CoverageRun | None) -> str:
    """SQL of (place_id, distance_m, remote) per town for the query."""
    params["facet"] = query.facet
    if query.precomputed:
        return "SELECT c.place_id, c.distance_m, c.remote FROM orgs_coveragetown c WHERE c.facet = %(facet)s"
    return _filtered_rows(query, params, run)


def _filtered_rows(query: CoverageQuery, params: dict[str, Any], run: m.CoverageRun | None) -> str:
    """Measured on read (see the module docstring), then kept as a VALUES list in the cache."""
    key = _cache_key("rows", query, run)
    rows: list[tuple[int, float | None, bool]] | None = cache.get(key)
    if rows is None:
        qp: dict[str, Any] = {"facet": query.facet}
        conds = filter_conditions(query.search_filters(), qp)
        source = "SELECT p.geonameid AS place_id, %(facet)s::bigint AS facet, p.point FROM orgs_place p"
        sql = f"""
            SELECT n.place_id, n.distance_m, r.place_id IS NOT NULL
            FROM ({nearest_sql(source=source, conds=conds)}) n
            LEFT JOIN ({remote_pairs_sql(conds=" AND e.facet = %(facet)s" + conds)}) r ON r.place_id = n.place_id
        """  # noqa: S608 - fixed fragments; values are bound parameters
        with _cursor() as cur:
            cur.execute(sql, qp)
            rows = [(int(a), b, bool(c)) for a, b, c in cur.fetchall()]
        cache.set(key, rows, FILTERED_CACHE_SECONDS)
    params["filtered_ids"] = [r[0] for r in rows]
    params["filtered_d"] = [r[1] for r in rows]
    params["filtered_remote"] = [r[2] for r in rows]
    return (
        "SELECT * FROM unnest(%(filtered_ids)s::bigint[], %(filtered_d)s::float8[], %(filtered_remote)s::bool[])"
        " AS c(place_id, distance_m, remote)"
    )


def _cache_key(kind: str, query: CoverageQuery, run: m.CoverageRun | None) -> str:
    stamp = run.updated_at.isoformat() if run else "never"
    return f"coverage-{kind}:" + hashlib.sha256(repr((query, stamp)).encode()).hexdigest()[:32]


def coverage_aggregates(query: CoverageQuery) -> Coverage:
    """Population per band and the shares beyond 50 and 100 km (with and
    without remote help), per country, per region and for the whole directory.

    Kept in the shared cache until the stored coverage changes (any update
    moves ``updated_at``, which is part of the key): the aggregate reads ten
    thousand rows, about 30 ms on an idle server and several times that on a
    loaded one; a kept answer is one cache read."""
    run = coverage_run()
    key = _cache_key("aggregates", query, run)
    kept: Coverage | None = cache.get(key)
    if kept is None:
        kept = _aggregates(query, run)
        cache.set(key, kept, FILTERED_CACHE_SECONDS)
    return kept


def _aggregates(query: CoverageQuery, run: m.CoverageRun | None) -> Coverage:
    params: dict[str, Any] = {}
    rows = _rows_source(query, params, run)
    band = band_sql("c.distance_m")
    sums = ", ".join(f"sum(p.population) FILTER (WHERE {band} = {i})" for i in range(len(BAND_KEYS)))
    sql = f"""
        SELECT GROUPING(p.country_code) AS g_country, GROUPING({REGION}) AS g_region,
               p.country_code, {REGION}, count(*), coalesce(sum(p.population), 0), {sums},
               coalesce(sum(p.population) FILTER (WHERE c.distance_m IS NULL OR c.distance_m > 50000), 0),
               coalesce(sum(p.population) FILTER (WHERE (c.distance_m IS NULL OR c.distance_m > 50000)
                                                   AND NOT c.remote), 0),
               coalesce(sum(p.population) FILTER (WHERE c.distance_m IS NULL OR c.distance_m > 100000), 0),
               coalesce(sum(p.population) FILTER (WHERE (c.distance_m IS NULL OR c.distance_m > 100000)
                                                   AND NOT c.remote), 0)
        FROM ({rows}) c JOIN orgs_place p ON p.geonameid = c.place_id
        GROUP BY GROUPING SETS ((), (p.country_code), (p.country_code, {REGION}))
    """  # noqa: S608 - fixed fragments; values are bound parameters
    largest_sql = f"""
        SELECT {_TOWN_COLUMNS}, c.distance_m, c.remote
        FROM ({rows}) c JOIN orgs_place p ON p.geonameid = c.place_id
        WHERE c.distance_m IS NULL OR c.distance_m > {LARGEST_BEYOND_KM * 1000}
        ORDER BY p.population DESC, p.geonameid
        LIMIT {LARGEST_COUNT}
    """  # noqa: S608 - fixed fragments; values are bound parameters
    total = Totals(code="", country="")
    countries: list[Totals] = []
    regions: list[Totals] = []
    with _cursor() as cur:
        cur.execute(sql, params)
        for row in cur.fetchall():
            g_country, g_region, country, region = row[:4]
            t = Totals(code=region or country or "", country=country or "")
            t.towns, t.population = int(row[4]), int(row[5])
            t.bands = {key: int(v or 0) for key, v in zip(BAND_KEYS, row[6 : 6 + len(BAND_KEYS)], strict=True)}
            t.beyond_50, t.beyond_50_no_remote, t.beyond_100, t.beyond_100_no_remote = (
                int(v) for v in row[6 + len(BAND_KEYS) :]
            )
            if g_country:
                total = t
            elif g_region:
                t.code = country
                countries.append(t)
            else:
                regions.append(t)
        cur.execute(largest_sql, params)
        largest = [_town(r) for r in cur.fetchall()]
    countries.sort(key=lambda t: (-t.population, t.code))
    regions.sort(key=lambda t: (-t.population, t.code))
    return Coverage(
        computed_at=run.computed_at if run else None,
        updated_at=run.updated_at if run else None,
        total=total,
        countries=countries,
        regions=regions,
        largest_beyond_100=largest,
    )


def _town(r: tuple[Any, ...]) -> TownRow:
    return TownRow(
        geonameid=int(r[0]),
        name=r[1],
        name_ru=r[2],
        country=r[3],
        region=r[4],
        population=int(r[5]),
        lat=round(float(r[6]), 5),
        lon=round(float(r[7]), 5),
        distance_m=None if r[8] is None else float(r[8]),
        remote=bool(r[9]),
    )


def coverage_towns(query: CoverageQuery, *, offset: int = 0, limit: int | None = None) -> tuple[int, list[TownRow]]:
    """(number of towns, one page of them), largest population first."""
    run = coverage_run()
    params: dict[str, Any] = {"offset": offset, "limit": limit}
    rows = _rows_source(query, params, run)
    sql = f"""
        SELECT {_TOWN_COLUMNS}, c.distance_m, c.remote, count(*) OVER ()
        FROM ({rows}) c JOIN orgs_place p ON p.geonameid = c.place_id
        ORDER BY p.population DESC, p.geonameid
        OFFSET %(offset)s LIMIT %(limit)s
    """  # noqa: S608 - fixed fragments; values are bound parameters
    with _cursor() as cur:
        cur.execute(sql, params)
        found = cur.fetchall()
    if not found and offset:
        total, _ = coverage_towns(query, offset=0, limit=1)
        return total, []
    return (int(found[0][10]) if found else 0), [_town(r) for r in found]


__all__ = ["BANDS_KM", "Coverage", "CoverageQuery", "Totals", "TownRow", "coverage_aggregates", "coverage_towns"]

"""The nearest-help answer of ``GET /api/v1/nearest``, serialised to JSON by
PostgreSQL in one statement.

Why in the database: building the same answer with the ORM and DRF
serializers cost about 14 queries and 40 ms of Python per request, which capped
a two-core server at about 20 answers a second however fast the index was.
Here the k-nearest scan, the ranking by geodesic distance, the remote-help and
Active People Centre look-ups and the JSON of every object are one statement,
and Python only splices its text into the response.

The reference for every field is the DRF serializers in ``api/serializers.py``
(they document the response in the OpenAPI schema):
``tests/test_nearest_json.py`` checks that both give the same answer on the
same data, protected locations included. Change a public field in both.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import struct
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connections, router
from django.utils import timezone

from orgs import models as m
from orgs.geo import PROTECTED_DISTANCE_STEP_M
from orgs.search.filters import SearchFilters, open_now_value_sql
from orgs.search.sql import CENTRES_COVERING_SQL as _CENTRES
from orgs.search.sql import (
    REMOTE_ORDER,
    first_limit,
    nearest_candidates_sql,
    nearest_is_complete,
    remote_candidates_sql,
)

REMOTE_LIMIT = 20

# The statement runs on psycopg's RawCursor, with PostgreSQL's own $1
# placeholders: a Cursor parses a statement's %(name)s placeholders on every
# call unless the text is under a private 4 kB cache limit, and this one is
# about 9 kB; that parse was a third of the Python time of the search itself.
# The SQL fragments are written with %(name)s like every other query of the
# project (orgs.search.sql, shared with the ORM oracle), so each shape of the
# statement (a handful: number of facets, filters used) is translated to $n
# once, here, and kept. tests/test_nearest_json.py checks the translation.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
STATEMENT_SHAPES_KEPT = 128


@functools.lru_cache(maxsize=STATEMENT_SHAPES_KEPT)
def native_placeholders(sql: str) -> tuple[str, tuple[str, ...]]:
    """The statement with $1, $2… for its %(name)s placeholders (and % for
    %%), and the parameter names in $-number order."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        return f"${names.setdefault(name, len(names) + 1)}"

    return _PLACEHOLDER.sub(number, sql), tuple(names)


# Arrays are built as to_json(ARRAY(SELECT ... ORDER BY ...)) rather than
# json_agg(... ORDER BY ...): an ordered aggregate sets up a sort for every
# call, which made the nested arrays several times slower; ARRAY() keeps the
# subquery's order and gives [] for no rows.


def _slugs(table: str, through: str, own: str, other: str, owner: str) -> str:
    """A JSON array of the related taxonomy slugs, in the taxonomy's order."""
    return (
        f"to_json(ARRAY(SELECT x.slug FROM {through} t JOIN {table} x ON x.id = t.{other}"  # noqa: S608 - constants
        f" WHERE t.{own} = {owner} ORDER BY x.position, x.slug))"
    )


# OrganisationBriefSerializer, for the organisation aliased ``o``.
ORGANISATION_JSON = """json_build_object(
    'id', o.id, 'slug', o.slug, 'name', o.name, 'website', o.website, 'email', o.email,
    'last_verified_at', o.last_verified_at,
    'networks', to_json(ARRAY(
        SELECT json_build_object('network', n.slug, 'network_name', n.name, 'role', mb.role, 'since', mb.since)
        FROM orgs_membership mb JOIN orgs_network n ON n.id = mb.network_id
        WHERE mb.organisation_id = o.id AND mb.status = 'active' ORDER BY mb.id)))"""

# ServicePublicSerializer's fields, for the service aliased ``s``.
SERVICE_FIELDS = f"""
    'id', s.id, 'name', s.name, 'description', s.description,
    'categories', {_slugs("orgs_category", "orgs_service_categories", "service_id", "category_id", "s.id")},
    'target_groups', {_slugs("orgs_targetgroup", "orgs_service_target_groups", "service_id", "targetgroup_id", "s.id")},
    'formats', to_json(s.formats), 'is_free', s.is_free, 'min_age', s.min_age, 'max_age', s.max_age,
    'eligibility', s.eligibility, 'languages', to_json(s.languages), 'phone', s.phone, 'email', s.email,
    'url', s.url, 'area_kind', s.area_kind"""

# CentreSerializer's helps_with, for the centre aliased ``c``.
CENTRE_HELPS_WITH = _slugs(
    "orgs_category", "orgs_activepeoplecentre_helps_with", "activepeoplecentre_id", "category_id", "c.id"
)

# LocationPublicSerializer, for the location aliased ``l``: the public point
# only (the blurred one for protected places), the address only when exact.
LOCATION_JSON = """json_build_object(
    'id', l.id, 'name', l.name, 'kind', l.kind, 'visibility', l.visibility,
    'position', CASE WHEN l.public_point IS NULL THEN NULL ELSE json_build_object(
        'lat', round(ST_Y(l.public_point::geometry)::numeric, 6)::float8,
        'lon', round(ST_X(l.public_point::geometry)::numeric, 6)::float8) END,
    'address', CASE WHEN l.visibility = 'exact' THEN l.address ELSE '' END,
    'city', l.city, 'region', l.region, 'country', l.country, 'timezone', l.timezone,
    'hours', to_json(ARRAY(SELECT json_build_object('weekday', h.weekday, 'opens', h.opens, 'closes', h.closes)
                           FROM orgs_openinghours h WHERE h.location_id = l.id ORDER BY h.weekday, h.opens)),
    'accessibility', l.accessibility, 'languages', to_json(l.languages))"""

# orgs.geo.public_distance_m: metres for exact places, whole kilometres (at
# least one) for protected ones. round() on a double rounds half to even, as
# Python's round() does.
_STEP = PROTECTED_DISTANCE_STEP_M
PUBLIC_DISTANCE = f"""CASE WHEN l.visibility = 'exact' THEN round(top.d)::bigint
    ELSE greatest({_STEP}, round(top.d / {_STEP}) * {_STEP})::bigint END"""

OPEN_NOW = open_now_value_sql(location_id="l.id", timezone="l.timezone")

# The gazetteer town the origin lies in (the one given, or the nearest): its
# country, region and city decide which service areas cover the origin.
AREA_SQL = """
    SELECT p.geonameid, p.country_code,
           CASE WHEN p.admin1_code <> '' THEN p.country_code || '.' || p.admin1_code ELSE p.country_code END AS region
    FROM orgs_place p WHERE p.geonameid = %(area_place)s::bigint
  UNION ALL
    (SELECT p.geonameid, p.country_code,
            CASE WHEN p.admin1_code <> '' THEN p.country_code || '.' || p.admin1_code ELSE p.country_code END
     FROM orgs_place p WHERE %(area_place)s::bigint IS NULL
     ORDER BY p.point <-> %(origin)s::geography LIMIT 1)
"""
AREA_KEYS = (
    "'anywhere'",
    "(SELECT 'country:' || a.country_code FROM area a)",
    "(SELECT 'region:' || a.region FROM area a)",
    "(SELECT 'city:' || a.geonameid FROM area a)",
)


def _statement(*, filters: SearchFilters, params: dict[str, Any], max_m: float | None) -> str:
    candidates = nearest_candidates_sql(filters=filters, params=params, max_m=max_m)
    remote = remote_candidates_sql(filters=filters, params=params, keys=AREA_KEYS)
    # The remote probes share the facet and filter parameters with the
    # candidates; only their limit differs.
    remote = remote.replace("%(limit)s", "%(remote_limit)s")
    params["remote_limit"] = REMOTE_LIMIT
    return f"""
WITH area AS ({AREA_SQL}),
cand AS ({candidates}),
meta AS (SELECT count(*) AS n, max(knn) AS last_knn FROM cand),
best AS (
    SELECT location_id, min(geodesic) AS d,
           array_agg(DISTINCT service_id) FILTER (WHERE service_id IS NOT NULL) AS sids
    FROM cand GROUP BY location_id
),
top AS (SELECT * FROM best ORDER BY d, location_id LIMIT %(k)s),
remote AS (SELECT * FROM ({remote}) d ORDER BY {REMOTE_ORDER} LIMIT %(remote_limit)s)
SELECT
    (SELECT n FROM meta), (SELECT last_knn FROM meta), (SELECT count(*) FROM top), (SELECT max(d) FROM top),
    to_json(ARRAY(
        SELECT json_build_object(
            'distance_m', {PUBLIC_DISTANCE},
            'open_now', {OPEN_NOW},
            'location', {LOCATION_JSON},
            'organisation', {ORGANISATION_JSON},
            'services', to_json(ARRAY(SELECT json_build_object({SERVICE_FIELDS})
                                      FROM orgs_service s WHERE s.id = ANY(top.sids) ORDER BY s.id)))
        FROM top JOIN orgs_location l ON l.id = top.location_id JOIN orgs_organisation o ON o.id = l.organisation_id
        ORDER BY top.d, top.location_id))::text,
    to_json(ARRAY(
        SELECT json_build_object({SERVICE_FIELDS}, 'organisation', {ORGANISATION_JSON})
        FROM remote d JOIN orgs_service s ON s.id = d.service_id JOIN orgs_organisation o ON o.id = s.organisation_id
        ORDER BY {REMOTE_ORDER}))::text,
    to_json(ARRAY(
        SELECT json_build_object(
            'slug', c.slug, 'name', c.name, 'description', c.description,
            'helps_with', {CENTRE_HELPS_WITH},
            'host', {ORGANISATION_JSON})
        FROM orgs_activepeoplecentre c JOIN orgs_organisation o ON o.id = c.host_id AND o.status = 'published'
        WHERE c.id IN ({_CENTRES})
        ORDER BY c.name, c.id))::text
"""  # noqa: S608 - fixed fragments; values are bound parameters


@dataclass(frozen=True)
class NearestAnswer:
    """The parts of the answer, each JSON array text ready to splice in."""

    results: str
    remote: str
    centres: str


# EWKB of a WGS84 point: little-endian, type 1 (point) with the SRID flag,
# SRID 4326, then x (longitude) and y (latitude). Packed here because building
# a GEOS Point for it took a dozen C calls per search.
_EWKB_POINT = struct.Struct("<BIIdd")


def ewkb_point(lon: float, lat: float) -> bytes:
    return _EWKB_POINT.pack(1, 0x20000001, 4326, lon, lat)


def nearest_answer(
    *,
    lon: float,
    lat: float,
    filters: SearchFilters,
    k: int = 10,
    max_m: float | None = None,
    area_place_id: int | None = None,
) -> NearestAnswer:
    """The k nearest published locations with matching help (as
    reference.locations_nearest ranks them), the remote help serving the origin
    (as reference.services_remote) and the Active People Centres covering it (as
    reference.centres_covering), serialised.

    ``area_place_id`` is the gazetteer place the origin was given as; without
    it, the town nearest the origin decides the service areas."""
    conn = connections[router.db_for_read(m.SearchEntry)]
    conn.ensure_connection()
    # A cursor that binds on the server and prepares: planning this statement
    # cost several times more than running it (20 ms against 3 ms at a million
    # locations), and a prepared statement is planned once per connection and
    # shape (number of facets, filters used). Its generic plan is kept
    # (plan_cache_mode in settings.DATABASES) and measured as fast as a custom
    # one. wrap_database_errors turns psycopg's errors into Django's, which
    # api/errors.py answers with a 503 when the database is down.
    with conn.wrap_database_errors, psycopg.RawCursor(conn.connection) as cur:
        return answer(cur, lon=lon, lat=lat, filters=filters, k=k, max_m=max_m, area_place_id=area_place_id)


def answer(
    cur: Any,
    *,
    lon: float,
    lat: float,
    filters: SearchFilters,
    k: int,
    max_m: float | None,
    area_place_id: int | None,
    now: dt.datetime | None = None,
) -> NearestAnswer:
    """nearest_answer() on a psycopg RawCursor (the benchmark runs it on its
    own connection), prepared on the server."""
    limit = first_limit(k)
    while True:
        params: dict[str, Any] = {
            "origin": ewkb_point(lon, lat),
            "limit": limit,
            "k": k,
            "area_place": area_place_id,
            "now": filters.now or now or timezone.now(),
        }
        sql, names = native_placeholders(_statement(filters=filters, params=params, max_m=max_m))
        cur.execute(sql, [params[name] for name in names], prepare=True)
        rows, last_knn, found, kth_m, results, remote, centres = cur.fetchone()
        if nearest_is_complete(rows=rows, limit=limit, last_knn=last_knn, k=k, found=found, kth_m=kth_m):
            return NearestAnswer(results=results, remote=remote, centres=centres)
        limit *= 4

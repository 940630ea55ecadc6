"""Synthetic directories for the benchmark: 10k, 100k or 1M locations.

Realistic enough to exercise the search the way real data would: locations
cluster around the gazetteer's towns in proportion to their population (Moscow
gets hundreds of times more than a town of 5,000), spread wider around bigger
towns; services carry categories of the real seed taxonomy with a skewed mix
(one common category, a rare one on about 0.1% of services), target groups,
formats, free or paid; a share of locations is protected (approximate or city
only). Organisations are grouped into branches the way networks are.

Everything is written set-based in SQL (``INSERT ... SELECT generate_series``),
chunk by chunk under a progress bar, and every random draw is a hash of
(seed, row number, stream): the same seed and size give the same data whatever
the chunking, and no million-row round trip goes through Python.

Safety: every organisation's name starts with ``[synthetic]`` and its source
says it is benchmark data; ``generate()`` refuses the product's database and
any database that holds organisations which are not synthetic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from orgs.search import index as search_index
from orgs.seed import DEFAULT_SEED_PATH, SeedReport, category_upsert, target_group_upsert

# Bump when the shape of the generated data changes: cached data sets of an
# older version are regenerated.
GENERATOR_VERSION = 1
# Bump when the derived tables (map clusters, remote-help rows) change shape:
# cached data sets keep their rows and only these are derived again.
DERIVED_VERSION = 3

SYNTHETIC_PREFIX = "[synthetic]"
SYNTHETIC_SOURCE = "Synthetic benchmark data (orgs.bench.generator), not a real organisation."
MARKER_TABLE = "bench_dataset"
# Plain latitude/longitude columns with a btree index: the layout of the
# "simpler directory" the benchmark compares against (runners.bbox_haversine_nearest).
FLAT_TABLE = "bench_location_latlon"

# The category that most services have, and the rare one (about 0.1% of services).
COMMON_CATEGORY = "psychological-help"
RARE_CATEGORY = "international-complaints"
COMMON_SHARE = 0.25
RARE_SHARE = 0.001
# Relative weights of the other leaf categories of the seed taxonomy, for the
# rest of the primary categories and for second categories.
OTHER_CATEGORY_WEIGHTS: dict[str, float] = {
    "professional-community-support": 1.5,
    "methodological-help": 3,
    "training-organisation": 3,
    "expert-review": 1,
    "thematic-event": 2,
    "prevention-and-quality": 2,
    "research-evaluation": 1,
    "media-comment": 0.5,
    "social-support": 12,
    "medical-psychiatric-help": 4,
    "crisis-line": 3,
    "shelter": 2,
    "peer-support": 4,
    "harm-reduction": 3,
    "substitution-therapy-support": 1,
    "legal-aid": 8,
    "free-advocate-for-child": 1.5,
    "legal-literacy": 4,
    "court-representation": 2,
    "rights-monitoring": 1.5,
    "rights-representation": 2,
    "find-information-officials": 3,
    "find-allies-resources": 3,
    "shape-idea-documents": 2,
    "inform-stakeholders": 2,
}
SECOND_CATEGORY_SHARE = 0.3
SECOND_SERVICE_SHARE = 0.25
SECOND_TARGET_SHARE = 0.4
ONLINE_SHARE = 0.2
PHONE_SHARE = 0.15
FREE_SHARE = 0.8
HOURS_SHARE = 0.4
CITY_ONLY_SHARE = 0.03
APPROXIMATE_SHARE = 0.10
# Remote services whose area is a whole country or region (hotlines, online help).
COUNTRY_AREA_SHARE = 0.002
REGION_AREA_SHARE = 0.005
BLUR_M = 2000.0

# In each block of six locations: three single-location organisations and one
# with three branches in the same town.
BLOCK = 6
ORGS_PER_BLOCK = 4
CHUNK = 60_000  # locations per transaction (a multiple of BLOCK)

ERROR_PRODUCT_DATABASE = (
    "Refusing to write synthetic data into {name!r}: it is the product's database. "
    "The benchmark uses its own database (manage.py bench creates it)."
)
ERROR_REAL_DATA = (
    "Refusing to write synthetic data into {name!r}: it holds {count} organisations that are not synthetic. "
    "Use an empty benchmark database."
)
ERROR_NO_TOWNS = "The gazetteer is empty: run manage.py load_gazetteer against this database first."

METRES_PER_DEGREE = 111_195.0


class BenchRefused(RuntimeError):
    """The target database is not a benchmark database."""


@dataclass(frozen=True)
class Dataset:
    size: int
    seed: int
    organisations: int
    search_rows: int
    seconds: float
    reused: bool


# --- random draws in SQL ------------------------------------------------------------

# Independent streams of uniform numbers, one per decision.
S_TOWN, S_DX, S_DY, S_VIS, S_BEARING, S_BLUR = 1, 2, 3, 4, 5, 6
S_SECOND_SERVICE, S_CAT1, S_CAT2_P, S_CAT2, S_TG1, S_TG2_P, S_TG2 = 7, 8, 9, 10, 11, 12, 13
S_ONLINE, S_PHONE, S_FREE, S_AREA, S_HOURS, S_PREFIX = 14, 15, 16, 17, 18, 19


def _u(expr: str, stream: int) -> str:
    """SQL for a uniform number in [0, 1) drawn from (seed, ``expr``, stream)."""
    return (
        f"((hashint8extended(({expr})::bigint, %(seed)s::bigint * 64 + {stream}) & 4503599627370495)::float8"
        " / 4503599627370496.0)"
    )


def _org_of(loc: str) -> str:
    """SQL: the organisation number of location number ``loc`` (see BLOCK)."""
    return f"((({loc}) - 1) / {BLOCK} * {ORGS_PER_BLOCK} + least((({loc}) - 1) %% {BLOCK}, {ORGS_PER_BLOCK - 1}) + 1)"


def org_count(size: int) -> int:
    if size <= 0:
        return 0
    last = size - 1
    return last // BLOCK * ORGS_PER_BLOCK + min(last % BLOCK, ORGS_PER_BLOCK - 1) + 1


# --- safety ---------------------------------------------------------------------------


def current_database() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT current_database()")
        return str(cur.fetchone()[0])


def ensure_bench_database(*, product_db: str) -> str:
    """The current database's name, if synthetic data may be written into it."""
    name = current_database()
    if name == product_db:
        raise BenchRefused(ERROR_PRODUCT_DATABASE.format(name=name))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM orgs_organisation WHERE name NOT LIKE %s", [SYNTHETIC_PREFIX + "%"])
        real = int(cur.fetchone()[0])
    if real:
        raise BenchRefused(ERROR_REAL_DATA.format(name=name, count=real))
    return name


# --- the cache marker -------------------------------------------------------------------


def _ensure_marker_table() -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"""CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (
                    id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                    size int NOT NULL, seed int NOT NULL, version int NOT NULL,
                    organisations int NOT NULL, search_rows bigint NOT NULL,
                    seconds float8 NOT NULL, generated_at timestamptz NOT NULL DEFAULT now())"""
        )
        # Data sets made before derived versions were recorded count as version 1.
        cur.execute(f"ALTER TABLE {MARKER_TABLE} ADD COLUMN IF NOT EXISTS derived_version int NOT NULL DEFAULT 1")
        cur.execute(f"COMMENT ON TABLE {MARKER_TABLE} IS 'Synthetic benchmark data set (orgs.bench.generator)'")


def cached_dataset(*, size: int, seed: int) -> Dataset | None:
    """The data set already in this database, if it is this size, seed and version."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER_TABLE])
        if not cur.fetchone()[0]:
            return None
        cur.execute(f"SELECT size, seed, version, organisations, search_rows, seconds FROM {MARKER_TABLE}")  # noqa: S608
        row = cur.fetchone()
        if row is None or tuple(row[:3]) != (size, seed, GENERATOR_VERSION):
            return None
        cur.execute("SELECT count(*) FROM orgs_location WHERE source = %s", [SYNTHETIC_SOURCE])
        if int(cur.fetchone()[0]) != size:
            return None
        return Dataset(size=size, seed=seed, organisations=row[3], search_rows=row[4], seconds=row[5], reused=True)


# --- generation -------------------------------------------------------------------------


def ensure_taxonomy() -> dict[str, int]:
    """The real seed taxonomy (categories and target groups) in this database; slug -> id."""
    data = json.loads(DEFAULT_SEED_PATH.read_text(encoding="utf-8"))
    report = SeedReport()
    with transaction.atomic():
        for row in data["categories"]:
            category_upsert(row=row, report=report)
        for row in data["target_groups"]:
            target_group_upsert(row=row, report=report)
    with connection.cursor() as cur:
        cur.execute("SELECT slug, id FROM orgs_category")
        return {slug: int(pk) for slug, pk in cur.fetchall()}


def _category_weights() -> list[tuple[str, float, float]]:
    """(slug, share as a first category, weight as a second category)."""
    rest = 1.0 - COMMON_SHARE - RARE_SHARE
    total = sum(OTHER_CATEGORY_WEIGHTS.values())
    rows = [(COMMON_CATEGORY, COMMON_SHARE, total / len(OTHER_CATEGORY_WEIGHTS)), (RARE_CATEGORY, RARE_SHARE, 0.0)]
    rows += [(slug, rest * w / total, w) for slug, w in OTHER_CATEGORY_WEIGHTS.items()]
    return rows


def _prepare_lookups(cur: Any, categories: dict[str, int]) -> None:
    """Temporary tables for weighted draws: towns by population, categories by share."""
    cur.execute("DROP TABLE IF EXISTS syn_town, syn_cat, syn_tg")
    cur.execute(
        """
        CREATE TEMP TABLE syn_town AS
        SELECT p.geonameid, ST_X(p.point::geometry) AS lon, ST_Y(p.point::geometry) AS lat, p.population,
               COALESCE(NULLIF(p.name_ru, ''), p.name) AS city, p.country_code, p.admin1_code,
               COALESCE(NULLIF(p.timezone, ''), 'Europe/Moscow') AS tz,
               -- spread of the town's locations (km): wider around bigger towns
               least(40.0, 1.5 + 4.0 * sqrt(greatest(p.population, 1000) / 100000.0)) AS sigma_km,
               sum(greatest(p.population, 1)::float8) OVER (ORDER BY p.geonameid)
                 / sum(greatest(p.population, 1)::float8) OVER () AS cum
        FROM orgs_place p
        """
    )
    cur.execute("CREATE INDEX ON syn_town (cum)")
    cur.execute("SELECT count(*) FROM syn_town")
    if not cur.fetchone()[0]:
        raise RuntimeError(ERROR_NO_TOWNS)
    # cum2 is NULL for a category that is never a second one (the rare one), so
    # no draw can land on it.
    cur.execute("CREATE TEMP TABLE syn_cat (category_id bigint, cum1 float8, cum2 float8)")
    weights = _category_weights()
    total1 = sum(w1 for _, w1, _ in weights)
    total2 = sum(w2 for _, _, w2 in weights)
    acc1 = acc2 = 0.0
    for slug, w1, w2 in weights:
        acc1 += w1 / total1
        acc2 += w2 / total2
        cur.execute("INSERT INTO syn_cat VALUES (%s, %s, %s)", [categories[slug], acc1, acc2 if w2 > 0 else None])
    # Guard the last bucket against rounding: every draw below 1 finds a row.
    cur.execute("UPDATE syn_cat SET cum1 = 1.0 WHERE cum1 = (SELECT max(cum1) FROM syn_cat)")
    cur.execute("UPDATE syn_cat SET cum2 = 1.0 WHERE cum2 = (SELECT max(cum2) FROM syn_cat)")
    cur.execute(
        "CREATE TEMP TABLE syn_tg AS SELECT id AS targetgroup_id, row_number() OVER (ORDER BY id) - 1 AS n"
        " FROM orgs_targetgroup"
    )


def _write_chunk(cur: Any, *, lo: int, hi: int, seed: int) -> None:
    """Locations number lo..hi-1 (lo - 1 a multiple of BLOCK) with their organisations,
    services, categories, target groups, hours and search rows."""
    params = {"lo": lo, "hi": hi, "seed": seed, "blur": BLUR_M, "mpd": METRES_PER_DEGREE, "source": SYNTHETIC_SOURCE}
    cur.execute("DROP TABLE IF EXISTS syn_org, syn_loc, syn_svc, syn_svc_cat, syn_svc_tg")
    # Staging first (ids taken from the real sequences), then the real tables.
    cur.execute(
        f"""
        CREATE TEMP TABLE syn_org AS
        SELECT j, nextval(pg_get_serial_sequence('orgs_organisation', 'id')) AS id, t.*
        FROM (SELECT DISTINCT {_org_of("i")} AS j FROM generate_series(%(lo)s, %(hi)s - 1) AS i) js
        CROSS JOIN LATERAL (
            SELECT geonameid, lon, lat, city, country_code, admin1_code, tz, sigma_km
            FROM syn_town WHERE cum >= {_u("js.j", S_TOWN)} ORDER BY cum LIMIT 1
        ) t
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    # Positions: a normal scatter around the town (sigma_km), in a plane
    # tangent to the sphere; approximate ones get a fixed 1-2 km offset, city
    # ones the town's centre (what orgs.geo.public_point_for derives).
    cur.execute(
        f"""
        CREATE TEMP TABLE syn_loc AS
        SELECT q.*,
               CASE WHEN q.visibility = 'exact' THEN q.point
                    WHEN q.visibility = 'city' THEN ST_SetSRID(ST_MakePoint(q.town_lon, q.town_lat), 4326)::geography
                    ELSE ST_SetSRID(ST_MakePoint(
                        ((q.lon + q.blur_m * sin(q.bearing) / (%(mpd)s * cos(radians(q.lat)))) + 540)::numeric
                            %% 360 - 180,
                        q.lat + q.blur_m * cos(q.bearing) / %(mpd)s), 4326)::geography
               END AS public_point
        FROM (
            SELECT p.*, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography AS point
            FROM (
                SELECT i, nextval(pg_get_serial_sequence('orgs_location', 'id')) AS id, o.id AS org_id, o.j,
                       o.geonameid, o.city, o.country_code, o.tz, o.lon AS town_lon, o.lat AS town_lat,
                       ((o.lon + g.dx / (%(mpd)s * cos(radians(o.lat)))) + 540)::numeric %% 360 - 180 AS lon,
                       greatest(-89.9, least(89.9, o.lat + g.dy / %(mpd)s)) AS lat,
                       CASE WHEN {_u("i", S_VIS)} < {CITY_ONLY_SHARE} THEN 'city'
                            WHEN {_u("i", S_VIS)} < {CITY_ONLY_SHARE + APPROXIMATE_SHARE} THEN 'approximate'
                            ELSE 'exact' END AS visibility,
                       2 * pi() * {_u("i", S_BEARING)} AS bearing,
                       %(blur)s * (0.5 + 0.5 * {_u("i", S_BLUR)}) AS blur_m
                FROM generate_series(%(lo)s, %(hi)s - 1) AS i
                JOIN syn_org o ON o.j = {_org_of("i")}
                CROSS JOIN LATERAL (
                    SELECT o.sigma_km * 1000 * sqrt(-2 * ln(greatest({_u("i", S_DX)}, 1e-12))) AS r,
                           2 * pi() * {_u("i", S_DY)} AS a
                ) b
                CROSS JOIN LATERAL (SELECT b.r * cos(b.a) AS dx, b.r * sin(b.a) AS dy) g
            ) p
        ) q
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    cur.execute(
        f"""
        CREATE TEMP TABLE syn_svc AS
        SELECT s.*,
               ARRAY['in_person']::varchar[]
                 || CASE WHEN {_u("s.r", S_ONLINE)} < {ONLINE_SHARE} THEN ARRAY['online']::varchar[] ELSE '{{}}' END
                 || CASE WHEN {_u("s.r", S_PHONE)} < {PHONE_SHARE} THEN ARRAY['phone']::varchar[] ELSE '{{}}' END
                 AS formats,
               {_u("s.r", S_FREE)} < {FREE_SHARE} AS is_free,
               CASE WHEN {_u("s.r", S_ONLINE)} >= {ONLINE_SHARE} THEN 'locations'
                    WHEN {_u("s.r", S_AREA)} < {COUNTRY_AREA_SHARE / ONLINE_SHARE} THEN 'country'
                    WHEN {_u("s.r", S_AREA)} < {(COUNTRY_AREA_SHARE + REGION_AREA_SHARE) / ONLINE_SHARE}
                         AND s.admin1_code <> '' THEN 'region'
                    ELSE 'locations' END AS area_kind
        FROM (
            SELECT o.j, sn, o.j * 4 + sn AS r, nextval(pg_get_serial_sequence('orgs_service', 'id')) AS id,
                   o.id AS org_id, o.country_code, o.admin1_code, 'Услуга ' || (o.j * 4 + sn) AS name
            FROM syn_org o
            CROSS JOIN LATERAL generate_series(1, CASE WHEN {_u("o.j", S_SECOND_SERVICE)} < {SECOND_SERVICE_SHARE}
                                                       THEN 2 ELSE 1 END) AS sn
        ) s
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    cur.execute(
        f"""
        CREATE TEMP TABLE syn_svc_cat AS
        SELECT DISTINCT s.id AS service_id, s.org_id, c.category_id
        FROM syn_svc s
        CROSS JOIN LATERAL (
            (SELECT category_id FROM syn_cat WHERE cum1 >= {_u("s.r", S_CAT1)} ORDER BY cum1 LIMIT 1)
          UNION ALL
            (SELECT category_id FROM syn_cat WHERE cum2 >= {_u("s.r", S_CAT2)}
                AND {_u("s.r", S_CAT2_P)} < {SECOND_CATEGORY_SHARE} ORDER BY cum2 LIMIT 1)
        ) c
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    cur.execute(
        f"""
        CREATE TEMP TABLE syn_svc_tg AS
        SELECT DISTINCT s.id AS service_id, t.targetgroup_id
        FROM syn_svc s
        JOIN syn_tg t ON t.n = floor({_u("s.r", S_TG1)} * (SELECT count(*) FROM syn_tg))
                      OR (t.n = floor({_u("s.r", S_TG2)} * (SELECT count(*) FROM syn_tg))
                          AND {_u("s.r", S_TG2_P)} < {SECOND_TARGET_SHARE})
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    # search_document as orgs.search.index derives it (name, services,
    # categories, cities; lower-cased, ё folded), computed here set-based.
    cur.execute(
        f"""
        INSERT INTO orgs_organisation (id, uuid, created_at, updated_at, name, slug, description, description_en,
            description_uk, legal_form, country, website, email, social_links, logo, status, last_verified_at,
            is_stale, moderation_reason, source, search_document)
        SELECT o.id, md5('synthetic-org:' || %(seed)s || ':' || o.j)::uuid, now(), now(), n.name,
               'synthetic-' || %(seed)s || '-' || o.j, '', '', '', n.legal_form,
               o.country_code, '', '', '{{}}', '', 'published', current_date - (o.j %% 300)::int,
               false, '', %(source)s,
               translate(lower(concat_ws(' ', n.name, '', '', '', sv.text, ct.text,
                                         concat_ws(' ', o.city, ''))), 'ё', 'е')
        FROM syn_org o
        CROSS JOIN LATERAL (
            SELECT '{SYNTHETIC_PREFIX} ' || (ARRAY['АНО', 'БФ', 'РОО', 'Центр', 'МОО'])[k] || ' «Помощь ' || o.city
                       || '» №' || o.j AS name,
                   (ARRAY['ano', 'foundation', 'public_org', 'other', 'public_org'])[k] AS legal_form
            FROM (SELECT 1 + floor({_u("o.j", S_PREFIX)} * 5)::int AS k) pick
        ) n
        LEFT JOIN (SELECT org_id, string_agg(concat_ws(' ', name, '', ''), ' ' ORDER BY id) AS text
                   FROM syn_svc GROUP BY org_id) sv ON sv.org_id = o.id
        LEFT JOIN (SELECT sc.org_id, string_agg(DISTINCT concat_ws(' ', c.name_ru, c.name_en), ' ') AS text
                   FROM syn_svc_cat sc JOIN orgs_category c ON c.id = sc.category_id
                   GROUP BY sc.org_id) ct ON ct.org_id = o.id
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    cur.execute(
        """
        INSERT INTO orgs_location (id, uuid, created_at, updated_at, organisation_id, name, kind, point, visibility,
            public_point, blur_seed, address, city, region, country, place_id, timezone, accessibility, languages,
            phone, source)
        SELECT l.id, md5('synthetic-loc:' || %(seed)s || ':' || l.i)::uuid, now(), now(), l.org_id,
               'Отделение ' || l.i, 'physical', l.point, l.visibility, l.public_point,
               hashint8extended(l.i, %(seed)s::bigint) & 4611686018427387903,
               CASE WHEN l.visibility = 'exact' THEN 'ул. Синтетическая, ' || (l.i %% 200 + 1) ELSE '' END,
               l.city, '', l.country_code, l.geonameid, l.tz, '', '{ru}', '', %(source)s
        FROM syn_loc l
        """,
        params,
    )
    cur.execute(
        """
        INSERT INTO orgs_service (id, uuid, created_at, updated_at, organisation_id, name, description,
            description_en, description_uk, formats, is_free, eligibility, languages, phone, email, url,
            area_kind, area_country, area_region, source)
        SELECT s.id, md5('synthetic-svc:' || %(seed)s || ':' || s.r)::uuid, now(), now(), s.org_id,
               s.name, '', '', '', s.formats, s.is_free, '', '{ru}', '', '', '', s.area_kind,
               CASE WHEN s.area_kind = 'country' THEN s.country_code ELSE '' END,
               CASE WHEN s.area_kind = 'region' THEN s.country_code || '.' || s.admin1_code ELSE '' END,
               %(source)s
        FROM syn_svc s
        """,
        params,
    )
    cur.execute(
        "INSERT INTO orgs_service_categories (service_id, category_id) SELECT service_id, category_id FROM syn_svc_cat"
    )
    cur.execute(
        "INSERT INTO orgs_service_target_groups (service_id, targetgroup_id)"
        " SELECT service_id, targetgroup_id FROM syn_svc_tg"
    )
    cur.execute(
        """
        INSERT INTO orgs_serviceatlocation (uuid, service_id, location_id)
        SELECT md5('synthetic-sal:' || %(seed)s || ':' || l.i || ':' || s.sn)::uuid, s.id, l.id
        FROM syn_loc l JOIN syn_svc s ON s.j = l.j
        """,
        params,
    )
    cur.execute(
        f"""
        INSERT INTO orgs_openinghours (location_id, weekday, opens, closes)
        SELECT l.id, d, time '09:00', time '18:00'
        FROM syn_loc l CROSS JOIN generate_series(0, 4) AS d
        WHERE {_u("l.i", S_HOURS)} < {HOURS_SHARE}
        """,  # noqa: S608 - fixed fragments; values are bound parameters
        params,
    )
    cur.execute(_SEARCH_ROWS)
    cur.execute("DROP TABLE syn_org, syn_loc, syn_svc, syn_svc_cat, syn_svc_tg")


# The chunk's rows of orgs_searchentry, as orgs.search.index._SELECT_ROWS derives
# them, read from the chunk's staging tables instead of the whole directory.
# Synthetic organisations belong to no network and every synthetic location
# offers a service, which is what lets this shorter form be equivalent
# (tests/test_bench.py compares the two).
_SEARCH_ROWS = """
WITH RECURSIVE cat_up(service_id, category_id) AS (
    SELECT service_id, category_id FROM syn_svc_cat
  UNION
    SELECT cu.service_id, c.parent_id
    FROM cat_up cu JOIN orgs_category c ON c.id = cu.category_id
    WHERE c.parent_id IS NOT NULL
),
facet AS (
    SELECT id AS service_id, 0::bigint AS facet FROM syn_svc
  UNION ALL
    SELECT service_id, category_id FROM cat_up
),
tg AS (
    SELECT service_id, array_agg(targetgroup_id ORDER BY targetgroup_id) AS ids FROM syn_svc_tg GROUP BY service_id
)
INSERT INTO orgs_searchentry (facet, location_id, organisation_id, service_id, public_point, visibility,
                              timezone, target_ids, formats, is_free, languages, network_ids)
SELECT f.facet, l.id, l.org_id, s.id, l.public_point, l.visibility, l.tz,
       COALESCE(tg.ids, '{}'), s.formats, s.is_free, ARRAY(SELECT DISTINCT unnest(ARRAY['ru']::varchar[])),
       '{}'::bigint[]
FROM syn_loc l
JOIN syn_svc s ON s.j = l.j
JOIN facet f ON f.service_id = s.id
LEFT JOIN tg ON tg.service_id = s.id
"""


def _reset(cur: Any) -> None:
    """Remove a previous synthetic data set (the database holds nothing else: see ensure_bench_database)."""
    if len(connection.atomic_blocks) > 1:
        # Inside an outer transaction (the tests) the previous set's deferred
        # checks are still pending, and TRUNCATE refuses to run then.
        for table in (
            "orgs_searchentry",
            "orgs_remoteentry",
            "orgs_clustercell",
            "orgs_openinghours",
            "orgs_serviceatlocation",
            "orgs_service_categories",
            "orgs_service_target_groups",
            "orgs_service",
            "orgs_location",
            "orgs_organisation",
        ):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    else:
        cur.execute("TRUNCATE orgs_organisation, orgs_clustercell CASCADE")
    cur.execute(f"DROP TABLE IF EXISTS {FLAT_TABLE}")
    cur.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


def _build_flat_table(cur: Any) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {FLAT_TABLE}")
    cur.execute(
        f"""
        CREATE TABLE {FLAT_TABLE} AS
        SELECT l.id AS location_id, ST_Y(l.public_point::geometry) AS lat, ST_X(l.public_point::geometry) AS lon
        FROM orgs_location l JOIN orgs_organisation o ON o.id = l.organisation_id
        WHERE o.status = 'published' AND l.public_point IS NOT NULL
        """  # noqa: S608 - a fixed table name
    )
    cur.execute(f"CREATE INDEX {FLAT_TABLE}_lat_lon ON {FLAT_TABLE} (lat, lon)")
    cur.execute(f"ANALYZE {FLAT_TABLE}")


def _may_skip_checks() -> bool:
    """Whether to write without constraint triggers: only for a standalone run
    (not inside a caller's transaction, such as a test) by a superuser."""
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
    return bool(row and row[0])


GENERATED_TABLES = (
    "orgs_organisation",
    "orgs_location",
    "orgs_service",
    "orgs_serviceatlocation",
    "orgs_service_categories",
    "orgs_service_target_groups",
    "orgs_openinghours",
)


def _derived_version() -> int:
    _ensure_marker_table()
    with connection.cursor() as cur:
        cur.execute(f"SELECT derived_version FROM {MARKER_TABLE}")  # noqa: S608 - a fixed table name
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _derive(cur: Any, progress: Callable[[str, int, int], None] | None) -> None:
    """The tables derived from the search rows and the services, set-based as
    orgs.search.index.rebuild() computes them: map clusters and remote-help rows."""
    cur.execute("SET LOCAL jit = off")
    cur.execute("SET LOCAL work_mem = '256MB'")

    def clusters(done: int, total: int) -> None:
        if progress:
            progress("map clusters", done, total)

    search_index.rebuild_clusters(progress=clusters)
    search_index.rebuild_remote()


def _reorder(progress: Callable[[str, int, int], None] | None) -> None:
    """The search rows in the order the product's scheduled job keeps them in
    (search_index.reorder): the benchmark measures the product as deployed."""
    if progress:
        progress("reordering search rows", 0, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        search_index.reorder()
    if progress:
        progress("reordering search rows", 1, 1)


def _vacuum_analyze(tables: list[str]) -> None:
    # VACUUM (visibility map, for index-only scans) cannot run inside a
    # transaction, as in the tests; ANALYZE can.
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"{verb} {table}")


def generate(
    *,
    size: int,
    seed: int,
    product_db: str,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> Dataset:
    """Fill the current database with ``size`` synthetic locations (or reuse them).

    ``product_db`` is the product's database name: generate() refuses to run
    there. ``progress(phase, done, total)`` is called as chunks are written.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    ensure_bench_database(product_db=product_db)
    if not force:
        cached = cached_dataset(size=size, seed=seed)
        if cached is not None:
            if _derived_version() < DERIVED_VERSION:
                with transaction.atomic(), connection.cursor() as cur:
                    _derive(cur, progress)
                    cur.execute(f"UPDATE {MARKER_TABLE} SET derived_version = %s", [DERIVED_VERSION])  # noqa: S608
                _reorder(progress)
                _vacuum_analyze(["orgs_clustercell", "orgs_remoteentry"])
            return cached
    started = time.monotonic()
    categories = ensure_taxonomy()
    with transaction.atomic(), connection.cursor() as cur:
        # JIT compilation costs about a second per statement here and saves nothing.
        cur.execute("SET LOCAL jit = off")
        cur.execute("SELECT count(*) FROM orgs_organisation")
        if cur.fetchone()[0]:
            _reset(cur)
        _ensure_marker_table()
        _prepare_lookups(cur, categories)
    done = 0
    if progress:
        progress("locations", 0, size)
    skip_checks = _may_skip_checks()
    for lo in range(1, size + 1, CHUNK):
        hi = min(lo + CHUNK, size + 1)
        # One transaction per chunk: the deferred "published has a location"
        # check runs per chunk, and a stopped run leaves no marker behind.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            if skip_checks:
                # Django's foreign keys are deferred: at commit a chunk ran about
                # a million row-locking checks (a minute per chunk). The rows are
                # built consistent by construction, and the tests, which run
                # with every check, prove it.
                cur.execute("SET LOCAL session_replication_role = replica")
            # Organisations carry three GIN indexes (trigram and full text):
            # a large pending list turns a row-by-row insert into a bulk merge.
            cur.execute("SET LOCAL gin_pending_list_limit = '256MB'")
            _write_chunk(cur, lo=lo, hi=hi, seed=seed)
        done += hi - lo
        if progress:
            progress("locations", done, size)
    with transaction.atomic(), connection.cursor() as cur:
        _derive(cur, progress)
        _build_flat_table(cur)
        cur.execute("DROP TABLE IF EXISTS syn_town, syn_cat, syn_tg")
        cur.execute("SELECT count(*) FROM orgs_searchentry")
        rows = int(cur.fetchone()[0])
        seconds = time.monotonic() - started
        cur.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 - a fixed table name
        cur.execute(
            f"INSERT INTO {MARKER_TABLE} (size, seed, version, organisations, search_rows, seconds,"  # noqa: S608
            " derived_version) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [size, seed, GENERATOR_VERSION, org_count(size), rows, seconds, DERIVED_VERSION],
        )
    _reorder(progress)
    _vacuum_analyze([*GENERATED_TABLES, "orgs_searchentry", "orgs_remoteentry", "orgs_clustercell"])
    return Dataset(size=size, seed=seed, organisations=org_count(size), search_rows=rows, seconds=seconds, reused=False)

"""The synthetic rows themselves: the shape of the benchmark's directory
(category shares, formats, protected places, organisation blocks) and the
set-based SQL that writes one chunk of locations, organisations, services and
hours. Every random draw is a hash of (seed, row number, stream), so the data
does not depend on the chunking. ``generator`` drives it chunk by chunk and
keeps the cache of generated data sets.
"""

from __future__ import annotations

from typing import Any

ERROR_NO_TOWNS = "The gazetteer is empty: run manage.py load_gazetteer against this database first."

SYNTHETIC_PREFIX = "[synthetic]"
SYNTHETIC_SOURCE = "Synthetic benchmark data (orgs.bench.generator), not a real organisation."

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

METRES_PER_DEGREE = 111_195.0


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

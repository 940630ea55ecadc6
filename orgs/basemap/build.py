"""Build the product's own basemap: a PMTiles archive of vector tiles for
Russia and EECA (the whole world at the lowest zooms), from Natural Earth
(world-atlas' TopoJSON, vendored in ``data/``) and the gazetteer's towns.

PostGIS encodes the tiles (``ST_AsMVTGeom``/``ST_AsMVT``) in temporary tables
of the project's own database, one query per zoom; the ``pmtiles`` package
writes the archive. Layers and properties follow the Protomaps basemap schema
(``earth``, ``boundaries``, ``places`` with ``name:ru``…), so one client style
draws this archive and an operator's OpenStreetMap extract alike.

Deterministic: the same inputs give a byte-identical file (features and tiles
in a fixed order, gzip without a timestamp, no build time in the metadata).
The inputs' sha256 is stored in the metadata; a build whose inputs have not
changed is skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType, deserialize_directory, zxy_to_tileid
from pmtiles.writer import Writer

from orgs.basemap.topojson import Ring, Topology
from orgs.models import Place

# The code that makes the tiles is an input too: a change to it rebuilds.
CODE = (Path(__file__), Path(__file__).with_name("topojson.py"))
DATA = Path(__file__).parent / "data" / "world-atlas-2.0.2" / "countries-50m.json"
ATTRIBUTION = "© Natural Earth, GeoNames"
EXTENT = 4096
BUFFER = 64
# Web Mercator stops short of the poles.
MAX_LAT = 85.05112878
# The coalitions' region: Russia (Kaliningrad to Chukotka, across the
# antimeridian) and EECA, with some margin. Lower zooms cover the world.
REGION: tuple[tuple[float, float, float, float], ...] = ((10.0, 25.0, 180.0, 84.0), (-180.0, 25.0, -165.0, 84.0))
WORLD_UNTIL_ZOOM = 4
# 50m Natural Earth is as detailed as a zoom-8 tile drawn at 512 px (levelDiff 1
# in protomaps-leaflet, about 150 m a pixel); deeper zooms reuse zoom 8's tiles.
DEFAULT_MAX_ZOOM = 8
SOURCE_MAX_ZOOM = 8
# The data zoom from which a town is in the tiles, by population (a label is
# drawn one display zoom later, as protomaps-leaflet draws zoom z from z-1's tile).
PLACE_ZOOMS = ((1_000_000, 2), (500_000, 3), (200_000, 4), (100_000, 5), (50_000, 6), (25_000, 7), (0, 8))
WORLD_M = 2 * math.pi * 6378137


@dataclass(frozen=True)
class Options:
    path: Path
    data: Path = DATA
    max_zoom: int = DEFAULT_MAX_ZOOM
    # West, south, east, north boxes in degrees; REGION unless a test asks for less.
    region: tuple[tuple[float, float, float, float], ...] = REGION
    world_until_zoom: int = WORLD_UNTIL_ZOOM


@dataclass
class Result:
    path: Path
    built: bool
    inputs_sha256: str
    tiles: int = 0
    size: int = 0
    per_zoom: dict[int, int] = field(default_factory=dict)


def place_zoom(population: int) -> int:
    return next(z for floor, z in PLACE_ZOOMS if population >= floor)


def _places() -> list[tuple[int, str, str, int, float, float]]:
    rows = Place.objects.order_by("geonameid").values_list("geonameid", "name", "name_ru", "population", "point")
    return [(gid, name, name_ru, pop, round(p.x, 6), round(p.y, 6)) for gid, name, name_ru, pop, p in rows]


def inputs_sha256(options: Options, places: Sequence[tuple[Any, ...]]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([options.max_zoom, options.region, options.world_until_zoom]).encode())
    for path in CODE:
        digest.update(path.read_bytes())
    digest.update(options.data.read_bytes())
    digest.update(json.dumps(list(places), ensure_ascii=False).encode())
    return digest.hexdigest()


def archive_inputs_sha256(path: Path) -> str | None:
    """The inputs' hash stored in an archive this module built, or None."""
    try:
        with path.open("rb") as f:
            value = Reader(MmapSource(f)).metadata().get("helplocator:inputs_sha256")
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    return value if isinstance(value, str) else None


def build(options: Options, *, force: bool = False) -> Result:
    places = _places()
    digest = inputs_sha256(options, places)
    if not force and archive_inputs_sha256(options.path) == digest:
        return Result(path=options.path, built=False, inputs_sha256=digest, size=options.path.stat().st_size)
    topology = Topology(options.data)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        _load_sources(cursor, topology, places, min(options.max_zoom, SOURCE_MAX_ZOOM))
        tiles: list[tuple[int, bytes]] = []
        per_zoom: dict[int, int] = {}
        for z in range(options.max_zoom + 1):
            rows = _encode_zoom(cursor, z, _tile_ranges(z, options))
            per_zoom[z] = len(rows)
            tiles.extend((zxy_to_tileid(z, x, y), data) for x, y, data in rows)
        # Dropped here as well as on commit: inside an outer transaction (a test) there is no commit.
        cursor.execute("DROP TABLE bm_earth_src, bm_borders_src, bm_earth, bm_borders, bm_places")
    tiles.sort(key=lambda t: t[0])
    options.path.parent.mkdir(parents=True, exist_ok=True)
    _write(options, tiles, digest)
    return Result(
        path=options.path,
        built=True,
        inputs_sha256=digest,
        tiles=len(tiles),
        size=options.path.stat().st_size,
        per_zoom=per_zoom,
    )


# --- sources ------------------------------------------------------------------------------------


def _crosses_antimeridian(polygon: list[Ring]) -> bool:
    """A ring that jumps from one side of 180° to the other: Wrangel Island,
    Fiji, and Eurasia itself (merged with Chukotka's part east of 180°, along
    the cut). Drawn as it is, such a ring covers a band around the world.
    Antarctica runs along the whole ±180° edge on purpose and is left alone."""
    if min(y for ring in polygon for _, y in ring) < -80:
        return False
    return any(abs(a[0] - b[0]) > 180 for ring in polygon for a, b in itertools.pairwise(ring))


def _unwrapped(polygon: list[Ring]) -> list[Ring]:
    # The part just east of 180° (-180°..-90°) as 180°..270°, so the ring no
    # longer jumps; ST_WrapX then cuts it at 180° and moves that part back.
    # Western Europe's negative longitudes (Iberia is in Eurasia) stay as they are.
    return [[(x + 360 if x < -90 else x, y) for x, y in ring] for ring in polygon]


def _ring_wkt(ring: Ring) -> str:
    return "(" + ",".join(f"{x} {max(-MAX_LAT, min(MAX_LAT, y))}" for x, y in ring) + ")"


def _load_sources(
    cursor: Any, topology: Topology, places: Sequence[tuple[int, str, str, int, float, float]], zooms: int
) -> None:
    cursor.execute("CREATE TEMP TABLE bm_earth_src (id int, geom geometry(Geometry, 3857)) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE bm_borders_src (id int, geom geometry(LineString, 3857)) ON COMMIT DROP")
    polygons = [polygon for _, parts in topology.polygons("land") for polygon in parts]
    polygons = [_unwrapped(p) if _crosses_antimeridian(p) else p for p in polygons]
    # ST_MakeValid: clamping Antarctica to Mercator's limit may fold a ring onto itself.
    cursor.executemany(
        "INSERT INTO bm_earth_src SELECT %s, (ST_Dump(ST_MakeValid(ST_Transform("
        "ST_WrapX(ST_MakeValid(ST_GeomFromText(%s, 4326)), 180, -360), 3857)))).geom",
        [(i, "POLYGON(" + ",".join(_ring_wkt(r) for r in polygon) + ")") for i, polygon in enumerate(polygons)],
    )
    # Keep the polygons only (ST_MakeValid may also leave lines and points of a collapsed ring).
    cursor.execute("DELETE FROM bm_earth_src WHERE GeometryType(geom) <> 'POLYGON'")
    cursor.executemany(
        "INSERT INTO bm_borders_src VALUES (%s, ST_Transform(ST_GeomFromText(%s, 4326), 3857))",
        [(i, "LINESTRING" + _ring_wkt(arc)) for i, arc in enumerate(topology.borders("countries"))],
    )
    cursor.execute(
        "CREATE TEMP TABLE bm_places (id bigint, min_zoom int, population int, name text, name_en text,"
        " name_ru text, geom geometry(Point, 3857)) ON COMMIT DROP"
    )
    cursor.executemany(
        "INSERT INTO bm_places VALUES (%s, %s, %s, %s, %s, %s,"
        " ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857))",
        [
            (gid, place_zoom(pop), pop, name_ru or name, name, name_ru or None, lon, lat)
            for gid, name, name_ru, pop, lon, lat in places
            if abs(lat) < MAX_LAT
        ],
    )
    # Per zoom: simplified to about half a pixel of a 512-pixel tile, then cut
    # into small pieces so that a tile clips only what it touches (Eurasia is
    # one polygon of tens of thousands of points).
    cursor.execute(
        "CREATE TEMP TABLE bm_earth ON COMMIT DROP AS"
        " SELECT z, row_number() OVER (PARTITION BY z ORDER BY s.id, s.part) AS id, s.geom FROM ("
        "   SELECT z, e.id, p.path AS part, p.geom FROM generate_series(0, %s) z, bm_earth_src e,"
        "   LATERAL (SELECT row_number() OVER () AS path, d AS geom FROM ST_Subdivide("
        "     ST_SimplifyPreserveTopology(e.geom, %s / (512.0 * 2 ^ z) / 2), 512) d) p) s",
        [zooms, WORLD_M],
    )
    cursor.execute(
        "CREATE TEMP TABLE bm_borders ON COMMIT DROP AS"
        " SELECT z, b.id, ST_Simplify(b.geom, %s / (512.0 * 2 ^ z) / 2) AS geom"
        " FROM generate_series(0, %s) z, bm_borders_src b",
        [WORLD_M, zooms],
    )
    cursor.execute("CREATE INDEX ON bm_earth USING gist (geom)")
    cursor.execute("CREATE INDEX ON bm_borders USING gist (geom)")
    cursor.execute("CREATE INDEX ON bm_places USING gist (geom)")
    cursor.execute("ANALYZE bm_earth")
    cursor.execute("ANALYZE bm_borders")
    cursor.execute("ANALYZE bm_places")


# --- tiles --------------------------------------------------------------------------------------


def _tile_x(lon: float, z: int) -> int:
    return min((1 << z) - 1, max(0, math.floor((lon + 180.0) / 360.0 * (1 << z))))


def _tile_y(lat: float, z: int) -> int:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
    return min((1 << z) - 1, max(0, math.floor(y * (1 << z))))


def _tile_ranges(z: int, options: Options) -> list[tuple[int, int, int, int]]:
    """x0, x1, y0, y1 (inclusive) of the tiles to make at zoom z."""
    if z <= options.world_until_zoom:
        return [(0, (1 << z) - 1, 0, (1 << z) - 1)]
    return [(_tile_x(w, z), _tile_x(e, z), _tile_y(n, z), _tile_y(s, z)) for w, s, e, n in options.region]


# One query per zoom. The data zoom's source rows (bm_earth.z) are the
# simplification for that zoom, capped at SOURCE_MAX_ZOOM (the source's own detail).
TILES_SQL = """
WITH tiles AS (
    SELECT DISTINCT x, y, ST_TileEnvelope(%(z)s, x, y) AS env
    FROM unnest(%(x0)s::int[], %(x1)s::int[], %(y0)s::int[], %(y1)s::int[]) AS r(x0, x1, y0, y1),
         generate_series(r.x0, r.x1) x, generate_series(r.y0, r.y1) y
), encoded AS (
    SELECT t.x, t.y,
        COALESCE((SELECT ST_AsMVT(q, 'earth', %(extent)s, 'geom') FROM (
            SELECT 'earth' AS kind, g AS geom FROM (
                SELECT e.id, ST_AsMVTGeom(e.geom, t.env, %(extent)s, %(buffer)s, true) AS g
                FROM bm_earth e WHERE e.z = LEAST(%(z)s, %(source_zoom)s) AND e.geom && t.env ORDER BY e.id) c
            WHERE g IS NOT NULL) q), ''::bytea)
        || COALESCE((SELECT ST_AsMVT(q, 'boundaries', %(extent)s, 'geom') FROM (
            SELECT 'country' AS kind, 2 AS kind_detail, g AS geom FROM (
                SELECT b.id, ST_AsMVTGeom(b.geom, t.env, %(extent)s, %(buffer)s, true) AS g
                FROM bm_borders b WHERE b.z = LEAST(%(z)s, %(source_zoom)s) AND b.geom && t.env ORDER BY b.id) c
            WHERE g IS NOT NULL) q), ''::bytea)
        || COALESCE((SELECT ST_AsMVT(q, 'places', %(extent)s, 'geom') FROM (
            SELECT 'locality' AS kind, p.name, p.name_en AS "name:en", p.name_ru AS "name:ru",
                   p.population, p.min_zoom, ST_AsMVTGeom(p.geom, t.env, %(extent)s, 0, true) AS geom
            FROM bm_places p
            WHERE p.min_zoom <= %(z)s AND p.geom && t.env
            ORDER BY p.population DESC, p.id) q WHERE geom IS NOT NULL), ''::bytea) AS data
    FROM tiles t
)
SELECT x, y, data FROM encoded WHERE length(data) > 0 ORDER BY x, y
"""


def _encode_zoom(cursor: Any, z: int, ranges: Iterable[tuple[int, int, int, int]]) -> list[tuple[int, int, bytes]]:
    ranges = list(ranges)
    cursor.execute(
        TILES_SQL,
        {
            "z": z,
            "x0": [r[0] for r in ranges],
            "x1": [r[1] for r in ranges],
            "y0": [r[2] for r in ranges],
            "y1": [r[3] for r in ranges],
            "extent": EXTENT,
            "buffer": BUFFER,
            "source_zoom": SOURCE_MAX_ZOOM,
        },
    )
    return [(x, y, bytes(data)) for x, y, data in cursor.fetchall()]


# --- the archive --------------------------------------------------------------------------------


def _e7(value: float) -> int:
    return round(value * 10_000_000)


def _write(options: Options, tiles: list[tuple[int, bytes]], digest: str) -> None:
    metadata = {
        "name": "Help Locator basemap",
        "attribution": ATTRIBUTION,
        "description": "Natural Earth 1:50m land and borders, GeoNames towns (orgs/basemap/build.py)",
        "helplocator:inputs_sha256": digest,
        "vector_layers": [
            {"id": "earth", "fields": {"kind": "String"}},
            {"id": "boundaries", "fields": {"kind": "String", "kind_detail": "Number"}},
            {
                "id": "places",
                "fields": {
                    "kind": "String",
                    "name": "String",
                    "name:en": "String",
                    "name:ru": "String",
                    "population": "Number",
                    "min_zoom": "Number",
                },
            },
        ],
    }
    header = {
        "tile_type": TileType.MVT,
        "tile_compression": Compression.GZIP,
        "min_lon_e7": _e7(-180),
        "min_lat_e7": _e7(-MAX_LAT),
        "max_lon_e7": _e7(180),
        "max_lat_e7": _e7(MAX_LAT),
        "center_zoom": 3,
        "center_lon_e7": _e7(45),
        "center_lat_e7": _e7(56),
    }
    fd, tmp = tempfile.mkstemp(dir=options.path.parent, prefix=".basemap-", suffix=".pmtiles")
    try:
        with os.fdopen(fd, "wb") as f:
            writer = Writer(f)
            for tile_id, data in tiles:
                writer.write_tile(tile_id, gzip.compress(data, compresslevel=9, mtime=0))
            writer.finalize(header, metadata)
        _zero_gzip_mtimes(Path(tmp), header)
        os.replace(tmp, options.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _zero_gzip_mtimes(path: Path, header: dict[str, Any]) -> None:
    """pmtiles' writer gzips the directories and the metadata with the current
    time in each gzip header (bytes 4-7): zero them, or two builds of the same
    inputs would differ."""
    with path.open("r+b") as f:
        starts = [header["root_offset"], header["metadata_offset"]]
        f.seek(header["root_offset"])
        root = deserialize_directory(f.read(header["root_length"]))
        starts += [header["leaf_directory_offset"] + e.offset for e in root if e.run_length == 0]
        for start in starts:
            f.seek(start + 4)
            f.write(b"\0\0\0\0")

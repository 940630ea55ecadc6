"""The site's own basemap: the build (reproducible, cached), the archive served
with range requests, tiles by z/x/y, and pages that name no other host."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from orgs.basemap import archive as archives
from orgs.basemap.build import Options, build
from orgs.basemap.topojson import Topology
from tests.basemaps import tiny_options
from tests.factories import PlaceFactory

EMPTY_BOUNDS = ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7", "center_zoom", "center_lon_e7", "center_lat_e7")


def _options(tmp_path: Path, name: str) -> Options:
    return tiny_options(tmp_path, name)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def places(db: None) -> None:
    PlaceFactory(geonameid=1, name="Pskov", name_ru="Псков", population=210_501, point=Point(28.33, 57.82))
    PlaceFactory(
        geonameid=2, name="Velikiye Luki", name_ru="Великие Луки", population=91_000, point=Point(30.52, 56.34)
    )


@pytest.fixture
def tiny(tmp_path: Path, places: None, settings: Any) -> Path:
    options = _options(tmp_path, "tiny.pmtiles")
    build(options)
    settings.MAP_BASEMAP = str(options.path)
    return options.path


def test_the_tiny_topology_gives_land_and_one_border(tmp_path: Path) -> None:
    topology = Topology(_options(tmp_path, "x").data)
    [(_, [[ring]])] = topology.polygons("land")
    assert ring[0] == ring[-1] and len(ring) == 7
    assert topology.borders("countries") == [[(30.0, 55.0), (30.0, 59.0)]]


def test_the_same_inputs_give_the_same_file_and_are_not_built_again(tmp_path: Path, places: None) -> None:
    first, second = _options(tmp_path, "a.pmtiles"), _options(tmp_path, "b.pmtiles")
    assert build(first).built and build(second).built
    assert _sha256(first.path) == _sha256(second.path)
    again = build(first)
    assert not again.built  # cached: the inputs' hash is in the archive
    assert build(first, force=True).built and _sha256(first.path) == _sha256(second.path)


def test_a_new_town_rebuilds(tmp_path: Path, places: None) -> None:
    options = _options(tmp_path, "a.pmtiles")
    before = build(options)
    PlaceFactory(geonameid=3, name="Ostrov", name_ru="Остров", population=20_000, point=Point(28.36, 57.34))
    after = build(options)
    assert after.built and after.inputs_sha256 != before.inputs_sha256


# --- the archive by range ----------------------------------------------------------------------


def test_the_archive_whole_and_by_range(client: Client, tiny: Path) -> None:
    data = tiny.read_bytes()
    whole = client.get("/basemap/basemap.pmtiles")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert _body(whole) == data
    head = client.get("/basemap/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert head.status_code == 206
    assert head["Content-Range"] == f"bytes 0-126/{len(data)}"
    assert _body(head) == data[:127]
    tail = client.get("/basemap/basemap.pmtiles", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and _body(tail) == data[-10:]
    rest = client.get("/basemap/basemap.pmtiles", headers={"Range": f"bytes={len(data) - 5}-"})
    assert _body(rest) == data[-5:]
    beyond = client.get("/basemap/basemap.pmtiles", headers={"Range": f"bytes={len(data) - 5}-{len(data) + 100}"})
    assert beyond["Content-Range"] == f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}"


@pytest.mark.parametrize(
    "value", [f"bytes={10**9}-", "bytes=20-10", "bytes=-0", "bytes=-", "lines=0-1", "bytes=0-1,5-6"]
)
def test_a_range_that_cannot_be_served_is_416(client: Client, tiny: Path, value: str) -> None:
    response = client.get("/basemap/basemap.pmtiles", headers={"Range": value})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{tiny.stat().st_size}"


def test_the_archive_is_revalidated_by_etag(client: Client, tiny: Path) -> None:
    etag = client.get("/basemap/basemap.pmtiles", headers={"Range": "bytes=0-1"})["ETag"]
    assert client.get("/basemap/basemap.pmtiles", headers={"If-None-Match": etag}).status_code == 304
    # A range of another version of the file is not mixed in: the whole file instead.
    stale = client.get("/basemap/basemap.pmtiles", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.status_code == 200
    assert client.post("/basemap/basemap.pmtiles").status_code == 405


def test_no_archive_is_a_404(client: Client, settings: Any, tmp_path: Path) -> None:
    settings.MAP_BASEMAP = str(tmp_path / "missing.pmtiles")
    assert client.get("/basemap/basemap.pmtiles").status_code == 404
    assert client.get("/basemap/x/0/0/0.mvt").status_code == 404


# --- tiles ------------------------------------------------------------------------------------


def _tile_url(z: int, x: int, y: int) -> str:
    archive = archives.current()
    assert archive is not None
    return f"/basemap/{archive.etag}/{z}/{x}/{y}.mvt"


def test_a_tile_is_gzipped_vector_data_kept_for_a_year(client: Client, tiny: Path) -> None:
    # Zoom 6 tile holding Pskov (28.33 E, 57.82 N).
    response = client.get(_tile_url(6, 37, 19), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    data = gzip.decompress(response.content)
    for layer in (b"earth", b"boundaries", b"places", "Псков".encode()):
        assert layer in data
    plain = client.get(_tile_url(6, 37, 19))
    assert "Content-Encoding" not in plain and plain.content == data
    assert client.get(_tile_url(6, 37, 19), headers={"If-None-Match": response["ETag"]}).status_code == 304


def test_a_tile_under_an_old_version_is_not_kept_long(client: Client, tiny: Path) -> None:
    response = client.get("/basemap/old/6/37/19.mvt")
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300"


def test_open_sea_is_an_empty_tile(client: Client, tiny: Path) -> None:
    assert client.get(_tile_url(1, 0, 0)).status_code == 204


@pytest.mark.parametrize(("z", "x", "y"), [(7, 0, 0), (2, 4, 0), (2, 0, 4), (31, 0, 0), (6, 64, 19)])
def test_a_tile_outside_the_archive_is_a_404(client: Client, tiny: Path, z: int, x: int, y: int) -> None:
    response = client.get(_tile_url(z, x, y))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# --- pages ------------------------------------------------------------------------------------


def test_the_home_page_draws_the_basemap_from_this_site_only(client: Client, tiny: Path, settings: Any) -> None:
    assert settings.MAP_TILES_URL == ""
    page = client.get("/").content.decode()
    match = re.search(r'data-basemap="([^"]+)"', page)
    assert match
    config = json.loads(match.group(1).replace("&quot;", '"'))
    assert config["tiles"].startswith("/basemap/") and config["tiles"].endswith("/{z}/{x}/{y}.mvt")
    assert config["maxDataZoom"] == 6
    assert config["attribution"] == "© Natural Earth, GeoNames"
    # No other host at all: the only absolute URL is where quick exit goes (a link, not a request).
    assert set(re.findall(r"https?://[^\"'\s<>]+", page)) <= {settings.QUICK_EXIT_URL}


def test_the_policy_allows_no_other_host_by_default(client: Client, tiny: Path) -> None:
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["img-src"] == "'self' data:"
    assert directives["connect-src"] == "'self'"


def test_an_operator_archive_is_credited_to_openstreetmap(settings: Any, tmp_path: Path) -> None:
    other = tmp_path / "osm.pmtiles"
    with other.open("wb") as f:
        writer = Writer(f)
        writer.write_tile(zxy_to_tileid(0, 0, 0), gzip.compress(b""))
        header = {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP}
        writer.finalize({**header, **{k: 0 for k in EMPTY_BOUNDS}}, {"attribution": "<b>made by someone</b>"})
    settings.MAP_BASEMAP = str(other)
    archive = archives.current()
    assert archive is not None and archive.attribution == archives.OSM_ATTRIBUTION
    settings.MAP_BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors, © Protomaps"
    assert archive.attribution == "© OpenStreetMap contributors, © Protomaps"


def test_a_ring_across_the_antimeridian_is_unwrapped_but_iberia_and_antarctica_are_not() -> None:
    from orgs.basemap.build import _crosses_antimeridian, _unwrapped

    wrangel = [[(179.0, 71.0), (-179.0, 71.0), (-179.0, 71.5), (179.0, 71.5), (179.0, 71.0)]]
    assert _crosses_antimeridian(wrangel)
    assert _unwrapped(wrangel) == [[(179.0, 71.0), (181.0, 71.0), (181.0, 71.5), (179.0, 71.5), (179.0, 71.0)]]
    # Eurasia: from Iberia (-9°) to Chukotka's part east of 180°, along the cut.
    eurasia = [[(-9.0, 40.0), (179.99, 66.0), (-179.99, 66.0), (-170.0, 66.0), (-179.99, 65.0), (-9.0, 40.0)]]
    assert _crosses_antimeridian(eurasia)
    assert _unwrapped(eurasia)[0][0] == (-9.0, 40.0) and _unwrapped(eurasia)[0][2] == (180.01, 66.0)
    antarctica = [[(-180.0, -85.0), (180.0, -85.0), (180.0, -70.0), (-180.0, -70.0), (-180.0, -85.0)]]
    assert not _crosses_antimeridian(antarctica)

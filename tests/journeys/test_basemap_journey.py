"""The wary visitor (a person who uses drugs, in Yekaterinburg or Pskov) opens
every map of the site with all other hosts blocked: the home page, a search,
an organisation's page, the embed framed by a coalition's own site (another
local port) and a partner's map picker. Nothing leaves the machine, and the
background is drawn anyway: land, water and borders, town labels at zoom 7
(issue #18).

The basemap is the real one (Natural Earth from world-atlas) with a few real
towns, built once into test-artifacts/basemap/ and reused while its inputs are
unchanged."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from PIL import Image
from pytest_django import DjangoDbBlocker

from orgs.basemap.build import Options, build
from tests import people
from tests.browser.conftest import ARTIFACTS, Directory, Site, directory, framing_server, sign_in_as_partner  # noqa: F401
from tests.factories import PlaceFactory
from tests.journeys.conftest import JOURNEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}
# basemap.js's colours.
LAND = (0xF2, 0xEF, 0xE9)
WATER = (0xC9, 0xDD, 0xE8)
LABEL = (0x1F, 0x29, 0x33)
TOWNS = [
    # name, name_ru, lat, lon, population
    ("Moscow", "Москва", 55.7558, 37.6173, 12_500_000),
    ("Saint Petersburg", "Санкт-Петербург", 59.9386, 30.3141, 5_351_935),
    ("Pskov", "Псков", 57.8192, 28.3318, 210_501),
    ("Velikiy Novgorod", "Великий Новгород", 58.5213, 31.2755, 224_286),
    ("Tver", "Тверь", 56.8587, 35.9176, 425_072),
    ("Smolensk", "Смоленск", 54.7870, 32.0509, 320_991),
    ("Velikiye Luki", "Великие Луки", 56.3400, 30.5452, 91_435),
    ("Ostrov", "Остров", 57.3451, 28.3436, 20_000),
    ("Riga", "Рига", 56.9460, 24.1059, 632_614),
    ("Tallinn", "Таллин", 59.4370, 24.7536, 434_562),
    ("Vilnius", "Вильнюс", 54.6892, 25.2798, 542_366),
    ("Minsk", "Минск", 53.9000, 27.5667, 2_000_000),
    ("Yekaterinburg", "Екатеринбург", 56.8389, 60.6057, 1_495_066),
    ("Kazan", "Казань", 55.7963, 49.1088, 1_243_500),
    ("Kyiv", "Киев", 50.4501, 30.5234, 2_952_301),
    ("Almaty", "Алматы", 43.2500, 76.9167, 2_000_900),
]


@pytest.fixture(scope="module")
def basemap(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Path:
    path = ARTIFACTS / "basemap" / "journey.pmtiles"
    with django_db_blocker.unblock(), transaction.atomic():
        for i, (name, name_ru, lat, lon, population) in enumerate(TOWNS):
            PlaceFactory(
                geonameid=8_000_000 + i, name=name, name_ru=name_ru, population=population, point=Point(lon, lat)
            )
        build(Options(path=path, max_zoom=7))
        transaction.set_rollback(True)
    return path


@pytest.fixture
def own_basemap(make_site: Any, settings: Any, basemap: Path) -> None:
    """The product's defaults: no tile server, the CSP naming no other host."""
    import locator.settings as production

    settings.MAP_TILES_URL = ""
    settings.CONTENT_SECURITY_POLICY = production.CONTENT_SECURITY_POLICY
    settings.MAP_BASEMAP = str(basemap)


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def _drawn(image: Image.Image) -> dict[str, float]:
    """Shares of the map's pixels in the land and water colours, and how many
    are label text (the bottom strip, with the attribution, left out)."""
    width, height = image.size
    pixels = list(image.crop((0, 0, width, max(1, height - 24))).getdata())
    total = len(pixels)
    return {
        "land": sum(_close(p, LAND) for p in pixels) / total,
        "water": sum(_close(p, WATER) for p in pixels) / total,
        "labels": sum(_close(p, LABEL, 24) for p in pixels),
    }


def _shot(page: Any, element: Any, name: str, step: str) -> dict[str, float]:
    """The element as it is on the screen, in the middle of it (under the
    sticky top it would be hidden). Cut from a screenshot of the window: a
    page wider than a phone is shown zoomed out, which element screenshots
    get wrong."""
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    element.evaluate("(e) => e.scrollIntoView({block: 'center', inline: 'center'})")
    box = element.bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    scale = shot.width / page.evaluate("innerWidth")
    image = shot.crop(
        (
            max(0, round(box["x"] * scale)),
            max(0, round(box["y"] * scale)),
            min(shot.width, round((box["x"] + box["width"]) * scale)),
            min(shot.height, round((box["y"] + box["height"]) * scale)),
        )
    )
    image.save(JOURNEYS / f"basemap-{name}-{step}.png")
    return _drawn(image)


def _show_map(page: Any) -> None:
    """On a phone-wide page the list and the map take turns (the list first)."""
    toggle = page.locator("#show-map")
    if toggle.count() and toggle.is_visible():
        toggle.click()


def _wait_for_tiles(page: Any) -> None:
    _show_map(page)
    page.wait_for_selector(".leaflet-container[data-basemap=vector] .leaflet-tile-loaded")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # labels are placed after the tiles' shapes


def _set_view(page: Any, expression: str, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(f"({expression}).setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    _wait_for_tiles(page)


FOLIUM_MAP = "window[Object.keys(window).find((k) => k.startsWith('map_'))]"


@pytest.mark.usefixtures("own_basemap")
@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_every_map_draws_the_sites_own_basemap_and_nothing_leaves_the_machine(
    name: str,
    make_site: Any,
    directory: Directory,  # noqa: F811 - the fixture imported above
    framing_server: Any,  # noqa: F811
    settings: Any,
) -> None:
    settings.LANGUAGE_CODE = "ru"
    partner = people.user("basemap-partner")
    site: Site = make_site(**VIEWPORTS[name])
    page = site.page

    # The home page: the coalitions' region, land and sea and borders.
    page.goto(site.url + "/")
    _wait_for_tiles(page)
    home = _shot(page, page.locator(".leaflet-container").first, name, "1-home")
    assert home["land"] > 0.2 and home["water"] > 0.02, home

    # A search for Pskov; then the map at zoom 7 around it: towns are named.
    page.fill("#place-input", "Псков")
    page.locator("#search-form button[type=submit]").click()
    page.wait_for_selector("#results-list > li")
    _wait_for_tiles(page)
    _shot(page, page.locator(".leaflet-container").first, name, "2-search")
    _set_view(page, FOLIUM_MAP, 57.6, 30.0, 7)
    labelled = _shot(page, page.locator(".leaflet-container").first, name, "3-zoom-7")
    assert labelled["land"] > 0.3 and labelled["labels"] > 150, labelled

    # An organisation's page (its place is approximate: an area, not a pin).
    page.goto(site.url + "/o/nszhc/")
    _wait_for_tiles(page)
    organisation = _shot(page, page.locator(".leaflet-container").first, name, "4-organisation")
    assert organisation["land"] > 0.2, organisation

    # The coalition's own site frames the widget.
    framing_server.html = f'<iframe id="widget" src="{site.url}/embed/" width="360" height="600"></iframe>'
    page.goto(framing_server.url)
    frame = page.frame_locator("#widget")
    _show_map(frame)
    frame.locator(".leaflet-container[data-basemap=vector] .leaflet-tile-loaded").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)
    embed = _shot(page, page.locator("#widget"), name, "5-embed")
    assert embed["land"] > 0.1, embed

    # A partner's map picker, at zoom 7 around Pskov.
    sign_in_as_partner(page, site.url, partner.email)
    page.goto(site.url + "/partner/register/")
    _wait_for_tiles(page)
    _set_view(page, "document.querySelector('[data-point-picker]').hlMap", 57.8, 29.5, 7)
    picker = _shot(page, page.locator("[data-point-picker]").first, name, "6-partner-picker")
    assert picker["land"] > 0.3 and picker["labels"] > 50, picker

    # Nothing asked of any host but this machine (make_site checks it again as it ends).
    assert site.traffic.refused == [] and site.traffic.tiles == [] and site.traffic.stubs == []
    assert any("/basemap/" in url and url.endswith(".mvt") for url in site.traffic.local)

"""Safety of the public pages: protected places never revealed, hostile names
shown as text, no request to anyone but this site (and the tile server), and
only the embed route may be framed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.test import Client
from pytest_django import DjangoDbBlocker

from orgs import models as m
from orgs.seed import seed_load
from tests.basemaps import build_tiny
from tests.factories import (
    ActivePeopleCentreFactory,
    CategoryFactory,
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PlaceFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT_BREAKOUT = "</script><script>alert(1)</script>"
TEMPLATE_LITERAL = "${alert(1)}"
IMG_ONERROR = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def seed(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The seed data, once for the module, rolled back when the module ends."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        seed_load()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


NUMBER = r"(-?\d{1,3}(?:\.\d+)?)"
# Positions as pages write them: [lat, lon] arrays (Leaflet, folium) and {"lat": …, "lon": …} objects.
POSITION_PATTERNS = [
    re.compile(r"\[\s*" + NUMBER + r"\s*,\s*" + NUMBER + r"\s*\]"),
    re.compile(r'"lat":\s*' + NUMBER + r',\s*"lon":\s*' + NUMBER),
]
# The public point of an approximate location is at least half the blur
# radius (1 km by default) from the true one; anything much closer reveals it.
REVEALING_M = 300


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    y = math.radians(lat2 - lat1)
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, y)


def _revealed(html: str, lat: float, lon: float) -> list[str]:
    """What in the page gives away the true point (lat, lon): a position near
    it, rounded or not, or either true coordinate written out as stored.

    A single coordinate rounded to a few decimals is not looked for alone: the
    blurred point may lie due east of the true one, sharing its latitude,
    without revealing anything."""
    found = []
    for pattern in POSITION_PATTERNS:
        for a, b in pattern.findall(html):
            if _metres(float(a), float(b), lat, lon) < REVEALING_M:
                found.append(f"[{a}, {b}]")
    for value in (lat, lon):
        if re.search(re.escape(repr(value)) + r"(?!\d)", html):
            found.append(repr(value))
    return found


def _pages_for(org: m.Organisation, network: m.Network | None = None) -> list[str]:
    pages = ["/", "/embed/", f"/o/{org.slug}/", "/networks/", "/centres/"]
    if network is not None:
        pages += [f"/networks/{network.slug}/", f"/embed/?network={network.slug}"]
    pages += [f"/centres/{c.slug}/" for c in m.ActivePeopleCentre.objects.all()]
    return pages


# --- protected locations -----------------------------------------------------------------------


@pytest.mark.parametrize("visibility", [m.Visibility.APPROXIMATE, m.Visibility.CITY])
def test_true_point_of_a_protected_location_is_in_no_page(client: Client, visibility: str) -> None:
    # A town (for city-only visibility) 4 km from the true point.
    PlaceFactory(point=Point(28.3318, 57.8192, srid=4326))
    network = NetworkFactory(slug="shelters")
    org = OrganisationFactory(slug="shelter", located=False)
    true_lat, true_lon = 57.847913, 28.371864
    LocationFactory(
        organisation=org,
        visibility=visibility,
        point=Point(true_lon, true_lat, srid=4326),
        address="ул. Скрытая, 13",
    )
    MembershipFactory(organisation=org, network=network)
    ActivePeopleCentreFactory(host=org)

    for url in _pages_for(org, network):
        html = _get(client, url)
        assert _revealed(html, true_lat, true_lon) == [], url
        assert "Скрытая" not in html, url
    # The detector works: the organisation's page does show the public point.
    public = m.Location.objects.get(organisation=org).public_point
    assert _revealed(_get(client, f"/o/{org.slug}/"), public.y, public.x)


@pytest.mark.usefixtures("seed")
def test_true_points_of_the_seed_organisations_are_in_no_page(client: Client) -> None:
    # The seed places every organisation at its city, approximately: the
    # stored point is the city centre and must not be drawn as the place.
    network = m.Network.objects.get(slug="stop-sed")
    located = m.Location.objects.filter(visibility=m.Visibility.APPROXIMATE).select_related("organisation")
    assert located.count() == 9
    common = {url: _get(client, url) for url in ["/", f"/networks/{network.slug}/", "/embed/?network=stop-sed"]}
    for location in located:
        pages = dict(common)
        pages[location.organisation.slug] = _get(client, f"/o/{location.organisation.slug}/")
        for url, html in pages.items():
            assert _revealed(html, location.point.y, location.point.x) == [], (url, location.organisation.slug)
        # The organisation's page draws the place, as an area around the blurred point.
        assert _revealed(pages[location.organisation.slug], location.public_point.y, location.public_point.x)


# --- hostile names are text ---------------------------------------------------------------------


def _outside_json(html: str) -> str:
    """The page without its JSON data blocks (json_script escapes <, > and & in them)."""
    return re.sub(r'<script id="[\w-]+" type="application/json">.*?</script>', "", html, flags=re.S)


def _executable_scripts(html: str) -> list[str]:
    return [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
        if "application/json" not in attrs
    ]


def test_hostile_names_are_escaped_in_every_page(client: Client) -> None:
    category = CategoryFactory(slug="hostile-cat", name_ru=IMG_ONERROR, name_en=IMG_ONERROR)
    network = NetworkFactory(slug="hostile-net", name=SCRIPT_BREAKOUT, description=TEMPLATE_LITERAL)
    org = OrganisationFactory(
        slug="hostile",
        name=SCRIPT_BREAKOUT,
        description=f"{TEMPLATE_LITERAL} {IMG_ONERROR}",
        website="javascript:alert(1)//https://x",
        located=False,
    )
    location = LocationFactory(organisation=org, name=TEMPLATE_LITERAL, address=IMG_ONERROR, city=SCRIPT_BREAKOUT)
    ServiceFactory(
        organisation=org,
        name=TEMPLATE_LITERAL,
        description=SCRIPT_BREAKOUT,
        categories=[category],
        locations=[location],
        phone='"><script>alert(1)</script>',
    )
    MembershipFactory(organisation=OrganisationFactory(name=TEMPLATE_LITERAL), network=network)
    MembershipFactory(organisation=org, network=network)
    ActivePeopleCentreFactory(host=org, name=SCRIPT_BREAKOUT, description=IMG_ONERROR, helps_with=[category])

    for url in _pages_for(org, network):
        html = _get(client, url)
        text = _outside_json(html)
        assert "<script>alert(1)" not in text, url
        assert "<img src=x" not in text, url
        assert "javascript:" not in text, url
        for script in _executable_scripts(html):
            assert "alert(1)" not in script, url  # nothing user-written inside a script
    # And the names are there, as text.
    html = _get(client, "/o/hostile/")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "${alert(1)}" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    snippet = _get(client, "/networks/hostile-net/")
    # The snippet's title is escaped for the iframe and once more for the text box.
    assert "title=&quot;&amp;lt;/script&amp;gt;" in snippet


# --- no third parties ---------------------------------------------------------------------------


class _Urls(HTMLParser):
    """Every absolute or protocol-relative URL in a page, and where it is."""

    # A host name with a dot after the slashes: a base64 CSP nonce can hold
    # "//" too, but never a dot.
    URL = re.compile(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s\"'<>\\)]*", re.I)

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []  # <a href>: followed only when someone chooses to
        self.resources: list[tuple[str, str, str]] = []  # anything else: (tag, attribute, url)
        self.in_script = ""
        self.script_urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if tag == "a" and name == "href":
                if self.URL.match(value):
                    self.links.append(value)
                continue
            for url in self.URL.findall(value):
                self.resources.append((tag, name, url))
        self.in_script = tag if tag in ("script", "style") else ""

    def handle_endtag(self, tag: str) -> None:
        self.in_script = ""

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.script_urls += self.URL.findall(data)


def _allowed_script_urls() -> set[str]:
    return {settings.MAP_TILES_URL, *re.findall(r'https?://[^"\'\s<>]+', settings.MAP_TILES_ATTRIBUTION)}


@pytest.mark.usefixtures("seed")
def test_pages_load_nothing_from_other_sites(client: Client, settings: Any) -> None:
    settings.MAP_TILES_URL = "https://tiles.example.net/{z}/{x}/{y}.png"
    org = OrganisationFactory(slug="with-site", website="https://their-own.example.org/", located=False)
    LocationFactory(organisation=org)
    ActivePeopleCentreFactory(host=org)
    network = m.Network.objects.get(slug="stop-sed")

    for url in _pages_for(org, network):
        parser = _Urls()
        parser.feed(_get(client, url))
        # The only absolute URL in an attribute is where quick exit goes.
        assert {u for _, _, u in parser.resources} <= {settings.QUICK_EXIT_URL}, (url, parser.resources)
        assert all(attr == "data-quick-exit-url" for _, attr, _ in parser.resources), url
        # Scripts name the tile server (and link its attribution), nothing else.
        assert set(parser.script_urls) <= _allowed_script_urls(), (url, parser.script_urls)
        if "/o/" in url or url.startswith("/centres/") or url == "/centres/":
            assert settings.MAP_TILES_URL in parser.script_urls
    parser = _Urls()
    parser.feed(_get(client, "/o/with-site/"))
    assert "https://their-own.example.org/" in parser.links  # a link, not a request


@pytest.mark.usefixtures("seed")
def test_pages_with_the_sites_own_basemap_name_no_other_host(client: Client, settings: Any, tmp_path: Path) -> None:
    """The default: the vector basemap from this site, and no other host in
    any attribute or script of any page (the raster case is the test above)."""
    assert settings.MAP_TILES_URL == ""
    settings.MAP_BASEMAP = str(build_tiny(tmp_path))
    org = OrganisationFactory(slug="with-map", located=False)
    LocationFactory(organisation=org)
    network = m.Network.objects.get(slug="stop-sed")
    for url in _pages_for(org, network):
        page = _get(client, url)
        parser = _Urls()
        parser.feed(page)
        assert {u for _, _, u in parser.resources} <= {settings.QUICK_EXIT_URL}, (url, parser.resources)
        assert parser.script_urls == [], (url, parser.script_urls)
        if url in ("/", "/embed/", f"/o/{org.slug}/"):
            assert 'data-basemap="{&quot;tiles&quot;: &quot;/basemap/' in page, url


def test_static_assets_name_no_other_site() -> None:
    from django.contrib.staticfiles import finders

    for path in [
        "frontend/locator-kit.js",
        "frontend/locator-map.js",
        "frontend/locator.js",
        "frontend/basemap.js",
        "frontend/safety.js",
        "frontend/site.css",
        "vendor/leaflet/1.9.4/leaflet.css",
    ]:
        found = finders.find(path)
        assert found, path
        # Comments may cite a URL (Leaflet's cites a browser bug); code may not.
        text = re.sub(r"/\*.*?\*/", "", Path(found).read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, flags=re.I), path
        assert "@import" not in text, path


# --- framing -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("url", ["/", "/o/stellit/", "/networks/", "/networks/stop-sed/", "/centres/"])
def test_pages_other_than_the_embed_refuse_to_be_framed(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("ancestors", ["*", "https://coalition.example https://*.partner.example"])
def test_embed_may_be_framed_by_the_configured_sites(client: Client, settings: Any, ancestors: str) -> None:
    settings.EMBED_FRAME_ANCESTORS = ancestors

    for url in ["/embed/", "/embed/?network=stop-sed"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Frame-Options" not in response.headers
        directives = [d.strip() for d in response.headers["Content-Security-Policy"].split(";")]
        assert f"frame-ancestors {ancestors}" in directives


@pytest.mark.usefixtures("seed")
def test_embed_is_a_compact_locator_with_quick_exit_and_crisis_lines(client: Client) -> None:
    html = _get(client, "/embed/?network=stop-sed")

    assert 'class="page page-locator page-embed"' in html
    assert 'content="noindex"' in html
    assert "data-quick-exit" in html and 'class="crisis-strip"' in html
    assert 'id="place-input"' in html and 'id="results-list"' in html and 'id="remote"' in html
    assert 'target="_blank"' in html  # the link to the full site opens outside the frame


# --- crisis lines ----------------------------------------------------------------------------------


def test_crisis_strip_lists_crisis_lines_widest_first(client: Client) -> None:
    crisis = CategoryFactory(slug="crisis-line", name_ru="Кризисная линия", name_en="Crisis line")
    regional = ServiceFactory(
        name="Линия области",
        categories=[crisis],
        formats=[m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.REGION,
        area_region="RU.60",
        phone="8 800 111-11-11",
    )
    national = ServiceFactory(
        name="Линия для всех",
        categories=[crisis],
        formats=[m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.ANYWHERE,
        phone="8 800 222-22-22",
    )
    hidden = ServiceFactory(
        name="Линия неопубликованной",
        organisation=OrganisationFactory(status=m.PublicationStatus.PENDING, located=False),
        categories=[crisis],
        formats=[m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.ANYWHERE,
        phone="8 800 333-33-33",
    )

    for url in ["/", "/embed/", f"/o/{national.organisation.slug}/", "/networks/", "/centres/"]:
        strip = re.search(r'<aside class="crisis-strip".*?</aside>', _get(client, url), re.S)
        assert strip, url
        text = strip.group(0)
        assert text.index(national.name) < text.index(regional.name)
        assert 'href="tel:88002222222"' in text and 'href="tel:112"' in text
        assert hidden.name not in text

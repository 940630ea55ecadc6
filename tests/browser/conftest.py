"""Browser tests: Playwright driving Debian's Chromium against pytest-django's
live server.

They are skipped only when /usr/bin/chromium is missing (``./dev test``
installs it). Every request that does not go to this machine is answered
here: the tile server is refused (so the map must work without tiles), the
quick-exit site is a stub, and anything else is refused and recorded, so a
test can assert that nothing left the machine. A coalition's page that frames
the widget is served by a second local server (``framing_server``): another
origin, as a coalition's site would be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from orgs import models as m
from tests.conftest import CHROMIUM_ARGS, local_page, use_tiles
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PlaceFactory,
    ServiceFactory,
)

CHROMIUM = Path("/usr/bin/chromium")
# Stand-ins for the outside world (answered by the route handler below).
TILES_URL = "https://tiles.invalid/{z}/{x}/{y}.png"
TILES_HOST = "tiles.invalid"
EXIT_URL = "https://exit.invalid/weather"
EXIT_HOST = "exit.invalid"
LOCAL_HOSTS = ("localhost", "127.0.0.1")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module (a module of other tests may run Playwright of its own:
    two sync Playwright sessions cannot be open at once)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (./dev test installs it)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in the test's thread; Django
        # refuses ORM calls there unless told that this is deliberate.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class FramingServer:
    url: str
    html: str = "<p>coalition</p>"


@pytest.fixture
def framing_server() -> Iterator[FramingServer]:
    """A coalition's own site on another origin (127.0.0.1, another port), serving ``html``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    framing = FramingServer(url=f"http://127.0.0.1:{server.server_address[1]}/")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = framing.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield framing
    server.shutdown()
    server.server_close()


@dataclass
class Traffic:
    """Every request the browser made, by kind."""

    local: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass
class Site:
    url: str
    context: Any
    page: Any
    traffic: Traffic
    dialogs: list[str]

    def new_page(self) -> Any:
        return _watch(self.context.new_page(), self.dialogs)


def _watch(page: Any, dialogs: list[str]) -> Any:
    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(8000)
    return page


@pytest.fixture
def make_site(chromium: Any, live_server: Any, settings: Any) -> Iterator[Callable[..., Site]]:
    """A site with other browser-context options (a phone's viewport, a position).

    Whatever the test did, when it ends no request may have gone anywhere but
    this machine and the tile server, and no dialog may have opened."""
    use_tiles(settings, TILES_URL)
    settings.QUICK_EXIT_URL = EXIT_URL
    made: list[tuple[Iterator[Site], Site]] = []

    def make(**options: Any) -> Site:
        gen = _site(chromium, live_server.url, **options)
        made.append((gen, next(gen)))
        return made[-1][1]

    yield make
    for gen, _site_made in made:
        next(gen, None)
    for _gen, site in made:
        assert site.traffic.refused == [], "requests to other sites"
        assert all(urlsplit(u).hostname == TILES_HOST for u in site.traffic.tiles)
        assert site.dialogs == [], "a dialog opened"


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    """The site in a desktop-sized window, in Russian."""
    return make_site(viewport={"width": 1280, "height": 800})


def _site(chromium: Any, base_url: str, **options: Any) -> Iterator[Site]:
    traffic = Traffic()
    context = chromium.new_context(locale="ru-RU", **options)

    def route(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if host in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
            traffic.local.append(url)
            route.continue_()
        elif host == TILES_HOST:
            traffic.tiles.append(url)
            route.abort()
        elif host == EXIT_HOST:
            traffic.stubs.append(url)
            route.fulfill(status=200, content_type="text/html", body="<title>Погода</title><h1>Погода</h1>")
        else:
            traffic.refused.append(url)
            route.abort()

    context.route("**/*", route)
    dialogs: list[str] = []
    page = _watch(context.new_page(), dialogs)
    yield Site(base_url, context, page, traffic, dialogs)
    context.close()


# --- the data: a small directory shaped like the seed (STOP SED participants at their cities) ---

PSKOV = (57.81922, 28.33181)
SAINT_PETERSBURG = (59.93863, 30.31413)
SMOLENSK = (54.78701, 32.05088)


@dataclass
class Directory:
    network: m.Network
    pskov: m.Organisation
    spb_legal: m.Organisation
    spb_psy: m.Organisation
    smolensk: m.Organisation
    online: m.Service


def _place(geonameid: int, name: str, name_ru: str, point: tuple[float, float], population: int) -> m.Place:
    return PlaceFactory(
        geonameid=geonameid,
        name=name,
        name_ru=name_ru,
        population=population,
        point=Point(point[1], point[0], srid=4326),
        names=[name.lower(), name_ru.lower()],
        search_text=f"{name.lower()} | {name_ru.lower()}",
    )


def _located(name: str, slug: str, city: str, point: tuple[float, float], visibility: str) -> m.Organisation:
    org = OrganisationFactory(name=name, slug=slug, located=False)
    LocationFactory(
        organisation=org,
        name="",
        city=city,
        visibility=visibility,
        point=Point(point[1], point[0], srid=4326),
        address="ул. Тестовая, 1" if visibility == m.Visibility.EXACT else "",
    )
    return org


@pytest.fixture
def directory(transactional_db: None) -> Directory:
    # One transaction: a published organisation must have a location by the
    # time it commits (a deferred constraint trigger), and the tests run in
    # autocommit mode for the live server to see the data.
    with transaction.atomic():
        return _directory()


def _directory() -> Directory:
    _place(504341, "Pskov", "Псков", PSKOV, 210_501)
    _place(498817, "Saint Petersburg", "Санкт-Петербург", SAINT_PETERSBURG, 5_351_935)
    _place(491687, "Smolensk", "Смоленск", SMOLENSK, 320_991)
    psy = CategoryFactory(slug="psychological-help", name_ru="Психологическая помощь", name_en="Psychological help")
    legal = CategoryFactory(slug="legal-aid", name_ru="Юридическая помощь", name_en="Legal aid")
    network = NetworkFactory(slug="stop-sed", name="СТОП СЭД", name_en="STOP SED")
    other = NetworkFactory(slug="other-net", name="Другая сеть")

    pskov = _located("НСЖЦ Псков", "nszhc", "Псков", PSKOV, m.Visibility.APPROXIMATE)
    spb_legal = _located("АНО «Тебе поверят»", "tebe-poveryat", "Санкт-Петербург", SAINT_PETERSBURG, "approximate")
    spb_psy = _located("РОО «Стеллит»", "stellit", "Санкт-Петербург", (59.95, 30.35), m.Visibility.EXACT)
    smolensk = _located("МОО «Центр поддержки женщин»", "tsspzh", "Смоленск", SMOLENSK, m.Visibility.APPROXIMATE)
    for org, category in [(pskov, psy), (spb_legal, legal), (spb_psy, psy), (smolensk, legal)]:
        ServiceFactory(
            organisation=org,
            name=f"Приём: {category.name_ru}",
            categories=[category],
            locations=list(org.locations.all()),
        )
        MembershipFactory(organisation=org, network=network, role=m.MembershipRole.PARTICIPANT)
    online = ServiceFactory(
        organisation=spb_legal,
        name="Консультация юриста онлайн",
        categories=[legal],
        formats=[m.ServiceFormat.ONLINE],
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
        url="https://tebe-poveryat.invalid/",
    )
    # Not a STOP SED member: the coalition's widget must not show it.
    outsider = _located("Чужая организация", "chuzhaya", "Псков", (57.83, 28.30), m.Visibility.EXACT)
    ServiceFactory(organisation=outsider, categories=[psy], locations=list(outsider.locations.all()))
    MembershipFactory(organisation=outsider, network=other)
    return Directory(network, pskov, spb_legal, spb_psy, smolensk, online)


@pytest.fixture
def partner_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Chromium page at a desktop size for the partner forms, that may
    reach only this machine."""
    with local_page(monkeypatch, width=1200, height=900) as page:
        yield page


def pskov_place() -> m.Place:
    """The town the partner forms' autocomplete offers for "Пско"."""
    return PlaceFactory(
        name="Pskov",
        name_ru="Псков",
        point=Point(28.33, 57.82, srid=4326),
        timezone="Europe/Moscow",
        names=["pskov", "псков"],
        search_text="pskov | псков",
    )


def sign_in_as_partner(page: Any, base_url: str, email: str) -> None:
    """Sign in through the login page (the account's password is
    tests.people.PASSWORD) and land on the partner dashboard."""
    from tests import people

    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", people.PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base_url}/partner/")

"""The public pages, rendered by Django's test client: every page with the
seed data, 404s, and what each page must show (issue #4)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from pytest_django import DjangoDbBlocker

from orgs import models as m
from orgs.seed import seed_load
from tests.factories import (
    ActivePeopleCentreFactory,
    CategoryFactory,
    ExpertFactory,
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    ServiceFactory,
    TargetGroupFactory,
)

pytestmark = pytest.mark.django_db

# Pages that exist in the seed data (fixtures/seed.json).
SEED_PAGES = [
    "/",
    "/o/stellit/",
    "/networks/",
    "/networks/stop-sed/",
    "/centres/",
    "/embed/",
    "/embed/?network=stop-sed",
    "/embed/?network=stop-sed&category=legal-aid&free=true",
]


@pytest.fixture(scope="module")
def seed(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The seed data, loaded once for the module (it takes seconds) inside a
    transaction that is rolled back when the module ends; each test still
    runs in its own savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        seed_load()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _locator_config(html: str) -> dict:
    match = re.search(r'<script id="locator-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page has no locator configuration"
    return json.loads(match.group(1))


# --- every page, with the seed ----------------------------------------------------------------


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("url", SEED_PAGES)
@pytest.mark.usefixtures("russian_default")
def test_page_renders_with_the_seed(client: Client, url: str) -> None:
    html = _html(client, url)

    assert '<html lang="ru">' in html  # Russian by default
    assert 'class="crisis-strip"' in html  # crisis lines on every page
    assert 'href="tel:112"' in html
    assert "data-quick-exit" in html
    assert "safety.js" in html
    # A value that went missing shows as "None" in a template: none may.
    assert ">None<" not in html and " None " not in html


@pytest.mark.usefixtures("seed")
def test_every_seed_organisation_and_network_has_a_page(client: Client) -> None:
    slugs = list(m.Organisation.objects.filter(status=m.PublicationStatus.PUBLISHED).values_list("slug", flat=True))
    # The ten STOP SED participants, and the listings of RuNPUD, the ЦАЛ network and the Alliance.
    coalitions_own = {"runpud-network", "tsentry-aktivnykh-lyudei-set", "alliance-tsennost-kazhdogo"}
    assert len(slugs) == 13 and coalitions_own <= set(slugs)
    for slug in slugs:
        html = _html(client, f"/o/{slug}/")
        if slug not in coalitions_own:
            assert "СТОП СЭД" in html  # each other seed organisation is a STOP SED participant
    for slug in m.Network.objects.values_list("slug", flat=True):
        _html(client, f"/networks/{slug}/")


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("url", ["/", "/o/stellit/", "/networks/stop-sed/", "/embed/?network=stop-sed"])
def test_pages_answer_head_and_refuse_post(client: Client, url: str) -> None:
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/o/no-such-organisation/",
        "/networks/no-such-network/",
        "/centres/no-such-centre/",
        "/embed/?network=no-such-network",
    ],
)
def test_unknown_slugs_are_404(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("status", [m.PublicationStatus.PENDING, m.PublicationStatus.REJECTED])
def test_unpublished_organisation_and_its_centre_are_404(client: Client, status: str) -> None:
    org = OrganisationFactory(status=status, located=False)
    LocationFactory(organisation=org)
    centre = ActivePeopleCentreFactory(host=org)

    assert client.get(f"/o/{org.slug}/").status_code == 404
    assert client.get(f"/centres/{centre.slug}/").status_code == 404
    assert centre.name not in _html(client, "/centres/")


# --- the locator: no page embeds the directory's points ---------------------------------------


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("url", ["/", "/embed/?network=stop-sed", "/networks/stop-sed/"])
def test_locator_pages_load_points_from_the_api_not_the_page(client: Client, url: str) -> None:
    html = _html(client, url)
    config = _locator_config(html)

    assert config["api"] == {
        "nearest": "/api/v1/nearest",
        "locations": "/api/v1/locations",
        "places": "/api/v1/places",
        "placeNearest": "/api/v1/places/nearest",
        "interpret": "/api/v1/interpret",
    }
    # The map script holds no point of the directory: neither a public
    # position nor a name of the organisations (the network page lists its
    # members by name, in text, but draws no point server-side).
    script = html.split('<script id="locator-config"')[0]
    for location in m.Location.objects.exclude(public_point=None):
        assert f"{location.public_point.y:.4f}"[:-1] not in script
        assert f"{location.public_point.x:.4f}"[:-1] not in script
    if not url.startswith("/networks/"):
        for name in m.Organisation.objects.values_list("name", flat=True):
            assert name not in html
    # Inside the widget, links to the site's pages open a new tab: those pages refuse to be framed.
    assert config.get("linkTarget") == ("_blank" if url.startswith("/embed/") else None)


def test_home_page_does_not_grow_with_the_directory(client: Client) -> None:
    # The page is the same size with 3 and with 60 organisations: the points
    # come from the viewport API as the map moves.
    for i in range(3):
        OrganisationFactory(name=f"Организация {i}")
    small = len(_html(client, "/"))
    for i in range(3, 60):
        OrganisationFactory(name=f"Организация {i}")
    large = len(_html(client, "/"))

    assert abs(large - small) < 200  # the CSRF token and the map's random name vary a little


@pytest.mark.usefixtures("seed")
def test_search_form_has_every_filter(client: Client) -> None:
    html = _html(client, "/")

    assert 'id="place-input"' in html and 'role="combobox"' in html  # place with suggestions
    assert 'id="locate-me"' in html  # use my location
    assert 'id="f-category"' in html and 'value="legal-aid"' in html  # the category tree
    assert 'id="f-target"' in html and 'value="specialists"' in html  # who it is for
    for value in ("in_person", "online", "phone"):
        assert f'name="format" value="{value}"' in html
    assert 'name="free"' in html and 'name="open_now"' in html
    # Remote help has its own section, outside the filters.
    assert 'id="remote"' in html and 'id="results-list"' in html
    # Sub-categories are indented under their parent: the tree, not a flat list.
    assert re.search(r'value="direct-help">[^<]*</option>\s*<option value="psychological-help">\u00a0{4}', html)


@pytest.mark.usefixtures("seed")
def test_filters_in_the_address_are_preselected(client: Client) -> None:
    html = _html(client, "/?category=legal-aid&target=specialists&format=phone&free=true&open_now=true")

    assert '<option value="legal-aid" selected>' in html
    assert '<option value="specialists" selected>' in html
    assert 'name="format" value="phone" checked' in html
    assert 'name="free" value="true" checked' in html
    assert 'name="open_now" value="true" checked' in html
    # Nonsense is ignored, not a 500.
    assert client.get("/?format=teleport&free=maybe").status_code == 200


# --- the organisation page ---------------------------------------------------------------------


@pytest.fixture
def monday_10am_moscow(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # a Monday
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.mark.usefixtures("russian_default")
def test_organisation_page_shows_everything_the_issue_lists(client: Client, monday_10am_moscow: dt.datetime) -> None:
    category = CategoryFactory(slug="legal-aid-test", name_ru="Юридическая помощь (тест)", name_en="Legal aid (test)")
    target = TargetGroupFactory(slug="families-test", name_ru="Семьи (тест)", name_en="Families (test)")
    network = NetworkFactory(slug="coalition-test", name="Коалиция «Тест»")
    org = OrganisationFactory(
        slug="pomosch",
        name="АНО «Помощь рядом»",
        description="Помогаем семьям.",
        website="https://pomosch.example",
        email="info@pomosch.example",
        last_verified_at=dt.date(2026, 5, 14),
        located=False,
    )
    office = LocationFactory(
        organisation=org, name="Офис", address="ул. Ленина, 1", point=Point(28.33, 57.82, srid=4326)
    )
    OpeningHoursFactory(location=office, weekday=0, opens=dt.time(9), closes=dt.time(18))
    shelter = LocationFactory(
        organisation=org,
        name="Кризисная квартира",
        address="ул. Тайная, 7",
        visibility=m.Visibility.APPROXIMATE,
        point=Point(28.41, 57.85, srid=4326),
    )
    OpeningHoursFactory(location=shelter, weekday=2, opens=dt.time(9), closes=dt.time(12))
    ServiceFactory(
        organisation=org,
        name="Консультация юриста",
        categories=[category],
        target_groups=[target],
        formats=[m.ServiceFormat.IN_PERSON, m.ServiceFormat.PHONE],
        phone="+7 (8112) 00-00-00",
        locations=[office],
    )
    MembershipFactory(organisation=org, network=network, role=m.MembershipRole.MEMBER, since=dt.date(2024, 3, 1))
    ExpertFactory(organisation=org, full_name="Иван Экспертов", email="ivan@private.example", phone="+7 999 123-45-67")

    html = _html(client, "/o/pomosch/")

    assert "АНО «Помощь рядом»" in html and "Помогаем семьям." in html
    assert "Консультация юриста" in html
    assert "Юридическая помощь (тест)" in html and "Семьи (тест)" in html  # categories, target groups
    assert 'href="tel:+78112000000"' in html  # contacts
    assert 'href="https://pomosch.example"' in html and "mailto:info@pomosch.example" in html
    assert 'href="/networks/coalition-test/"' in html and "Коалиция «Тест»" in html  # coalition and role
    assert re.search(r"Коалиция «Тест»</a> — [^<]+ 2024", html)  # role, and since when
    with translation.override("ru"):
        assert date_format(dt.date(2026, 5, 14), "DATE_FORMAT") in html  # last verified
    # Hours, in the location's own time zone, and whether it is open now.
    assert "09:00–18:00" in html and "UTC+3)." in html  # the zone as people say it, not "Europe/Moscow"
    assert re.search(r'<strong class="open">[^<]+</strong>', html)  # the office is open (Monday 10:00)
    assert re.search(r'<span class="closed">[^<]+</span>', html)  # the shelter is not (Wednesdays only)
    # The exact office is a pin; the protected shelter an area, without its address.
    assert html.count('"className": "hl-location"') == 1
    assert html.count('"className": "hl-area"') == 1
    assert "ул. Ленина, 1" in html
    assert "ул. Тайная" not in html
    # Experts' contacts are never public.
    assert "ivan@private.example" not in html and "123-45-67" not in html and "Иван Экспертов" not in html


@pytest.mark.usefixtures("russian_default")
def test_stale_and_unverified_organisations_say_so(client: Client) -> None:
    stale = OrganisationFactory(is_stale=True, last_verified_at=dt.date(2024, 1, 10))
    never = OrganisationFactory(last_verified_at=None)

    html = _html(client, f"/o/{stale.slug}/")
    assert 'class="warning"' in html
    with translation.override("ru"):
        assert date_format(dt.date(2024, 1, 10), "DATE_FORMAT") in html
    html = _html(client, f"/o/{never.slug}/")
    assert 'class="warning"' not in html
    verified = re.search(r'<p class="verified">(.*?)</p>', html, re.S)
    assert verified and not re.search(r"\d", verified.group(1))  # says "not verified", gives no date


def test_organisation_with_only_remote_help_has_no_map(client: Client) -> None:
    org = OrganisationFactory(located=False)
    ServiceFactory(
        organisation=org,
        formats=[m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
        phone="8 800 000-00-00",
    )

    html = _html(client, f"/o/{org.slug}/")

    assert "folium-map" not in html
    assert 'href="tel:88000000000"' in html


# --- coalitions --------------------------------------------------------------------------------


def test_network_page_lists_active_published_members_and_gives_the_embed_snippet(client: Client) -> None:
    network = NetworkFactory(slug="alliance-test", name="Альянс «Тест»")
    member = MembershipFactory(network=network, organisation=OrganisationFactory(name="Член альянса"))
    candidate = MembershipFactory(
        network=network, role=m.MembershipRole.CANDIDATE, organisation=OrganisationFactory(name="Кандидат альянса")
    )
    MembershipFactory(
        network=network, status=m.MembershipStatus.APPLIED, organisation=OrganisationFactory(name="Ещё не принят")
    )
    MembershipFactory(
        network=network,
        organisation=OrganisationFactory(name="Не опубликован", status=m.PublicationStatus.PENDING, located=False),
    )

    html = _html(client, "/networks/alliance-test/")

    assert f'href="/o/{member.organisation.slug}/"' in html
    assert f'href="/o/{candidate.organisation.slug}/"' in html
    assert html.index("Член альянса") < html.index("Кандидат альянса")  # members first, then candidates
    assert "Ещё не принят" not in html and "Не опубликован" not in html
    # The members' map loads the coalition's points from the API.
    assert _locator_config(html)["fixed"] == {"network": ["alliance-test"]}
    # The snippet: an iframe of the embed route, shown as text to copy.
    assert (
        "&lt;iframe src=&quot;http://testserver/embed/?network=alliance-test&quot; "
        "title=&quot;Альянс «Тест»&quot;" in html
    )
    assert '<a href="http://testserver/embed/?network=alliance-test"' in html
    assert _html(client, "/networks/").count('href="/networks/alliance-test/"') == 1


# --- Active People Centres ---------------------------------------------------------------------


@pytest.mark.usefixtures("russian_default")
def test_centre_pages_draw_territories_and_say_what_a_centre_does_not_do(client: Client) -> None:
    category = CategoryFactory(slug="find-officials-test", name_ru="Поиск чиновника (тест)", name_en="Find (test)")
    host = OrganisationFactory(name="Хозяйка центра")
    polygon = ActivePeopleCentreFactory(host=host, name="ЦАЛ «Двор»", slug="dvor", helps_with=[category])
    radius = ActivePeopleCentreFactory(
        host=host,
        name="ЦАЛ «Улица»",
        slug="ulitsa",
        territory=None,
        centre=Point(30.3, 59.9, srid=4326),
        radius_m=1500,
    )

    listing = _html(client, "/centres/")
    assert 'href="/centres/dvor/"' in listing and 'href="/centres/ulitsa/"' in listing
    assert listing.count('"className": "hl-territory"') == 2  # both territories on one map
    # What a centre does not do (seeds/001): carry out initiatives, give money, elections.
    doesnt = re.search(r'<section aria-labelledby="doesnt-title">(.*?)</section>', listing, re.S)
    assert doesnt and doesnt.group(1).count("<li>") == 3

    page = _html(client, f"/centres/{polygon.slug}/")
    assert "ЦАЛ «Двор»" in page and "Хозяйка центра" in page and f'href="/o/{host.slug}/"' in page
    assert "Поиск чиновника (тест)" in page  # what it helps with
    assert 'id="doesnt-title"' in page  # and what it does not do
    assert "L.polygon(" in page and '"className": "hl-territory"' in page
    assert "57.84" in page and "28.36" in page  # the territory's corner

    page = _html(client, f"/centres/{radius.slug}/")
    assert "L.circle(" in page and '"radius": 1500' in page
    # The host's page links its centres.
    assert 'href="/centres/dvor/"' in _html(client, f"/o/{host.slug}/")

"""The Uglich social worker (issue #15): she searches Uglich, opens an
organisation's page and comes Back to the same list; copies the link and the
family opens it in another browser to the same list; Reload keeps it; the
printed list has names, contacts and distances and no map; on a phone the
list and the map take turns. Every card has a next step: a `tel:` link where
there is a phone, directions (geo:) for an exact address and none for a
protected place, whose true point is nowhere in the page. And from the first
Tab, the keyboard reaches the first result's phone number.

A small gazetteer and directory built here: the seed has no phone numbers or
exact addresses to test with, and the real gazetteer (the Pskov journey loads
it) would add a minute to each run for no more of this journey."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from orgs import models as m
from tests.factories import (
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    PlaceFactory,
    ServiceFactory,
)
from tests.journeys.conftest import JOURNEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 850}}

LAWYERS = "АНО «Право ребёнка»"
SHELTER = "Кризисная квартира «Тихая»"
PSYCH = "Центр «Гармония» (тест)"
# The shelter's true point: it must appear nowhere a visitor can read.
SHELTER_TRUE = (57.54771, 38.36113)


def _place(geonameid: int, name: str, name_ru: str, lat: float, lon: float, population: int) -> None:
    PlaceFactory(
        geonameid=geonameid,
        name=name,
        name_ru=name_ru,
        population=population,
        point=Point(lon, lat, srid=4326),
        names=[name.lower(), name_ru.lower()],
        search_text=f"{name.lower()} | {name_ru.lower()}",
    )


def _directory() -> None:
    with transaction.atomic():
        _place(479561, "Uglich", "Углич", 57.52322, 38.32258, 34_668)
        _place(468866, "Yaroslavl", "Ярославль", 57.62987, 39.87368, 591_486)
        network = NetworkFactory(slug="stop-sed", name="СТОП СЭД")
        lawyers = OrganisationFactory(name=LAWYERS, slug="pravo", website="", email="", located=False)
        office = LocationFactory(
            organisation=lawyers,
            city="Углич",
            address="ул. Ярославская, 5",
            point=Point(38.3240, 57.5240, srid=4326),
        )
        for day in range(7):
            OpeningHoursFactory(location=office, weekday=day, opens=dt.time(0), closes=dt.time(23, 59))
        ServiceFactory(
            organisation=lawyers,
            name="Бесплатный юрист для ребёнка",
            phone="+7 (48532) 2-22-22",
            is_free=True,
            locations=[office],
        )
        shelter = OrganisationFactory(name=SHELTER, slug="tihaya", website="", email="", located=False)
        hidden = LocationFactory(
            organisation=shelter,
            city="Углич",
            visibility=m.Visibility.APPROXIMATE,
            point=Point(SHELTER_TRUE[1], SHELTER_TRUE[0], srid=4326),
        )
        ServiceFactory(organisation=shelter, name="Убежище", phone="", email="", url="", locations=[hidden])
        psych = OrganisationFactory(name=PSYCH, slug="garmonia-test", website="", email="", located=False)
        far = LocationFactory(
            organisation=psych,
            city="Углич",
            address="ул. Ростовская, 20",
            point=Point(38.3000, 57.5300, srid=4326),
        )
        ServiceFactory(organisation=psych, name="Психолог", email="garmonia@example.org", locations=[far])
        for org in (lawyers, shelter, psych):
            MembershipFactory(organisation=org, network=network)


def _shot(page: Any, name: str, step: str, full: bool = False) -> None:
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(JOURNEYS / f"locator-state-{name}-{step}.png"), full_page=full)


def _names(page: Any) -> list[str]:
    return page.locator("#results-list .result-title a").all_inner_texts()


def _wait_results(page: Any) -> None:
    page.wait_for_selector("#results-list > li")


def _search_uglich(page: Any, phone: bool) -> None:
    page.locator("#place-input").click()
    page.keyboard.type("Углич", delay=40)
    page.wait_for_selector("#place-options [role=option]")
    button = page.locator("#search-form button[type=submit]")
    if phone:
        button.tap()
    else:
        button.click()
    _wait_results(page)


def _assert_cards(page: Any) -> None:
    names = _names(page)
    assert names[:1] == [LAWYERS] and set(names) == {LAWYERS, SHELTER, PSYCH}, names
    # Nearest first, a distance on every card.
    distances = [
        float(d) for d in page.eval_on_selector_all("#results-list > li", "els => els.map(e => e.dataset.distance)")
    ]
    assert distances == sorted(distances)
    assert page.locator("#results-list .distance").count() == len(names)
    lawyers = page.locator("#results-list > li", has_text=LAWYERS)
    assert lawyers.locator("a[href='tel:+74853222222']").count() == 1
    assert lawyers.locator("a[href^='geo:57.524,38.324']").count() == 1
    assert lawyers.locator(".hours-line .badge.open").count() == 1  # open now, in Uglich's time
    shelter = page.locator("#results-list > li", has_text=SHELTER)
    assert shelter.locator("a[href^='geo:']").count() == 0
    # No public contact: said first on the card, with the coalition and the helplines' hook.
    assert shelter.locator(".no-contact a[href='/networks/stop-sed/']").count() == 1
    assert shelter.locator("[data-hotlines]").count() == 1
    source = page.content()
    for coordinate in ("57.5477", "38.3611"):
        assert coordinate not in source, coordinate


def _journey(make_site: Any, name: str, options: dict[str, Any], lang: str = "ru") -> None:
    phone = bool(options.get("has_touch"))
    site = make_site(**options)
    page = site.page
    page.goto(site.url + "/")
    if lang != "ru":
        with page.expect_navigation():
            page.click(f".lang-links a[hreflang={lang}]")
        assert page.get_attribute("html", "lang") == lang
    _search_uglich(page, phone)
    page.wait_for_timeout(300)
    _shot(page, name, "1-results")
    assert "q=" in page.url and "Углич" in unquote(page.url)
    _assert_cards(page)
    # The filters folded away after the search (their summary would count those on).
    assert not page.locator("#f-category").is_visible()

    if phone:
        # List first; the map is one tap away, and back.
        assert page.locator(".map-wrap").is_hidden()
        page.locator("#show-map").tap()
        page.wait_for_selector(".map-wrap .leaflet-container", state="visible")
        assert page.locator("#results-list").is_hidden()
        assert page.locator(".hl-result").count() == 3
        _shot(page, name, "2-map")
        page.locator("#show-list").tap()
        assert page.locator("#results-list").is_visible() and page.locator(".map-wrap").is_hidden()

    # Her client's organisation, and Back: the same list.
    link = page.locator("#results-list .result-title a", has_text=LAWYERS)
    with page.expect_navigation():
        link.tap() if phone else link.click()
    assert page.locator("h1").inner_text() == LAWYERS
    assert page.locator("a[href='tel:+74853222222']").count() == 1
    assert page.locator("a.directions[href^='geo:']").count() == 1
    _shot(page, name, "3-organisation")
    page.go_back()
    _wait_results(page)
    assert _names(page)[0] == LAWYERS
    assert page.input_value("#place-input") == "Углич"
    _shot(page, name, "4-back")

    # Reload keeps it.
    page.reload()
    _wait_results(page)
    assert set(_names(page)) == {LAWYERS, SHELTER, PSYCH}

    # She copies the link; it names the town and holds no point.
    copy = page.locator("#copy-link")
    copy.tap() if phone else copy.click()
    shared = page.input_value("#share-link")
    assert "#" in shared and "Углич" in unquote(shared) and "lat" not in shared
    _shot(page, name, "5-copied")

    # The family opens it on another device: the same list.
    other = make_site(**options)
    other.page.goto(shared)
    _wait_results(other.page)
    assert _names(other.page) == _names(page)
    _shot(other.page, name, "6-shared")

    # The printout: names, contacts, distances and the link; no map, no header.
    page.emulate_media(media="print")
    assert page.locator(".map-wrap").is_hidden() and page.locator(".top").is_hidden()
    assert page.locator("#search-form").is_hidden()
    assert page.locator("#results-list a[href='tel:+74853222222']").is_visible()
    assert page.locator("#results-list .distance").first.is_visible()
    assert page.locator("#print-link").is_visible() and "#" in page.inner_text("#print-link")
    _shot(page, name, "7-print", full=True)
    page.emulate_media(media="screen")


@pytest.fixture
def uglich(transactional_db: None, settings: Any) -> None:
    settings.LANGUAGE_CODE = "ru"
    _directory()


@pytest.mark.parametrize(("name", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_uglich_social_worker_shares_prints_and_comes_back_to_the_list(
    name: str, options: dict[str, Any], make_site: Any, uglich: None
) -> None:
    _journey(make_site, name, options)


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_the_same_journey_in_english_and_ukrainian(lang: str, make_site: Any, uglich: None) -> None:
    _journey(make_site, f"desktop-{lang}", DESKTOP, lang=lang)


def test_an_old_place_link_becomes_a_fragment_and_the_keyboard_reaches_the_first_phone(
    make_site: Any, uglich: None
) -> None:
    site = make_site(**DESKTOP)
    page = site.page
    page.goto(site.url + "/?place=Углич")
    _wait_results(page)
    # The query is gone from the address (the history keeps the fragment only).
    assert "?" not in page.url and "q=" in page.url
    assert _names(page)[0] == LAWYERS

    # Keyboard only, from the first Tab on a fresh page: to the box, the town, Enter,
    # then Tab by Tab to the first result's phone number.
    page = site.new_page()
    page.goto(site.url + "/")
    tabs = 0
    while page.evaluate("document.activeElement.id") != "place-input":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs < 30, "Tab never reached the search box"
    page.keyboard.type("Углич", delay=40)
    page.wait_for_selector("#place-options [role=option]")
    page.keyboard.press("Enter")
    _wait_results(page)
    target = "#results-list > li:first-child a[href^='tel:']"
    order = []
    while not page.evaluate(f"document.activeElement === document.querySelector({target!r})"):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.textContent.trim().slice(0, 30)"))
        assert len(order) < 12, order  # the phone a few steps after the answer's heading
    _shot(page, "desktop", "8-keyboard")

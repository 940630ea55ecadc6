"""The locator in a real browser: search by place and by position, the list
and the markers linked both ways, filters, points loaded for the viewport, the
map without its tiles, a phone's screen. Every test also checks, when it ends,
that no request went anywhere but this machine and the tile server
(``make_site`` in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from orgs.search.viewport import snapped
from tests.browser.conftest import ARTIFACTS, PSKOV, Directory, Site
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def search_place(site: Site, text: str) -> None:
    page = site.page
    page.fill("#place-input", text)
    # The gazetteer's suggestions, then Enter searches the typed name.
    page.wait_for_selector("#place-options [role=option]")
    page.press("#place-input", "Enter")
    page.wait_for_selector("#results-list > li")


def distances(site: Site) -> list[float]:
    return [
        float(d)
        for d in site.page.eval_on_selector_all("#results-list > li", "els => els.map(e => e.dataset.distance)")
    ]


def result_names(site: Site) -> list[str]:
    return site.page.eval_on_selector_all("#results-list .result-title a", "els => els.map(e => e.textContent)")


def test_search_lists_the_nearest_first_linked_to_markers_and_filters_change_it(
    site: Site, directory: Directory
) -> None:
    page = site.page
    page.goto(site.url + "/")
    page.fill("#place-input", "Пско")
    page.wait_for_selector("#place-options [role=option]")
    assert page.get_attribute("#place-input", "aria-expanded") == "true"
    # Choose the suggestion with the keyboard.
    page.press("#place-input", "ArrowDown")
    assert page.get_attribute("#place-input", "aria-activedescendant") == "place-option-0"
    page.press("#place-input", "Enter")
    page.wait_for_selector("#results-list > li")

    assert page.input_value("#place-input") == "Псков"
    names = result_names(site)
    assert set(names[:2]) == {directory.pskov.name, "Чужая организация"}  # both in Pskov
    assert set(names[2:4]) == {directory.spb_legal.name, directory.spb_psy.name}
    assert names[-1] == directory.smolensk.name
    assert distances(site) == sorted(distances(site))
    # Distances as people read them: a protected place "about 2 km", far ones in km.
    metas = page.eval_on_selector_all("#results-list .distance", "els => els.map(e => e.textContent)")
    assert all("km" in t or "км" in t for t in metas)
    # One numbered marker per result, on the map.
    assert page.locator(".hl-result").count() == len(names)
    assert page.get_attribute('.hl-result[data-result="1"]', "aria-label").endswith(names[0])
    # Remote help has its own section: the online lawyer covers the whole country.
    remote = page.inner_text("#remote-list")
    assert directory.online.name in remote and directory.spb_legal.name in remote
    # The search went to the nearest API only, with the chosen town's position.
    nearest = [u for u in site.traffic.local if "/api/v1/nearest" in u]
    assert nearest
    query = parse_qs(urlsplit(nearest[-1]).query)
    assert query["lat"] == [f"{PSKOV[0]:.4f}"] and query["lon"] == [f"{PSKOV[1]:.4f}"]

    # List → map: the second result's button opens its marker's popup.
    page.locator("#result-2 .show-on-map").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    second = result_names(site)[1]
    assert popup.locator(".hl-popup-title").inner_text() == second
    assert "active" in (page.get_attribute("#result-2", "class") or "")

    # Map → list: a marker (here chosen with the keyboard, as the two in
    # Saint Petersburg overlap at this zoom) marks its item and opens its popup.
    page.focus('.hl-result[data-result="4"]')
    page.keyboard.press("Enter")
    wait_until(page, "document.getElementById('result-4').classList.contains('active')")
    # The previous popup fades out: wait until only the new one is left.
    wait_until(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    assert popup.locator(".hl-popup-title").inner_text() == result_names(site)[3]
    assert "active" not in (page.get_attribute("#result-2", "class") or "")
    # …and the popup's "show in the list" moves the focus to that item.
    popup.locator("button").click()
    assert page.evaluate("document.activeElement.id") == "result-4"

    # After the search the filters folded away; opened, a filter changes the
    # list at once: only the two offering legal aid are left.
    assert not page.locator("#f-category").is_visible()
    page.click(".filters summary")
    with page.expect_response(lambda r: "/api/v1/nearest" in r.url and "category=legal-aid" in r.url):
        page.select_option("#f-category", "legal-aid")
    wait_until(page, "document.querySelectorAll('#results-list > li').length === 2")
    assert result_names(site) == [directory.spb_legal.name, directory.smolensk.name]
    assert distances(site) == sorted(distances(site))

    # A typed name (Latin here) and Enter, without choosing a suggestion, searches too.
    page.select_option("#f-category", "")
    page.fill("#place-input", "smolensk")
    page.press("#place-input", "Enter")
    wait_until(
        page, f"document.querySelector('#results-list .result-title a').textContent === {directory.smolensk.name!r}"
    )
    assert "Smolensk" in page.inner_text("#results-status") or "Смоленск" in page.inner_text("#results-status")


def test_map_loads_points_for_the_viewport_and_use_my_location_searches_from_there(
    make_site: Callable[..., Site], directory: Directory
) -> None:
    site = make_site(
        viewport={"width": 1280, "height": 800},
        geolocation={"latitude": 54.79, "longitude": 32.05},  # in Smolensk
        permissions=["geolocation"],
    )
    page = site.page
    page.goto(site.url + "/")
    page.wait_for_selector("[data-locator][data-points]")
    name = page.get_attribute("[data-locator]", "data-map-name")
    # The opening view (European Russia) shows all five places.
    assert page.get_attribute("[data-locator]", "data-points") == "5"

    def move(lat: float, lon: float, zoom: int) -> str:
        with page.expect_response(lambda r: "/api/v1/locations" in r.url) as response:
            page.evaluate(f"window['{name}'].setView([{lat}, {lon}], {zoom})")
        return response.value.url

    url = move(59.95, 30.33, 11)  # Saint Petersburg: its two organisations only
    assert "in_bbox=" in url and "zoom=11" in url
    # The box is snapped to the server's grid (orgs.search.viewport.snapped), so
    # that neighbouring visitors' URLs coincide for the caches.
    box = tuple(float(v) for v in parse_qs(urlsplit(url).query)["in_bbox"][0].split(","))
    assert len(box) == 4 and snapped(box, 11) == box
    wait_until(page, "document.querySelector('[data-locator]').dataset.points === '2'")
    move(54.78, 32.05, 11)  # Smolensk: one
    wait_until(page, "document.querySelector('[data-locator]').dataset.points === '1'")
    assert "1" in page.inner_text("#map-status")
    # Every tile was refused (make_site checks nothing else left the machine),
    # and still the points are drawn, and the map says the background is missing.
    assert site.traffic.tiles, "the map asked for no tiles at all"
    assert page.get_attribute("[data-locator]", "data-tiles-failed") == "true"
    assert page.locator("path.hl-point").count() == 1

    page.click("#locate-me")
    page.wait_for_selector("#results-list > li")
    assert result_names(site)[0] == directory.smolensk.name
    # The position went into the nearest query and the nearest-town look-up
    # (rounded to two decimals), and nowhere else: the address names the town.
    with_position = [u for u in site.traffic.local if "54.79" in u]
    paths = {u.split("?")[0].split("/api/v1/")[1] for u in with_position}
    assert paths == {"nearest", "places/nearest"}, with_position
    assert [u for u in with_position if "/places/nearest?lat=54.79&lon=32.05" in u]
    wait_until(page, "location.hash.indexOf('q=') >= 0")
    assert "54.79" not in page.url and "32.05" not in page.url


def test_home_page_fits_desktop_and_phone_with_screenshots(
    make_site: Callable[..., Site], directory: Directory
) -> None:
    for label, width, height in [("desktop", 1280, 800), ("phone", 360, 740)]:
        site = make_site(viewport={"width": width, "height": height}, is_mobile=width < 500, has_touch=width < 500)
        page = site.page
        page.goto(site.url + "/")
        search_place(site, "Псков")

        # Nothing wider than the screen: no sideways scrolling on a 360-px phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, label
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"home-{label}.png"), full_page=label == "phone")
        # The quick exit and the crisis lines stay in view when the page scrolls.
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(300)
        assert page.locator(".quick-exit").first.is_visible(), label
        box = page.locator(".crisis-strip").bounding_box()
        assert box is not None and 0 <= box["y"] < height, label


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_on_a_phone_a_search_brings_the_results_and_the_top_shrinks_but_a_filter_keeps_its_focus(
    make_site: Callable[..., Site], directory: Directory
) -> None:
    site = make_site(**PHONE)
    page = site.page
    page.goto(site.url + "/")
    full = page.evaluate("document.querySelector('.top').offsetHeight")
    assert full > 0.12 * 844  # unscrolled, the whole header: links, language, the lines' names
    search_place(site, "Псков")

    # The page moved to the results and the focus to their heading.
    assert page.evaluate("document.activeElement.id") == "results-title"
    assert page.evaluate("document.body.classList.contains('top-compact')")
    top = page.evaluate("document.querySelector('.top').getBoundingClientRect().height")
    assert top <= 0.12 * 844, top
    heading = page.evaluate("document.getElementById('results-title').getBoundingClientRect().top")
    assert top <= heading < 844 / 2, (top, heading)
    # Still reachable, scrolled: the quick exit and the emergency number (the
    # names of the lines are out of sight but still read out).
    assert page.locator(".quick-exit").first.is_visible()
    assert page.locator(".crisis-strip a[href='tel:112']").is_visible()
    assert page.locator(".site-nav").is_hidden() or page.locator(".site-nav").bounding_box()["height"] <= 1

    # A changed filter updates the list where she is: no jump, the focus stays on the filter.
    page.evaluate("window.scrollTo(0, 0)")
    wait_until(page, "!document.body.classList.contains('top-compact')")
    page.locator(".filters summary").tap()
    page.focus("#f-category")
    with page.expect_response(lambda r: "/api/v1/nearest" in r.url and "category=legal-aid" in r.url):
        page.select_option("#f-category", "legal-aid")
    wait_until(page, "document.querySelectorAll('#results-list > li').length === 2")
    page.wait_for_timeout(200)
    assert page.evaluate("document.activeElement.id") == "f-category"
    assert page.evaluate("window.pageYOffset") < 50
    # Back at the top, the whole header is there again.
    assert page.locator(".site-nav a").first.bounding_box()["height"] > 1


def test_a_suggestion_that_appears_under_a_tap_is_not_chosen(site: Site, directory: Directory) -> None:
    """The tap was aimed at what was there before the list appeared: it chooses nothing.
    A press on the list once it has been in view chooses, as always."""
    page = site.page
    page.goto(site.url + "/")
    # The moment the options appear, a press lands on the first one (in the
    # same task: no time at all between the list showing and the press).
    page.evaluate(
        """() => {
      const list = document.getElementById('place-options');
      new MutationObserver((changes, observer) => {
        const option = list.querySelector('[role=option]');
        if (!option || list.hidden) return;
        observer.disconnect();
        option.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true }));
        window.__pressed = true;
      }).observe(list, { childList: true, attributes: true });
    }"""
    )
    page.fill("#place-input", "Пско")
    wait_until(page, "window.__pressed === true")
    page.wait_for_timeout(200)
    assert page.input_value("#place-input") == "Пско"
    assert not [u for u in site.traffic.local if "/api/v1/nearest" in u]
    assert page.locator("#place-options").is_visible()

    page.wait_for_timeout(400)
    page.locator("#place-options [role=option]").first.click()
    page.wait_for_selector("#results-list > li")
    assert page.input_value("#place-input") == "Псков"

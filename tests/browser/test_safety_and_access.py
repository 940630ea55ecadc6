"""Safety and access in a real browser: hostile names stay text, quick exit
leaves no way back, the widget works framed by another site (and nothing else
may be framed), the language switch, labels, focus and the keyboard."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from tests.browser.conftest import EXIT_URL, Directory, FramingServer, Site
from tests.factories import LocationFactory, MembershipFactory, OrganisationFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_NAMES = [
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    '<img src=x onerror="alert(1)">',
]


def search_place(site: Site, text: str) -> None:
    site.page.fill("#place-input", text)
    site.page.press("#place-input", "Enter")
    site.page.wait_for_selector("#results-list > li")


def test_hostile_names_are_shown_as_text_and_run_nothing(site: Site, directory: Directory) -> None:
    with transaction.atomic():
        for i, name in enumerate(HOSTILE_NAMES):
            org = OrganisationFactory(name=name, slug=f"hostile-{i}", located=False)
            location = LocationFactory(
                organisation=org, name=name, city=name, point=Point(28.34 + i * 0.01, 57.82, srid=4326)
            )
            ServiceFactory(organisation=org, name=name, locations=[location])
            MembershipFactory(organisation=org, network=directory.network)
    page = site.page
    page.goto(site.url + "/")
    page.evaluate("window.__pwned = false")
    search_place(site, "Псков")

    titles = page.eval_on_selector_all("#results-list .result-title a", "els => els.map(e => e.textContent)")
    assert set(HOSTILE_NAMES) <= set(titles)
    for i in range(1, len(titles) + 1):  # every popup, built in the browser
        page.locator(f"#result-{i} .show-on-map").click()
    page.wait_for_selector(".leaflet-popup")
    assert page.locator("#results-list img, .leaflet-popup img, .leaflet-marker-pane img").count() == 0
    # The pages rendered on the server, too.
    for url in ["/o/hostile-0/", "/o/hostile-1/", "/o/hostile-2/", "/networks/stop-sed/"]:
        page.goto(site.url + url)
        page.wait_for_load_state("load")
        assert page.locator("main img:not(.leaflet-tile)").count() == 0
    assert "</script><script>alert(1)</script>" in page.locator("main").inner_text()  # the member list
    assert site.dialogs == []


def test_quick_exit_by_button_and_by_escape_leaves_no_way_back(site: Site, directory: Directory) -> None:
    for how in ("button", "escape"):
        page = site.new_page()
        page.goto(site.url + "/o/nszhc/")
        before = page.evaluate("history.length")
        if how == "button":
            page.locator(".quick-exit").first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_url(EXIT_URL)
        # location.replace(): the exit page took this page's place in the history.
        assert page.evaluate("history.length") == before, how
        page.go_back()
        assert not page.url.startswith(site.url), how  # Back does not return to the site
        page.close()

    # Escape in the open list of town suggestions closes the list, and only that.
    page = site.page
    page.goto(site.url + "/")
    page.fill("#place-input", "Пск")
    page.wait_for_selector("#place-options [role=option]")
    page.press("#place-input", "Escape")
    assert page.get_attribute("#place-input", "aria-expanded") == "false"
    assert page.url == site.url + "/"
    page.keyboard.press("Escape")  # now it exits
    page.wait_for_url(EXIT_URL)


def test_embed_works_inside_another_sites_frame_and_nothing_else_can_be_framed(
    site: Site, directory: Directory, framing_server: FramingServer
) -> None:
    framing_server.html = (
        "<h1>Коалиция</h1>"
        f'<iframe id="widget" src="{site.url}/embed/?network=stop-sed" width="800" height="640"></iframe>'
        f'<iframe id="home" src="{site.url}/" width="300" height="200"></iframe>'
    )
    page = site.page
    page.goto(framing_server.url)
    widget = page.frame_locator("#widget")

    widget.locator("#place-input").fill("Псков")
    widget.locator("#place-input").press("Enter")
    widget.locator("#results-list > li").first.wait_for()
    names = widget.locator("#results-list .result-title a").all_inner_texts()
    # Only the coalition's members: the organisation outside STOP SED in Pskov is not listed.
    assert "Чужая организация" not in names
    assert names[0] == directory.pskov.name
    # Links out of the widget open a new tab (the organisation page may not be framed).
    assert widget.locator("#results-list .result-title a").first.get_attribute("target") == "_blank"
    assert widget.locator("[data-locator]").get_attribute("data-points") is not None
    # The home page refuses to be framed (X-Frame-Options: DENY): its frame shows no page.
    home = page.frame(url=lambda url: url.rstrip("/") == site.url.rstrip("/"))
    assert home is None or home.locator("#place-input").count() == 0

    # Quick exit from inside the frame replaces the whole framing page.
    widget.locator(".quick-exit").click()
    page.wait_for_url(EXIT_URL)
    assert site.dialogs == []


def test_language_switch_labels_focus_and_keyboard(site: Site, directory: Directory) -> None:
    page = site.page
    page.goto(site.url + "/")
    assert page.get_attribute("html", "lang") == "ru"
    assert "Психологическая помощь" in page.inner_text("#f-category")

    # Every form control on the main pages has a label a screen reader announces.
    unlabelled = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby'))
        .map(el => el.outerHTML)"""
    for url in ["/", "/o/nszhc/", "/networks/stop-sed/", "/embed/?network=stop-sed", "/centres/"]:
        page.goto(site.url + url)
        assert page.evaluate(unlabelled) == [], url

    # The list is reachable and usable with the keyboard alone, with a visible focus.
    page.goto(site.url + "/")
    search_place(site, "Псков")
    page.focus("#place-input")
    focus_ring = (
        "() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth }"
    )
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        tag = page.evaluate("document.activeElement.closest('#results-list') ? document.activeElement.className : ''")
        if tag:
            reached.append(tag)
            style = page.evaluate(focus_ring)
            assert not style.startswith("none") and not style.endswith(" 0px"), style
        if "show-on-map" in tag:
            break
    assert reached and "show-on-map" in reached[-1]
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup")

    # Switch to English: the page, its data labels and the browser-side texts follow.
    # One tap on the language's link, and the same page comes back in it.
    with page.expect_navigation():
        page.click(".lang-links a[lang=en]")
    assert page.get_attribute("html", "lang") == "en"
    # The restored search (the address's fragment) folds the filters away: read them, not their look.
    assert "Psychological help" in (page.text_content("#f-category") or "")
    search_place(site, "Pskov")
    assert "km" in page.inner_text("#results-list .distance >> nth=0")
    # And Ukrainian.
    with page.expect_navigation():
        page.click(".lang-links a[lang=uk]")
    assert page.get_attribute("html", "lang") == "uk"

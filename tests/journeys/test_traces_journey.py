"""The traces a visitor leaves: someone who fears that another person checks
her phone comes from a search engine, searches, reads an organisation's page
and the privacy page, then leaves with the quick exit. One Back press must
not bring the site back; no cookie outlives the browser session; the privacy
page is one tap from the search (issue #15, "Traces a visitor leaves")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import EXIT_URL, Directory, FramingServer
from tests.journeys.conftest import JOURNEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}


def _shot(page: Any, name: str, step: str) -> None:
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(JOURNEYS / f"traces-{name}-{step}.png"))


def _site_cookies(context: Any) -> list[dict[str, Any]]:
    return [c for c in context.cookies() if c["domain"] in ("localhost", "127.0.0.1")]


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_quick_exit_leaves_no_way_back_and_no_lasting_cookie(
    name: str, make_site: Any, directory: Directory, framing_server: FramingServer, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "ru"
    framing_server.html = "<title>Поисковик</title><h1>Поисковик</h1>"
    site = make_site(**VIEWPORTS[name])
    page = site.page
    # She arrives from another site (a search engine), in the same tab.
    page.goto(framing_server.url)
    page.goto(site.url + "/")
    page.fill("#place-input", "Псков")
    page.wait_for_selector("#place-options [role=option]")
    page.locator("#search-form button[type=submit]").click()
    page.wait_for_selector("#results-list li")
    _shot(page, name, "1-results")

    # An organisation's page from the results, the coalitions, the search again.
    page.locator("#results-list a[href^='/o/']").first.click()
    page.wait_for_url(site.url + "/o/**")
    page.locator(".site-nav a").nth(1).click()
    page.wait_for_url(site.url + "/networks/")
    page.locator(".site-nav a").first.click()
    page.wait_for_url(site.url + "/")

    # The privacy page is one tap from the search; it says what the site keeps.
    page.locator("#place-hint a").click()
    page.wait_for_url(site.url + "/privacy/")
    assert page.locator("h1").inner_text() == "Что сайт знает о вас"
    assert "100 метров" in page.content()
    _shot(page, name, "2-privacy")

    cookies = _site_cookies(site.context)
    # Session cookies only (expires -1): nothing that outlives the browser.
    assert all(c["expires"] == -1 for c in cookies), cookies
    assert not any(c["name"] == "csrftoken" for c in cookies), cookies

    page.locator(".quick-exit").first.click()
    page.wait_for_url(EXIT_URL)
    _shot(page, name, "3-exit")
    # One Back: the search engine she came from, not a page of the site.
    page.go_back()
    page.wait_for_load_state()
    assert page.url == framing_server.url, page.url
    _shot(page, name, "4-back")

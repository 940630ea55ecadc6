"""One search box for need and place (issue #15), in Russian, on a phone and
on a desktop, against the real gazetteer and the real seed:

- an Uglich social worker types «бесплатный юрист для ребёнка Углич»: legal
  help for the child first, with what was understood shown;
- «углеч» asks "Углич?" and searches nothing;
- «zzzz» is an empty state with the free hotlines, and no town is chosen;
- Yekaterinburg, «наркотики»: peer and legal help for people who use drugs,
  remote included;
- the Pskov mother types «Псков» and taps the button: Pskov's nearest help,
  with a hotline on the first screen."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import load_gazetteer
from tests.journeys.conftest import JOURNEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}


def _shot(page: Any, name: str, step: str) -> None:
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(JOURNEYS / f"searchbox-{name}-{step}.png"))


def _search(page: Any, text: str, *, tap: bool = False) -> None:
    page.fill("#place-input", text)
    button = page.locator("#search-form button[type=submit]")
    with page.expect_response(lambda r: "/api/v1/interpret?" in r.url):
        if tap:
            button.tap()
        else:
            page.press("#place-input", "Enter")


def _in_view(page: Any, selector: str) -> bool:
    """Whether the element's top (its first lines: a card can be taller than a phone's screen) is on the screen."""
    return bool(
        page.evaluate(
            "s => { const e = document.querySelector(s); if (!e) return false; const r = e.getBoundingClientRect();"
            " return r.width > 0 && r.top >= 0 && r.top + Math.min(r.height, 60) <= window.innerHeight; }",
            selector,
        )
    )


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_one_box_understands_need_and_place_and_never_guesses_a_town(name: str, make_site: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "ru"
    load_gazetteer()
    call_command("load_seed", verbosity=0)
    options = VIEWPORTS[name]
    phone = bool(options.get("has_touch"))
    site = make_site(**options)
    page = site.page
    page.goto(site.url + "/")

    # The Uglich social worker: free legal help for a child, first.
    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url) as nearest:
        _search(page, "бесплатный юрист для ребёнка Углич")
    assert nearest.value.json()["origin"]["place"]["name_ru"] == "Углич"
    page.wait_for_selector("#results-list > li")
    _shot(page, name, "1-uglich-lawyer")
    understood = page.inner_text("#query-understood")
    assert "Права и юридическая помощь" in understood and "бесплатно" in understood.lower()
    first = page.inner_text("#results-list > li >> nth=0")
    assert "Углич" in first and "адвокат" in first, first

    # A typo asks, and searches nothing.
    _search(page, "углеч")
    page.wait_for_selector(".did-you-mean button")
    _shot(page, name, "2-typo-asks")
    towns = page.locator(".did-you-mean button").all_inner_texts()
    assert towns[0].startswith("Углич"), towns
    assert page.locator("#results-list > li").count() == 0

    # Nonsense: an empty state with hotlines, no town.
    _search(page, "zzzz")
    page.wait_for_selector("#query-understood .hotlines a[href='tel:88002000122']")
    _shot(page, name, "3-nonsense-hotlines")
    assert "zzzz" in page.inner_text("#query-understood")
    assert page.locator("#query-understood .hotlines a[href='tel:112']").count() == 1
    assert page.locator("#results-list > li").count() == 0

    # Yekaterinburg, drugs: peer and legal help, remote included.
    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url) as nearest:
        _search(page, "наркотики Екатеринбург")
    assert nearest.value.json()["origin"]["place"]["name_ru"] == "Екатеринбург"
    page.wait_for_selector("#remote-list li")
    remote = page.inner_text("#remote-list")
    _shot(page, name, "4-yekaterinburg-drugs")
    assert "RuNPUD" in remote and "правовой грамотности" in remote, remote
    assert "Люди, употребляющие наркотики" in page.inner_text("#query-understood")

    # The Pskov mother: her town and a tap on the button.
    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url) as nearest:
        _search(page, "Псков", tap=phone)
    assert nearest.value.json()["origin"]["place"]["name_ru"] == "Псков"
    page.wait_for_selector("#results-list > li")
    page.wait_for_timeout(400)
    _shot(page, name, "5-pskov")
    assert "Псков" in page.inner_text("#results-status")
    # Help for her child first, not the services for specialists and the media.
    first = page.inner_text("#results-list > li >> nth=0")
    assert "адвокат" in first and "Комментарий для СМИ" not in first, first
    assert _in_view(page, "#results-list > li")
    # A number to call on the first screen: the crisis strip's hotline.
    assert _in_view(page, ".crisis-strip a[href='tel:88002000122']") or _in_view(
        page, "#results-list > li a[href^='tel:']"
    )

"""The Pskov mother: on a phone (or a desktop), in Russian, she types «Псков»,
sees the town suggestions appear, and taps «Найти помощь». She must get
Pskov's nearest help, in view, with the page's header small enough to leave
room for it (issue #15, "The wrong town" and "Results first").

The real gazetteer (ten thousand towns, where «Псков» also suggests other
places) and the real seed, as in production."""

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
# The sticky top (header and crisis lines) may take at most this share of the screen.
HEADER_SHARE = 0.12


def _shot(page: Any, name: str, step: str) -> None:
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    # The screen as she sees it, not the whole page: what is "in view" is the point.
    page.screenshot(path=str(JOURNEYS / f"locator-pskov-{name}-{step}.png"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_pskov_mother_types_her_town_taps_the_button_and_sees_pskov_help(
    name: str, make_site: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "ru"
    load_gazetteer()
    call_command("load_seed", verbosity=0)
    options = VIEWPORTS[name]
    phone = bool(options.get("has_touch"))
    height = options["viewport"]["height"]
    site = make_site(**options)
    page = site.page
    page.goto(site.url + "/")
    _shot(page, name, "1-home")

    # She types her town (as a person types: key by key) and sees suggestions.
    page.locator("#place-input").click()
    page.keyboard.type("Псков", delay=60)
    page.wait_for_selector("#place-options [role=option]")
    options_text = page.locator("#place-options [role=option]").all_inner_texts()
    assert len(options_text) > 1, options_text  # other towns are suggested too
    _shot(page, name, "2-suggestions")

    # The button is not under the list: what she taps is the button.
    button = page.locator("#search-form button[type=submit]")
    box = _box(page, "#search-form button[type=submit]")
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    on_top = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y);"
        " return e !== null && e.closest('button[type=submit]') !== null; }",
        list(centre),
    )
    assert on_top, "the suggestions cover the search button"
    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url) as answer:
        if phone:
            button.tap()
        else:
            button.click()
    data = answer.value.json()
    page.wait_for_selector("#results-list > li")
    page.wait_for_timeout(400)  # the page moving to the results (smooth on no device: instant)
    _shot(page, name, "3-results")

    # Pskov, not a town suggested beside it.
    assert data["origin"]["place"]["name_ru"] == "Псков", data["origin"]
    assert page.input_value("#place-input") == "Псков"
    assert "Псков" in page.inner_text("#results-status")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "results-title"

    # The first result is on her screen, below the sticky top, and the top is small.
    top = _box(page, ".top")
    assert top["height"] <= HEADER_SHARE * height, (top["height"], height)
    first = _box(page, "#results-list > li")
    assert first["y"] >= top["y"] + top["height"] - 1, (first, top)
    assert first["y"] + min(first["height"], 120) <= height, (first, height)
    # The quick exit and the emergency number are still there to reach.
    assert page.locator(".quick-exit").first.is_visible()
    assert page.locator(".crisis-strip a[href='tel:112']").first.is_visible()

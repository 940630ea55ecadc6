"""A coordinator (or a journalist, or anyone) asks where psychological help is
missing: on a phone and on a desktop, in Russian, /coverage/ shows the towns
on the map coloured by distance and the tables of population by distance band
(issue #19). The real gazetteer's towns of 50,000 people or more (the
whole gazetteer took two minutes to measure on a loaded machine; the
measure itself is checked against brute force in tests/test_coverage.py)
and the seed, the coverage computed as the nightly job does."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from orgs import models as m
from tests.conftest import load_gazetteer
from tests.journeys.conftest import JOURNEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_where_psychological_help_is_missing_shows_the_map_and_the_tables(
    name: str, make_site: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "ru"
    load_gazetteer()
    call_command("load_seed", verbosity=0)
    # Services that cover a town keep it (their area is a protected reference).
    kept = m.Service.objects.exclude(area_place=None).values("area_place")
    m.Place.objects.filter(population__lt=50_000).exclude(pk__in=kept).delete()
    towns = m.Place.objects.count()
    call_command("refresh_coverage", verbosity=0)
    site = make_site(**VIEWPORTS[name])
    page = site.page
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    # Not "load": that waits for map tiles, which the test tile server answers slowly under load.
    page.goto(site.url + "/coverage/?category=psychological-help", wait_until="domcontentloaded", timeout=30_000)
    assert "Психологическая" in page.locator("h1").inner_text()
    # Every town is drawn (the map fetched all pages of towns).
    page.wait_for_selector("[data-towns-drawn]", timeout=30_000)
    wrap = page.locator("[data-coverage-map]")
    drawn = int(wrap.get_attribute("data-towns-drawn") or 0)
    assert drawn == towns and drawn > 300, (drawn, towns)
    assert page.locator(".leaflet-overlay-pane canvas").count() >= 1
    wrap.scroll_into_view_if_needed()
    page.screenshot(path=str(JOURNEYS / f"coverage-{name}-1-map.png"))
    # It says what is counted and what is not.
    assert "GeoNames" in page.locator(".coverage-counted").inner_text()
    table = page.locator("#coverage-countries")
    table.scroll_into_view_if_needed()
    rows = table.locator("tbody tr").all_inner_texts()
    assert rows and "RU" in "\n".join(rows)
    page.screenshot(path=str(JOURNEYS / f"coverage-{name}-2-tables.png"))
    page.locator("#coverage-largest").scroll_into_view_if_needed()
    page.screenshot(path=str(JOURNEYS / f"coverage-{name}-3-largest.png"))
    # The page itself never scrolls sideways (the wide tables scroll in their box).
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

"""The registration form in a real browser (Debian's Chromium through
Playwright): pick the town from the gazetteer list, click the map to mark the
place, submit, and find the point that was clicked in the database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from orgs import models as m
from tests import factories as f
from tests import people
from tests.browser.conftest import pskov_place, sign_in_as_partner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_an_organisation_picking_the_point_on_the_map(live_server, partner_page) -> None:
    page = partner_page
    f.CategoryFactory(slug="psychological-help", name_en="Psychological help")
    f.NetworkFactory(slug="stop-sed", name="STOP SED", roles=["participant"])
    pskov = pskov_place()
    User.objects.create_user("anna@example.org", "anna@example.org", people.PASSWORD)

    sign_in_as_partner(page, live_server.url, "anna@example.org")

    page.goto(f"{live_server.url}/partner/register/")
    page.fill("#id_org-name", "АНО «Светлый дом»")
    page.fill("#id_org-ogrn", "1027700132195")

    # The town from the gazetteer's list: its id goes into the hidden input.
    page.fill("#id_loc-0-city", "Пско")
    page.locator(".combo-option", has_text="Псков").first.click()
    assert page.input_value("#id_loc-0-place") == str(pskov.pk)
    assert page.input_value("#id_loc-0-city") == "Псков"

    # A click on the map sets the hidden lat/lon to the point under the pointer.
    picker = page.locator("[data-point-picker]").first
    picker.scroll_into_view_if_needed()
    assert page.input_value("#id_loc-0-lat") == ""
    picker.click(position={"x": 300, "y": 160})
    lat, lon = float(page.input_value("#id_loc-0-lat")), float(page.input_value("#id_loc-0-lon"))
    # Where that point is on the map, in pixels: under the click (within a pixel or two of rounding).
    x, y = page.evaluate(
        "([lat, lon]) => { const p = document.querySelector('[data-point-picker]').hlMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    assert abs(x - 300) <= 2 and abs(y - 160) <= 2
    # The map was moved to the town chosen, so the point is near it.
    assert abs(lat - 57.82) < 0.2 and abs(lon - 28.33) < 0.3
    assert "Chosen point" in page.inner_text("[data-point-status]")

    page.check("#id_loc-0-visibility_1")  # approximate
    page.fill("#id_svc-0-name", "Консультация психолога")
    page.check("input[name='svc-0-categories'][value='psychological-help']")
    page.check("input[name='svc-0-formats'][value='in_person']")
    page.select_option("#id_net-net_stop-sed", "participant")
    page.click("form[data-partner-form] p > button.primary")
    page.wait_for_url("**/partner/o/**")
    assert "Waiting for a moderator" in page.content()

    org = m.Organisation.objects.get()
    assert org.status == m.PublicationStatus.PENDING
    location = org.locations.get()
    assert (location.point.y, location.point.x) == (lat, lon)
    assert location.place == pskov and location.visibility == "approximate"
    assert org.memberships.get().network.slug == "stop-sed"

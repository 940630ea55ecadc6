"""Adding a place to a published listing in a real browser (Debian's Chromium
through Playwright): the same point picker as the registration form; the place
waits for approval with the point that was clicked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from orgs import models as m
from tests import factories as f
from tests import people
from tests.browser.conftest import pskov_place, sign_in_as_partner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_place_picking_the_point_on_the_map(live_server, partner_page) -> None:
    page = partner_page
    pskov = pskov_place()
    # Autocommit here: a published listing is written with its place, then published.
    org = f.OrganisationFactory(slug="org", name="АНО «Дом»", status=m.PublicationStatus.PENDING)
    f.LocationFactory(organisation=org)
    m.Organisation.objects.filter(pk=org.pk).update(status=m.PublicationStatus.PUBLISHED)
    owner = User.objects.create_user("anna@example.org", "anna@example.org", people.PASSWORD)
    m.OrganisationAccess.objects.create(organisation=org, user=owner)

    sign_in_as_partner(page, live_server.url, "anna@example.org")

    page.goto(f"{live_server.url}/partner/o/org/")
    page.click("a[href='/partner/o/org/locations/new/']")
    page.wait_for_url("**/locations/new/")
    page.fill("#id_loc-city", "Пско")
    page.locator(".combo-option", has_text="Псков").first.click()
    assert page.input_value("#id_loc-place") == str(pskov.pk)
    picker = page.locator("[data-point-picker]").first
    picker.scroll_into_view_if_needed()
    picker.click(position={"x": 250, "y": 150})
    lat, lon = float(page.input_value("#id_loc-lat")), float(page.input_value("#id_loc-lon"))
    assert abs(lat - 57.82) < 0.2 and abs(lon - 28.33) < 0.3
    page.fill("#id_loc-address", "ул. Новая, 5")
    page.click("form[data-partner-form] p > button.primary")
    page.wait_for_url(f"{live_server.url}/partner/o/org/")
    assert "Sent for approval" in page.content()

    assert org.locations.count() == 1  # the factory's; the new one waits
    proposal = m.ChangeRequest.objects.get().changes["location"]["new"]
    assert proposal["point"] == {"lat": lat, "lon": lon}
    assert proposal["address"] == "ул. Новая, 5" and proposal["place"] == pskov.pk

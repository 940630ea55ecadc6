"""The organisation page gives a next step (issue #15): directions (geo:) for an
exact place only, "opens at …" in the place's own time zone, and a listing
with no public contact says so first and points to its coalition."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from orgs import models as m
from orgs import selectors
from tests.factories import (
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

MONDAY_10AM_MOSCOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture(autouse=True)
def _russian_monday(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    settings.LANGUAGE_CODE = "ru"
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10AM_MOSCOW)


def _page(client: Client, slug: str) -> str:
    response = client.get(f"/o/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_directions_for_the_exact_place_only_and_no_true_point_of_the_protected_one(client: Client) -> None:
    org = OrganisationFactory(slug="two-places", located=False)
    LocationFactory(organisation=org, point=Point(38.3317, 57.5281, srid=4326), address="ул. Ярославская, 1")
    shelter = LocationFactory(
        organisation=org, visibility=m.Visibility.APPROXIMATE, point=Point(38.3611, 57.5477, srid=4326)
    )
    html = _page(client, "two-places")
    assert html.count('href="geo:') == 1
    assert 'href="geo:57.5281,38.3317"' in html
    assert "57.5477" not in html and "38.3611" not in html  # the shelter's true point
    shelter.refresh_from_db()
    assert shelter.public_position is not None and f"geo:{shelter.public_position.lat}" not in html


def test_a_closed_place_says_when_it_opens_in_its_own_time_zone() -> None:
    office = LocationFactory(timezone="Asia/Yekaterinburg")  # 12:00 there when Moscow says 10:00
    OpeningHoursFactory(location=office, weekday=0, opens=dt.time(9), closes=dt.time(11))
    OpeningHoursFactory(location=office, weekday=0, opens=dt.time(14), closes=dt.time(18))
    OpeningHoursFactory(location=office, weekday=3, opens=dt.time(9), closes=dt.time(18))
    assert selectors.is_open(office) is False
    assert selectors.next_opening(office) == (0, 0, dt.time(14))  # today, Monday, at 14:00
    late = MONDAY_10AM_MOSCOW.replace(hour=19)  # 21:00 in Yekaterinburg
    assert selectors.next_opening(office, late) == (3, 3, dt.time(9))  # Thursday
    assert selectors.next_opening(LocationFactory()) is None


def test_the_page_shows_opens_at(client: Client) -> None:
    org = OrganisationFactory(slug="opens-later", located=False)
    office = LocationFactory(organisation=org)
    OpeningHoursFactory(location=office, weekday=0, opens=dt.time(15), closes=dt.time(18))
    assert "15:00" in _page(client, "opens-later").split('class="open-state"')[1].split("</p>")[0]


def test_no_public_contact_is_said_first_with_the_coalitions_page(client: Client) -> None:
    network = NetworkFactory(slug="stop-sed-test", name="СТОП СЭД (тест)")
    org = OrganisationFactory(slug="silent", website="", email="", located=False)
    LocationFactory(organisation=org)
    ServiceFactory(organisation=org, phone="", email="", url="", locations=list(org.locations.all()))
    MembershipFactory(organisation=org, network=network)
    html = _page(client, "silent")
    note = html.index('class="no-contact"')
    assert note < html.index('id="services-title"')
    assert 'href="/networks/stop-sed-test/"' in html[note : html.index('id="services-title"')]
    assert "data-hotlines" in html


def test_a_listing_with_a_phone_has_no_such_note(client: Client) -> None:
    org = OrganisationFactory(slug="callable", website="", email="", located=False)
    LocationFactory(organisation=org)
    ServiceFactory(organisation=org, phone="+7 800 000-00-00", locations=list(org.locations.all()))
    html = _page(client, "callable")
    assert 'class="no-contact"' not in html and 'href="tel:+78000000000"' in html

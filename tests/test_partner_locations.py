"""Adding and removing a place of an existing listing, through the API and the
pages: live at once for a listing not published yet (or by a moderator); for a
published listing an owner's new place, or removal, waits for approval as a
change request that shows the whole place, checked in full when it is asked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from api.serializers import LAT_LON_PAIR
from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"

NEW_PLACE = {
    "name": "Второй офис",
    "lat": 57.9,
    "lon": 28.4,
    "address": "ул. Новая, 5",
    "city": "Псков",
    "visibility": "exact",
    "phone": "+7 8112 11-11-11",
    "languages": ["ru", "en"],
    "hours": [{"weekday": 2, "opens": "10:00", "closes": "17:00"}],
}


def _page(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


# --- the API ---------------------------------------------------------------------------------


def test_a_place_of_a_listing_not_published_yet_is_added_at_once(owner) -> None:
    org = people.owned(owner, status="pending")
    response = people.api_as(owner).post(f"{V1}/partner/organisations/org/locations", NEW_PLACE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["applied"] is True and body["change_request"] is None
    location = m.Location.objects.get(pk=body["id"])
    assert location.organisation == org
    assert (location.point.y, location.point.x) == (57.9, 28.4)
    assert location.languages == ["ru", "en"]
    assert [(h.weekday, h.opens.hour, h.closes.hour) for h in location.hours.all()] == [(2, 10, 17)]
    assert not m.ChangeRequest.objects.exists()


def test_a_new_place_of_a_published_listing_waits_and_approval_creates_it(owner, moderator, api, mailoutbox) -> None:
    org = people.owned(owner)
    response = people.api_as(owner).post(f"{V1}/partner/organisations/org/locations", NEW_PLACE, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["applied"] is False and body["id"] is None
    proposal = body["change_request"]["changes"]["location"]
    assert proposal["old"] is None
    assert proposal["new"]["point"] == {"lat": 57.9, "lon": 28.4}
    assert proposal["new"]["address"] == "ул. Новая, 5" and proposal["new"]["visibility"] == "exact"
    assert proposal["new"]["hours"] == [{"weekday": 2, "opens": "10:00", "closes": "17:00"}]
    # Nothing public yet: still the one place.
    assert org.locations.count() == 1
    near_new = api.get(f"{V1}/nearest", {"lat": 57.9, "lon": 28.4, "k": 5}).json()["results"]
    assert [r["location"]["address"] for r in near_new] == [""]
    # The moderation queue (API) shows the whole place.
    queue = people.api_as(moderator).get(f"{V1}/moderation/queue").json()
    assert [c["changes"]["location"]["new"]["address"] for c in queue["change_requests"]] == ["ул. Новая, 5"]
    # Approved: the place is created as proposed, and the owner told.
    cr = m.ChangeRequest.objects.get()
    decided = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": True}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert org.locations.count() == 2
    added = org.locations.get(address="ул. Новая, 5")
    assert (added.point.y, added.point.x) == (57.9, 28.4)
    assert added.phone == "+7 8112 11-11-11" and added.name == "Второй офис"
    assert [(h.weekday, h.opens.hour, h.closes.hour) for h in added.hours.all()] == [(2, 10, 17)]
    assert mailoutbox[-1].to == ["owner@example.org"]
    near_new = api.get(f"{V1}/nearest", {"lat": 57.9, "lon": 28.4, "k": 5}).json()["results"]
    assert near_new[0]["location"]["address"] == "ул. Новая, 5"


def test_a_rejected_new_place_is_never_created(owner, moderator) -> None:
    org = people.owned(owner)
    people.api_as(owner).post(f"{V1}/partner/organisations/org/locations", NEW_PLACE, format="json")
    cr = m.ChangeRequest.objects.get()
    refused = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": False}, format="json"
    )
    assert refused.status_code == 400 and "reason" in refused.json()
    rejected = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": False, "reason": "Адрес не найден"}, format="json"
    )
    assert rejected.status_code == 200
    assert org.locations.count() == 1
    assert not m.Location.objects.filter(address="ул. Новая, 5").exists()
    cr.refresh_from_db()
    assert cr.status == m.Decision.REJECTED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 95.0}, "lat"),
        ({"lat": None, "lon": None}, "point"),
        ({"lon": None}, "lat"),
        ({"visibility": "secret"}, "visibility"),
        ({"country": "Russia"}, "country"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"lat": None, "lon": None, "place": 123456789}, "place"),
        ({"hours": [{"weekday": 1, "opens": "10:00", "closes": "10:00"}]}, "hours.0.__all__"),
    ],
)
@pytest.mark.parametrize("status", ["published", "pending"])
def test_a_bad_new_place_is_a_400_naming_the_field_and_saves_nothing(owner, status, change, field) -> None:
    org = people.owned(owner, status=status)
    body = {k: v for k, v in {**NEW_PLACE, **change}.items() if v is not None}
    response = people.api_as(owner).post(f"{V1}/partner/organisations/org/locations", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert org.locations.count() == 1
    assert not m.ChangeRequest.objects.exists()
    assert not m.OpeningHours.objects.exists()


def test_lat_without_lon_is_refused_in_the_readers_language(owner) -> None:
    """The public API's LAT_LON_PAIR, so it is translated (an untranslated copy of it answered in English)."""
    people.owned(owner, status="pending")
    client = people.api_as(owner)
    for language in ("ru", "uk"):
        response = client.post(
            f"{V1}/partner/organisations/org/locations",
            {"lat": 57.9, "city": "Псков"},
            format="json",
            headers={"accept-language": language},
        )
        assert response.status_code == 400
        with translation.override(language):
            message = str(LAT_LON_PAIR)
        assert message != "lat and lon go together: give both."
        assert response.json() == {"lat": [message]}


def test_a_place_without_a_point_or_town_is_refused_unless_virtual(owner) -> None:
    people.owned(owner, status="pending")
    client = people.api_as(owner)
    refused = client.post(f"{V1}/partner/organisations/org/locations", {"address": "где-то"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"point": [str(services.NEEDS_POINT_OR_TOWN)]}
    virtual = client.post(
        f"{V1}/partner/organisations/org/locations", {"kind": "virtual", "name": "Горячая линия"}, format="json"
    )
    assert virtual.status_code == 201
    assert m.Location.objects.get(pk=virtual.json()["id"]).point is None


def test_a_moderator_adds_a_place_to_a_published_listing_at_once(owner, moderator) -> None:
    org = people.owned(owner)
    response = people.api_as(moderator).post(f"{V1}/partner/organisations/org/locations", NEW_PLACE, format="json")
    assert response.status_code == 201
    assert org.locations.count() == 2 and not m.ChangeRequest.objects.exists()


def test_an_approved_protected_place_shows_the_public_only_its_town(owner, moderator, api) -> None:
    pskov = f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.3496, 57.8136, srid=4326))
    org = people.owned(owner)
    secret = {**NEW_PLACE, "lat": 57.7, "lon": 28.1, "visibility": "city", "place": pskov.pk, "address": "тайный"}
    people.api_as(owner).post(f"{V1}/partner/organisations/org/locations", secret, format="json")
    cr = m.ChangeRequest.objects.get()
    people.api_as(moderator).post(f"{V1}/moderation/change-requests/{cr.pk}", {"approve": True}, format="json")
    added = org.locations.get(address="тайный")
    assert (added.point.y, added.point.x) == (57.7, 28.1)
    assert added.public_point is not None and (added.public_point.y, added.public_point.x) != (57.7, 28.1)
    public = api.get(f"{V1}/organisations/org").content.decode()
    assert "тайный" not in public
    assert not re.search(r"57\.7(?!\d)", public) and not re.search(r"28\.1(?!\d)", public)


def test_a_place_is_removed_at_once_before_publication(owner) -> None:
    org = people.owned(owner, status="pending")
    location = org.locations.get()
    response = people.api_as(owner).delete(f"{V1}/partner/locations/{location.pk}")
    assert response.status_code == 204
    assert not org.locations.exists()


def test_removing_a_place_of_a_published_listing_waits_and_keeps_it_findable(owner, moderator, mailoutbox) -> None:
    org = people.owned(owner)
    first = org.locations.get()
    # The only place, no online or phone service: refused for the owner and the moderator alike.
    for user in (owner, moderator):
        refused = people.api_as(user).delete(f"{V1}/partner/locations/{first.pk}")
        assert refused.status_code == 400
        assert refused.json() == {"location": [str(services.LAST_PLACE)]}
    second = f.LocationFactory(organisation=org, address="ул. Вторая, 2")
    asked = people.api_as(owner).delete(f"{V1}/partner/locations/{first.pk}")
    assert asked.status_code == 202
    assert asked.json()["change_request"]["changes"]["location"]["new"] is None
    assert asked.json()["change_request"]["changes"]["location"]["old"]["point"] == {"lat": 57.82, "lon": 28.33}
    assert org.locations.count() == 2  # until approved
    # Asking twice is refused.
    again = people.api_as(owner).delete(f"{V1}/partner/locations/{first.pk}")
    assert again.status_code == 400 and "location" in again.json()
    # Meanwhile the second place is asked to go too: whichever is approved second would leave nothing.
    people.api_as(owner).delete(f"{V1}/partner/locations/{second.pk}")
    first_cr, second_cr = m.ChangeRequest.objects.order_by("pk")
    ok = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{first_cr.pk}", {"approve": True}, format="json"
    )
    assert ok.status_code == 200
    assert list(org.locations.all()) == [second]
    first_cr.refresh_from_db()
    assert first_cr.status == m.Decision.APPROVED and first_cr.location is None  # the record stays
    last = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{second_cr.pk}", {"approve": True}, format="json"
    )
    assert last.status_code == 400 and last.json() == {"location": [str(services.LAST_PLACE)]}
    assert list(org.locations.all()) == [second]
    second_cr.refresh_from_db()
    assert second_cr.status == m.Decision.PENDING


def test_a_place_is_removed_by_a_moderator_when_an_online_service_keeps_the_listing_findable(owner, moderator) -> None:
    org = people.owned(owner)
    f.ServiceFactory(organisation=org, formats=["online"])
    response = people.api_as(moderator).delete(f"{V1}/partner/locations/{org.locations.get().pk}")
    assert response.status_code == 204
    assert not org.locations.exists()


# --- the pages ---------------------------------------------------------------------------------


def _new_place_form(**changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "loc-name": "Второй офис",
        "loc-city": "Псков",
        "loc-address": "ул. Новая, 5",
        "loc-region": "",
        "loc-country": "RU",
        "loc-lat": "57.9",
        "loc-lon": "28.4",
        "loc-visibility": "exact",
        "loc-timezone": "Europe/Moscow",
        "loc-phone": "+7 8112 11-11-11",
        "loc-hours_2_opens": "10:00",
        "loc-hours_2_closes": "17:00",
    }
    return {**data, **{f"loc-{k}": v for k, v in changes.items()}}


def test_the_new_place_page_adds_a_place_or_sends_it_for_approval(owner, moderator) -> None:
    org = people.owned(owner)
    client = people.pages_as(owner)
    manage = _page(client.get("/partner/o/org/"))
    assert 'href="/partner/o/org/locations/new/"' in manage
    form = _page(client.get("/partner/o/org/locations/new/"))
    assert "data-point-picker" in form and 'name="loc-lat"' in form and "frontend/partner.js" in form
    assert "appears in the directory once a moderator approves it" in form
    response = client.post("/partner/o/org/locations/new/", _new_place_form())
    assert response.status_code == 302 and response.url == "/partner/o/org/"
    assert org.locations.count() == 1
    manage = _page(client.get("/partner/o/org/"))
    assert "Sent for approval" in manage and "A new place" in manage and "ул. Новая, 5" in manage
    # The queue shows it field by field.
    queue = _page(people.pages_as(moderator).get("/partner/moderation/"))
    assert "A new place" in queue
    assert '<td class="new">ул. Новая, 5</td>' in queue and '<td class="new">57.900000, 28.400000</td>' in queue
    assert "Wednesday 10:00–17:00" in queue
    cr = m.ChangeRequest.objects.get()
    approved = people.pages_as(moderator).post(f"/partner/moderation/change-requests/{cr.pk}/", {"approve": "1"})
    assert approved.status_code == 302
    assert org.locations.filter(address="ул. Новая, 5").exists()


def test_the_new_place_page_is_live_for_a_pending_listing(owner) -> None:
    org = people.owned(owner, status="pending")
    response = people.pages_as(owner).post("/partner/o/org/locations/new/", _new_place_form())
    assert response.status_code == 302
    added = org.locations.get(address="ул. Новая, 5")
    assert [(h.weekday, h.opens.hour) for h in added.hours.all()] == [(2, 10)]


def test_a_bad_new_place_shows_the_message_and_keeps_what_was_typed(owner) -> None:
    org = people.owned(owner)
    client = people.pages_as(owner)
    response = client.post("/partner/o/org/locations/new/", _new_place_form(lat="91", address="ул. Новая, 7"))
    page = _page(response)
    assert response.status_code == 400
    assert "less than or equal to 90" in page and 'value="ул. Новая, 7"' in page
    # A town typed but not known (no point): shown beside the town, typed values kept.
    response = client.post(
        "/partner/o/org/locations/new/", _new_place_form(lat="", lon="", city="Нигдеград", address="ул. Новая, 8")
    )
    page = _page(response)
    assert response.status_code == 400
    assert "We do not know a town called “Нигдеград”" in page and 'value="ул. Новая, 8"' in page
    assert org.locations.count() == 1 and not m.ChangeRequest.objects.exists()


def test_removing_a_place_from_its_page_asks_first_and_waits_for_approval(owner, moderator) -> None:
    org = people.owned(owner)
    first = org.locations.get()
    client = people.pages_as(owner)
    url = f"/partner/o/org/locations/{first.pk}/remove/"
    # The only place: refused with the reason.
    refused = client.post(url)
    assert refused.status_code == 400 and str(services.LAST_PLACE) in _page(refused)
    f.LocationFactory(organisation=org, address="ул. Вторая, 2")
    assert f'href="{url}"' in _page(client.get("/partner/o/org/"))
    confirm = _page(client.get(url))
    assert "Remove the place" in confirm and "until a moderator approves its removal" in confirm
    assert org.locations.count() == 2  # asking is not removing
    response = client.post(url)
    assert response.status_code == 302
    assert org.locations.count() == 2
    queue = _page(people.pages_as(moderator).get("/partner/moderation/"))
    assert f"Removing the place “{first}”" in queue and '<td class="old">57.820000, 28.330000</td>' in queue
    cr = m.ChangeRequest.objects.get()
    people.pages_as(moderator).post(f"/partner/moderation/change-requests/{cr.pk}/", {"approve": "1"})
    assert list(org.locations.values_list("address", flat=True)) == ["ул. Вторая, 2"]

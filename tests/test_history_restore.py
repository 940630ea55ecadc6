"""A listing's history covers its places and services as well as the
organisation, names each change as the edit forms do, and a restore first
shows what it would change; it then goes through the edit services, so a
published listing's moved place waits for a moderator when an owner restores
it and moves back at once when a moderator does."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from frontend.partner.history import timeline
from orgs import models as m
from orgs import services
from orgs.services import history as history_services
from tests import factories as f
from tests import people
from tests.partner_pages import page_text

pytestmark = pytest.mark.django_db

PSKOV, PECHORY = Point(28.33, 57.82, srid=4326), Point(27.61, 57.81, srid=4326)


@pytest.fixture
def owner() -> Any:
    return people.user("owner")


@pytest.fixture
def org(owner: Any) -> m.Organisation:
    return people.owned(owner, name="ОФ «Дом»")


def _place(org: m.Organisation) -> m.Location:
    return org.locations.get()


def _versions(obj: Any) -> list[Any]:
    return list(obj.history.order_by("history_date"))


def test_the_timeline_has_places_and_services_named_as_on_the_forms(org: m.Organisation, owner: Any) -> None:
    place = _place(org)
    services.location_update(user=owner, location=place, changes={"phone": "+7 811 222-33-44"})
    service = f.ServiceFactory(organisation=org, name="Консультация")
    services.service_save(user=owner, organisation=org, data={"email": "help@example.org"}, service=service)
    rows = timeline(org)
    subjects = [(row["kind"], row["subject"], row["changed"]) for row in rows]
    assert ("service", "Service “Консультация”", ["E-mail for this service"]) in subjects
    assert ("location", f"Place “{place.name}”", ["Phone of this place"]) in subjects
    assert any(kind == "organisation" for kind, _s, _c in subjects)
    # The newest version of each record is the current one, and only older ones restore.
    assert [row["current"] for row in rows if row["kind"] == "service"] == [True, False]
    assert [row["restorable"] for row in rows if row["kind"] == "service"] == [False, True]


def test_the_confirmation_shows_now_and_then_and_changes_nothing(org: m.Organisation, owner: Any) -> None:
    service = f.ServiceFactory(organisation=org, name="Консультация", phone="")
    first = _versions(service)[0]
    services.service_save(user=owner, organisation=org, data={"phone": "+7 900 000-00-00"}, service=service)
    client = people.pages_as(owner)
    url = f"/partner/o/{org.slug}/history/service/{first.history_id}/"
    page = page_text(client.get(url))
    assert "Restoring it changes:" in page and "Phone for this service" in page and "+7 900 000-00-00" in page
    service.refresh_from_db()
    assert service.phone == "+7 900 000-00-00"
    # Confirmed: the service is as it was, at once (services are not moderated).
    response = client.post(url, follow=True)
    assert "The version is restored." in page_text(response)
    service.refresh_from_db()
    assert service.phone == ""


def test_a_service_restore_puts_back_its_categories(org: m.Organisation, owner: Any) -> None:
    psych, legal = f.CategoryFactory(slug="psych"), f.CategoryFactory(slug="legal")
    service = f.ServiceFactory(organisation=org, categories=[psych])
    version = _versions(service)[-1]
    services.service_save(user=owner, organisation=org, data={"categories": ["legal"]}, service=service)
    assert list(service.categories.values_list("slug", flat=True)) == ["legal"]
    found = history_services.version_changes(organisation=org, kind="service", history_id=version.history_id)
    assert found.changes == {"categories": (["legal"], ["psych"])}
    history_services.version_restore(user=owner, organisation=org, kind="service", history_id=version.history_id)
    assert list(service.categories.values_list("slug", flat=True)) == ["psych"]
    assert legal.pk  # still exists, only unlinked


def test_an_owner_restoring_a_moved_place_asks_a_moderator(org: m.Organisation, owner: Any, moderator: Any) -> None:
    place = _place(org)
    before_move = _versions(place)[-1]
    services.location_update(user=moderator, location=place, changes={"point": PECHORY})
    place.refresh_from_db()
    assert place.point.equals_exact(PECHORY, 1e-9)
    client = people.pages_as(owner)
    url = f"/partner/o/{org.slug}/history/location/{before_move.history_id}/"
    page = page_text(client.get(url))
    assert "Where it is on the map" in page and "57.810000, 27.610000" in page and "57.820000, 28.330000" in page
    assert "wait for a moderator" in page
    client.post(url)
    place.refresh_from_db()
    assert place.point.equals_exact(PECHORY, 1e-9)  # not yet
    (request,) = m.ChangeRequest.objects.filter(location=place, status=m.Decision.PENDING)
    assert request.changes["point"]["new"] == {"lat": 57.82, "lon": 28.33}
    # A moderator restoring it moves it back at once.
    request.delete()
    history_services.version_restore(
        user=moderator, organisation=org, kind="location", history_id=before_move.history_id
    )
    place.refresh_from_db()
    assert place.point.equals_exact(PSKOV, 1e-9)


def test_versions_of_removed_places_and_of_other_listings_are_refused(
    org: m.Organisation, owner: Any, moderator: Any
) -> None:
    extra = f.LocationFactory(organisation=org, name="Второй")
    version = _versions(extra)[-1]
    services.location_remove(user=moderator, location=extra)
    with pytest.raises(ValidationError) as exc:
        history_services.version_changes(organisation=org, kind="location", history_id=version.history_id)
    assert exc.value.message_dict == {"history_id": [str(history_services.GONE)]}
    page = page_text(
        people.pages_as(owner).get(f"/partner/o/{org.slug}/history/location/{version.history_id}/", follow=True)
    )
    assert str(history_services.GONE) in page
    other = f.OrganisationFactory(slug="other")
    foreign = _versions(other.locations.get())[-1]
    for kind in ("location", "organisation", "nonsense"):
        with pytest.raises(ValidationError):
            history_services.version_changes(organisation=org, kind=kind, history_id=foreign.history_id)
    # Someone who does not edit the listing is told nothing is here.
    stranger = people.pages_as(people.user("stranger"))
    assert stranger.get(f"/partner/o/{org.slug}/history/service/1/").status_code == 404
    assert stranger.post(f"/partner/o/{org.slug}/history/service/1/").status_code == 404

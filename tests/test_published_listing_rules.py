"""The two rules every editing process shares (``orgs.services.common``): an
owner's change to who or where a published listing is waits for a moderator,
and a published listing stays findable (a place, or an online or phone
service). Each rule is one function; these tests pin it through each of its
callers, so a caller that grows its own copy again and drifts is caught."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db


# --- waits for approval ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "by_moderator", "waits"),
    [("published", False, True), ("published", True, False), ("pending", False, False), ("draft", False, False)],
)
def test_who_waits_for_a_moderator(owner, status, by_moderator, waits) -> None:
    org = people.owned(owner, status=status)
    user = people.moderator() if by_moderator else owner
    assert services.waits_for_approval(user, org) is waits


@pytest.mark.parametrize("by_moderator", [False, True])
def test_a_places_address_waits_exactly_when_the_organisations_name_does(owner, by_moderator) -> None:
    """location_update and organisation_update ask the same question."""
    org = people.owned(owner)
    location = org.locations.get()
    user = people.moderator() if by_moderator else owner
    place_cr = services.location_update(user=user, location=location, changes={"address": "ул. Другая, 1"})
    name_cr = services.organisation_update(user=user, organisation=org, changes={"name": "ОФ «Новый дом»"})
    location.refresh_from_db()
    org.refresh_from_db()
    assert (place_cr is not None, name_cr is not None) == (not by_moderator, not by_moderator)
    assert (location.address == "ул. Другая, 1") is by_moderator
    assert (org.name == "ОФ «Новый дом»") is by_moderator


# --- stays findable ------------------------------------------------------------------------


def test_presence_counts_places_and_online_or_phone_services_only(owner) -> None:
    org = people.owned(owner, with_place=False, status="pending")
    assert not services.has_presence(org)
    f.ServiceFactory(organisation=org, formats=[m.ServiceFormat.IN_PERSON])
    assert not services.has_presence(org)
    place = f.LocationFactory(organisation=org)
    assert services.has_presence(org)
    assert not services.has_presence(org, without=place)
    f.LocationFactory(organisation=org, point=Point(30.31, 59.93, srid=4326))
    assert services.has_presence(org, without=place)


@pytest.mark.parametrize("service_format", [m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE])
def test_an_online_or_phone_service_keeps_a_listing_findable_without_places(owner, moderator, service_format) -> None:
    org = people.owned(owner, with_place=False, status="pending")
    f.ServiceFactory(organisation=org, formats=[service_format])
    assert services.has_presence(org)
    services.organisation_moderate(user=moderator, organisation=org, status="published")
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PUBLISHED


def test_publishing_and_removing_refuse_a_listing_people_could_not_find(owner, moderator) -> None:
    pending = f.OrganisationFactory(status=m.PublicationStatus.PENDING, slug="pending")
    with pytest.raises(ValidationError) as refused:
        services.organisation_moderate(user=moderator, organisation=pending, status="published")
    assert refused.value.message_dict == {"status": [str(services.NO_PRESENCE)]}

    published = people.owned(owner)
    with pytest.raises(ValidationError) as refused:
        services.location_remove(user=moderator, location=published.locations.get())
    assert refused.value.message_dict == {"location": [str(services.LAST_PLACE)]}


def test_approving_a_removal_checks_presence_again(owner, moderator) -> None:
    """Two removals asked while each place had a sibling: the second approval
    would leave nothing, so it is refused and the place stays."""
    org = people.owned(owner)
    first = org.locations.get()
    second = f.LocationFactory(organisation=org, point=Point(30.31, 59.93, srid=4326))
    first_cr = services.location_remove(user=owner, location=first)
    second_cr = services.location_remove(user=owner, location=second)
    assert first_cr is not None and second_cr is not None
    services.change_request_decide(user=moderator, change_request=first_cr, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.change_request_decide(user=moderator, change_request=second_cr, approve=True)
    assert refused.value.message_dict == {"location": [str(services.LAST_PLACE)]}
    assert list(org.locations.all()) == [second]

"""Registrations that arrive at the same moment: one listing, never two, never a 503.

A double-tapped "Register" button sends the same registration twice. Both
used to run the duplicate check before either had committed, and the second
then failed on the slug's unique index (a 503). The registrations of one
person now queue on an advisory lock in PostgreSQL, so the second one finds
the first (the registrant's own listing, which may be named to them).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

V1 = "/api/v1"
REGISTRATION = {
    "name": "АНО «Светлый дом»",
    "legal_form": "ano",
    "locations": [{"lat": 57.8136, "lon": 28.3496, "city": "Псков"}],
}


def _at_once(calls: list[Any]) -> list[Any]:
    """Run the calls in threads (each with its own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_registration_saves_one_listing() -> None:
    partner = people.user("anna")
    clients = [people.api_as(partner), people.api_as(partner)]
    responses = _at_once(
        [lambda c=c: c.post(f"{V1}/partner/organisations", REGISTRATION, format="json") for c in clients]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [(r.status_code, r.content) for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()["slug"]
    duplicate = next(r for r in responses if r.status_code == 409).json()
    assert [d["slug"] for d in duplicate["duplicates"]] == [created]
    assert m.Organisation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_registering_one_name_at_once_get_two_slugs() -> None:
    """Different people, far apart: both registrations are saved, neither is a 503."""
    far = {**REGISTRATION, "locations": [{"lat": 55.75, "lon": 37.6, "city": "Москва"}]}
    clients = [people.api_as(people.user("anna")), people.api_as(people.user("boris"))]
    bodies = [REGISTRATION, far]
    responses = _at_once(
        [
            lambda c=c, b=b: c.post(f"{V1}/partner/organisations", b, format="json")
            for c, b in zip(clients, bodies, strict=True)
        ]
    )
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    assert len({r.json()["slug"] for r in responses}) == 2


@pytest.mark.django_db
def test_another_listings_inn_is_refused_at_once() -> None:
    f.OrganisationFactory(name="Фонд «Опора»", inn="7707083893")
    owner = people.user("owner")
    mine = people.owned(owner)
    assert mine.status == m.PublicationStatus.PUBLISHED
    response = people.api_as(owner).patch(
        f"{V1}/partner/organisations/{mine.slug}", {"inn": "7707083893"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"inn": [str(services.DUPLICATE_IDENTIFIER)]}
    assert not m.ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_a_published_places_new_visibility_waits_for_approval() -> None:
    """Approximate → exact would put the shelter's true point on the map: a moderator decides."""
    owner = people.user("owner")
    org = people.owned(owner, with_place=False)
    location = f.LocationFactory(
        organisation=org, point=Point(30.31, 59.93, srid=4326), visibility=m.Visibility.APPROXIMATE
    )
    public_before = location.public_point
    response = people.api_as(owner).patch(
        f"{V1}/partner/locations/{location.pk}", {"visibility": "exact"}, format="json"
    )
    assert response.status_code == 200, response.content
    location.refresh_from_db()
    assert location.visibility == m.Visibility.APPROXIMATE
    assert location.public_point.equals_exact(public_before, 1e-9)
    cr = m.ChangeRequest.objects.get(location=location)
    assert cr.changes == {"visibility": {"old": "approximate", "new": "exact"}}
    services.change_request_decide(user=people.moderator(), change_request=cr, approve=True)
    location.refresh_from_db()
    assert location.visibility == m.Visibility.EXACT
    assert location.public_point.distance(location.point) == 0

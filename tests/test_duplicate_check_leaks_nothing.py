"""The "is this already listed?" answer to a registration, tried as an attacker.

An outside review found the true point of an approximate shelter to 5 cm in
121 registrations: the 409 "similar name nearby" was computed from the true
point, so bisecting where a 409 turned into a 201 traced the 5 km circle
around it. The same 409 named pending and suspended listings. Here a
registrant's answer may depend only on public points and public listings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point

from orgs import duplicates, geo
from orgs import models as m
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
SECRET_NAME = "Кризисный центр «Тихая гавань»"
SHELTER = Point(30.3141, 59.9386, srid=4326)  # the true point (Saint Petersburg)


def _registration(lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Кризисный центр Тихая гавань",  # a partial, similar name
        "legal_form": "ano",
        "locations": [{"lat": lat, "lon": lon, "city": "Санкт-Петербург"}],
        **extra,
    }


def _answer(response: Any) -> tuple[int, Any]:
    """What the registrant learns: the status and the body, without the new listing's own slug."""
    body = response.json()
    if response.status_code == 201:
        body = {"status": body["status"]}
    return response.status_code, body


def _either_side(public: Point, true: Point, offset_m: float) -> tuple[Point, Point]:
    """Two points equally far from the public point, one towards the true point and one away."""
    bearing = _bearing(public, true)
    return geo.destination(public, bearing, offset_m), geo.destination(public, bearing + 180, offset_m)


def _bearing(a: Point, b: Point) -> float:
    import math

    lat1, lat2 = math.radians(a.y), math.radians(b.y)
    dlon = math.radians(b.x - a.x)
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(x, y))


def _protected(visibility: str, status: str = m.PublicationStatus.PUBLISHED) -> m.Location:
    org = f.OrganisationFactory(located=False, name=SECRET_NAME, status=status)
    place = f.PlaceFactory(name="Saint Petersburg", name_ru="Санкт-Петербург", point=Point(30.26, 59.95, srid=4326))
    return f.LocationFactory(organisation=org, point=SHELTER, visibility=visibility, place=place, address="")


@pytest.mark.parametrize("visibility", [m.Visibility.APPROXIMATE, m.Visibility.CITY])
@pytest.mark.parametrize("offset_m", [3_000, 4_900, 5_100, 7_000])
def test_answers_either_side_of_the_true_point_are_the_same(visibility: str, offset_m: float) -> None:
    location = _protected(visibility)
    public = location.public_point
    assert public.distance(SHELTER) > 0  # the point is really protected
    towards, away = _either_side(public, SHELTER, offset_m)
    client = people.api_as(people.user("attacker"))
    answers = []
    for point in (towards, away):
        response = client.post(f"{V1}/partner/organisations", _registration(point.x, point.y), format="json")
        answers.append(_answer(response))
        # Keep the database as it was, so the second answer is not about the first registration.
        m.Organisation.objects.exclude(pk=location.organisation_id).delete()
    assert answers[0] == answers[1], (visibility, offset_m, answers)


def test_the_true_point_no_longer_decides_the_answer() -> None:
    """The attack's own step: a point 4.9 km from the true point, and more than
    5 km from the public one, used to answer 409."""
    location = _protected(m.Visibility.CITY)
    public = location.public_point
    away = geo.destination(SHELTER, _bearing(public, SHELTER), 4_900)
    assert away.distance(public) > 0  # sanity: a different place
    client = people.api_as(people.user("attacker"))
    response = client.post(f"{V1}/partner/organisations", _registration(away.x, away.y), format="json")
    # Far from the public point: not the listing people see there, so no 409.
    assert response.status_code == 201, response.content
    # And near the public point it is, as anyone looking at the map would say.
    near = geo.destination(public, 90, 1_000)
    response = client.post(f"{V1}/partner/organisations", _registration(near.x, near.y), format="json")
    assert response.status_code == 409
    assert response.json()["duplicates"][0]["name"] == SECRET_NAME


@pytest.mark.parametrize(
    "status", [m.PublicationStatus.PENDING, m.PublicationStatus.SUSPENDED, m.PublicationStatus.REJECTED]
)
def test_a_listing_the_public_cannot_see_is_never_named(status: str) -> None:
    org = f.OrganisationFactory(located=False, name=SECRET_NAME, status=status, ogrn="1027700132195", inn="7707083893")
    f.LocationFactory(organisation=org, point=SHELTER, visibility=m.Visibility.EXACT)
    client = people.api_as(people.user("attacker"))
    bodies = []
    # A similar name at the very same point: the registration goes on as usual.
    response = client.post(f"{V1}/partner/organisations", _registration(SHELTER.x, SHELTER.y), format="json")
    assert response.status_code == 201
    bodies.append(response.content.decode())
    # Its ОГРН or ИНН: refused, without naming it, with the way to get access.
    for field, number in (("ogrn", "1027700132195"), ("inn", "7707083893")):
        response = client.post(
            f"{V1}/partner/organisations",
            _registration(37.6, 55.75, name="Совсем другое имя", **{field: number}),
            format="json",
        )
        assert response.status_code == 400, response.content
        message = str(duplicates.IDENTIFIER_HELD % {"email": settings.COORDINATORS_EMAIL})
        assert response.json() == {field: [message]}
        bodies.append(response.content.decode())
    for body in bodies:
        assert SECRET_NAME not in json.loads(body).__repr__() and org.slug not in body


def test_the_registration_page_names_no_hidden_listing() -> None:
    org = f.OrganisationFactory(located=False, name=SECRET_NAME, status=m.PublicationStatus.SUSPENDED, inn="7707083893")
    f.LocationFactory(organisation=org, point=SHELTER)
    client = people.pages_as(people.user("attacker"))
    data = {
        "org-name": "Другое имя",
        "org-legal_form": "ano",
        "org-country": "RU",
        "org-inn": "7707083893",
        "loc-TOTAL_FORMS": "1",
        "loc-INITIAL_FORMS": "0",
        "loc-0-lat": str(SHELTER.y),
        "loc-0-lon": str(SHELTER.x),
        "loc-0-country": "RU",
        "loc-0-visibility": "exact",
        "svc-TOTAL_FORMS": "0",
        "svc-INITIAL_FORMS": "0",
        "ident-TOTAL_FORMS": "0",
        "ident-INITIAL_FORMS": "0",
    }
    page = client.post("/partner/register/", data).content.decode()
    assert SECRET_NAME not in page and org.slug not in page
    assert not m.Organisation.objects.exclude(pk=org.pk).exists()


def test_the_moderator_sees_the_hidden_look_alike() -> None:
    hidden = f.OrganisationFactory(located=False, name=SECRET_NAME, status=m.PublicationStatus.SUSPENDED)
    f.LocationFactory(organisation=hidden, point=SHELTER, visibility=m.Visibility.APPROXIMATE)
    registrant = people.user("registrant")
    response = people.api_as(registrant).post(
        f"{V1}/partner/organisations", _registration(SHELTER.x + 0.01, SHELTER.y), format="json"
    )
    assert response.status_code == 201
    new_slug = response.json()["slug"]
    queue = people.api_as(people.moderator()).get(f"{V1}/moderation/queue").json()
    item = next(o for o in queue["organisations"] if o["slug"] == new_slug)
    assert item["possible_duplicates"] == [
        {"slug": hidden.slug, "name": SECRET_NAME, "status": "suspended", "reason": "similar_name"}
    ]
    page = people.pages_as(people.moderator("moder2")).get("/partner/moderation/").content.decode()
    assert "possible-duplicates" in page and SECRET_NAME in page


def test_an_existing_inn_without_an_ogrn_is_flagged() -> None:
    public = f.OrganisationFactory(name="Фонд «Опора»", inn="7707083893", ogrn=None)
    response = people.api_as(people.user("registrant")).post(
        f"{V1}/partner/organisations",
        _registration(37.6, 55.75, name="Совсем другое имя", inn="7707083893"),
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["overridable"] is False
    assert response.json()["duplicates"] == [{"slug": public.slug, "name": public.name, "reason": "identifier"}]


def test_a_published_look_alike_with_a_protected_point_is_found_by_its_public_point() -> None:
    location = _protected(m.Visibility.APPROXIMATE)
    near_public = geo.destination(location.public_point, 0, 500)
    response = people.api_as(people.user("registrant")).post(
        f"{V1}/partner/organisations", _registration(near_public.x, near_public.y), format="json"
    )
    assert response.status_code == 409
    assert response.json()["overridable"] is True

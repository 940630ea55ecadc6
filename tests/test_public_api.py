"""The public read API beyond coordinates: place names as origins, autocomplete,
Russian text search, the taxonomy and coalition lists; no private data."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from geographiclib.geodesic import Geodesic

from orgs import models as m
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gazetteer")]

V1 = "/api/v1"


@pytest.mark.parametrize("name", ["Псков", "Pskov", "псков", "Пскв"])
def test_place_names_resolve_to_pskov(api, name) -> None:
    near = f.LocationFactory(point=Point(28.34, 57.815, srid=4326))
    response = api.get(f"{V1}/nearest", {"place": name})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["origin"]["place"]["name"] == "Pskov"
    assert body["origin"]["place"]["name_ru"] == "Псков"
    assert body["results"][0]["location"]["id"] == near.pk
    assert body["results"][0]["distance_m"] < 2000


def test_uglich_and_anadyr(api) -> None:
    for name, expected in (("Углич", "Uglich"), ("Uglich", "Uglich"), ("Анадырь", "Anadyr")):
        body = api.get(f"{V1}/nearest", {"place": name}).json()
        assert body["origin"]["place"]["name"] == expected


def test_ambiguous_place_is_resolved_by_population_and_reported(api) -> None:
    body = api.get(f"{V1}/nearest", {"place": "Железногорск"}).json()
    chosen = body["origin"]["place"]
    assert body["origin"]["alternatives"]
    assert all(alt["population"] <= chosen["population"] for alt in body["origin"]["alternatives"])


def test_unknown_place_is_a_400_naming_it(api) -> None:
    response = api.get(f"{V1}/nearest", {"place": "Qwzxtrplk"})
    assert response.status_code == 400
    assert "Qwzxtrplk" in response.json()["place"][0]


def test_remote_services_by_the_origins_region(api) -> None:
    pskov_region = f.ServiceFactory(formats=["phone"], area_kind=m.AreaKind.REGION, area_region="RU.60", name="Линия")
    f.ServiceFactory(formats=["phone"], area_kind=m.AreaKind.REGION, area_region="RU.77", name="Другая")
    names = [s["name"] for s in api.get(f"{V1}/nearest", {"place": "Псков"}).json()["remote"]]
    assert names == [pskov_region.name]


def test_places_autocomplete(api) -> None:
    response = api.get(f"{V1}/places", {"q": "Пск"})
    assert response.status_code == 200
    assert response.json()[0]["name_ru"] == "Псков"
    assert api.get(f"{V1}/places", {"q": "uglich"}).json()[0]["name_ru"] == "Углич"


def test_text_search_in_russian_with_typos(api) -> None:
    psych = f.CategoryFactory(slug="psychological-help", name_ru="Психологическая помощь")
    org = f.OrganisationFactory(located=False, name="АНО «Опора»", description="Психолог для детей и родителей.")
    f.LocationFactory(organisation=org, city="Псков")
    f.ServiceFactory(organisation=org, categories=[psych], name="Консультации")
    other = f.OrganisationFactory(located=False, name="Фонд «Дорога»", description="Юридическая помощь.")
    f.LocationFactory(organisation=other, city="Вологда")

    def slugs(q: str) -> list[str]:
        response = api.get(f"{V1}/organisations", {"q": q})
        assert response.status_code == 200
        return [o["slug"] for o in response.json()]

    assert slugs("психолог Псков") == [org.slug]
    assert slugs("психолг") == [org.slug]  # a typo
    assert slugs("психологов") == [org.slug]  # another form of the word
    assert slugs("юридическая") == [other.slug]
    assert slugs("вологда") == [other.slug]
    assert slugs("ёжик") == []


def test_organisation_filters(api) -> None:
    network = f.NetworkFactory(slug="stop-sed")
    member = f.OrganisationFactory()
    f.MembershipFactory(organisation=member, network=network)
    f.OrganisationFactory()
    response = api.get(f"{V1}/organisations", {"network": "stop-sed"})
    assert [o["slug"] for o in response.json()] == [member.slug]
    assert response.json()[0]["networks"][0]["network"] == "stop-sed"


def test_category_tree_and_lists(api) -> None:
    parent = f.CategoryFactory(slug="direct-help")
    f.CategoryFactory(slug="legal-aid", parent=parent)
    tree = api.get(f"{V1}/categories").json()
    assert [c["slug"] for c in tree] == ["direct-help"]
    assert [c["slug"] for c in tree[0]["children"]] == ["legal-aid"]
    f.TargetGroupFactory(slug="specialists")
    assert [t["slug"] for t in api.get(f"{V1}/target-groups").json()] == ["specialists"]
    network = f.NetworkFactory(slug="alliance")
    f.MembershipFactory(network=network)
    assert api.get(f"{V1}/networks").json()[0]["members"] == 1


def test_no_private_data_in_public_organisation_output(api) -> None:
    org = f.OrganisationFactory(located=False, slug="org")
    f.LocationFactory(
        organisation=org,
        point=Point(28.3496, 57.8136, srid=4326),
        visibility=m.Visibility.APPROXIMATE,
        address="Тайная, 1",
    )
    f.ExpertFactory(organisation=org, email="secret.expert@private.example", phone="+7 911 123-45-67")
    response = api.get(f"{V1}/organisations/org")
    text = response.content.decode()
    for secret in ("secret.expert@private.example", "123-45-67", "Тайная"):
        assert secret not in text
    # Positions by distance, not by digits: a blurred longitude may well start
    # with the true one's digits (a substring check failed ~0.2% of runs).
    true = Point(28.3496, 57.8136, srid=4326)
    shown_positions = _coordinates(response.json())
    assert shown_positions  # the place is shown, at its public point
    for lon, lat in shown_positions:
        shown = Point(lon, lat, srid=4326)
        metres = Geodesic.WGS84.Inverse(true.y, true.x, shown.y, shown.x)["s12"]
        assert metres >= settings.LOCATION_BLUR_M / 2 * 0.995, (lon, lat, metres)


def _coordinates(data: object) -> list[tuple[float, float]]:
    """Every (lon, lat) pair in an answer: GeoJSON coordinates or lat/lon fields."""
    found: list[tuple[float, float]] = []
    if isinstance(data, dict):
        if isinstance(data.get("lat"), float) and isinstance(data.get("lon"), float):
            found.append((data["lon"], data["lat"]))
        coords = data.get("coordinates")
        if isinstance(coords, list) and len(coords) == 2 and all(isinstance(c, float) for c in coords):
            found.append((coords[0], coords[1]))
        for value in data.values():
            found += _coordinates(value)
    elif isinstance(data, list):
        for value in data:
            found += _coordinates(value)
    return found


def test_identifiers_of_a_person_are_not_public(api) -> None:
    f.OrganisationFactory(slug="company", ogrn="1027700132195", inn="7707083893")
    f.OrganisationFactory(slug="person", ogrn="304500116000157", inn="500100732259")
    company = api.get(f"{V1}/organisations/company").json()
    person = api.get(f"{V1}/organisations/person").json()
    assert (company["ogrn"], company["inn"]) == ("1027700132195", "7707083893")
    assert (person["ogrn"], person["inn"]) == (None, None)


def test_nearest_gives_the_organisations_public_email_for_a_cards_next_step(api) -> None:
    org = f.OrganisationFactory(located=False, email="info@opora.example", website="")
    f.LocationFactory(organisation=org, point=Point(28.34, 57.815, srid=4326))
    body = api.get(f"{V1}/nearest", {"place": "Псков"}).json()
    assert body["results"][0]["organisation"]["email"] == "info@opora.example"

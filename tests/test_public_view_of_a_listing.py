"""The public view of a listing is the models' (Organisation.public_ogrn,
public_inn, public_identifiers; OrganisationIdentifier.is_personal;
Location.public_address, public_position): one place per rule, which the API,
the HSDS output and the organisation page all read. Each rule has a test here
that fails if the rule is taken out, and one test checks that no output
bypasses them."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from rest_framework.test import APIClient

from orgs import models as m
from tests.factories import LocationFactory, OrganisationFactory

TRUE_POINT = Point(28.3496123, 57.8136456, srid=4326)
ORGANISATION_OGRN, ORGANISATION_INN = "1027700132195", "7707083893"
# An individual entrepreneur's: they name a person.
PERSON_OGRNIP, PERSON_INN = "304500116000157", "500100732259"


@pytest.mark.parametrize(
    ("ogrn", "public"),
    [(ORGANISATION_OGRN, ORGANISATION_OGRN), (PERSON_OGRNIP, None), (None, None), ("", None)],
)
def test_public_ogrn_is_an_organisations_never_a_persons(ogrn: str | None, public: str | None) -> None:
    assert m.Organisation(ogrn=ogrn).public_ogrn == public


@pytest.mark.parametrize(
    ("inn", "public"), [(ORGANISATION_INN, ORGANISATION_INN), (PERSON_INN, None), (None, None), ("", None)]
)
def test_public_inn_is_an_organisations_never_a_persons(inn: str | None, public: str | None) -> None:
    assert m.Organisation(inn=inn).public_inn == public


@pytest.mark.parametrize(
    ("scheme", "identifier", "personal"),
    [
        ("KZ-BIN", "123456789012", False),  # an organisation's, though 12 digits
        ("UA-EDR", "12345678", False),
        ("RU-OGRNIP", "304500116000157", True),
        ("ua-rnokpp", " 1234567890 ", True),  # a personal scheme however spelt
        ("BY-PERSONAL", "x", True),
        ("RU-INN", "500100732259", True),  # a person's ИНН under any INN scheme
        ("ИНН", "500100732259", True),
        ("RU-INN", "7707083893", False),
        ("RU-OGRN", "304500116000157", True),  # a 15-digit ОГРН is an ОГРНИП
        ("ОГРН", "1027700132195", False),
    ],
)
def test_an_identifier_is_personal_by_scheme_or_by_length(scheme: str, identifier: str, personal: bool) -> None:
    assert m.OrganisationIdentifier(scheme=scheme, identifier=identifier).is_personal is personal


@pytest.mark.django_db
def test_public_identifiers_leave_out_a_persons() -> None:
    org = OrganisationFactory()
    kept = m.OrganisationIdentifier.objects.create(organisation=org, scheme="KZ-BIN", identifier="123456789012")
    m.OrganisationIdentifier.objects.create(organisation=org, scheme="KZ-IIN", identifier="900101300123")
    assert org.public_identifiers == [kept]


@pytest.mark.parametrize(
    ("visibility", "address"),
    [(m.Visibility.EXACT, "ул. Ленина, 1"), (m.Visibility.APPROXIMATE, ""), (m.Visibility.CITY, "")],
)
def test_public_address_only_when_exact(visibility: str, address: str) -> None:
    assert m.Location(address="ул. Ленина, 1", visibility=visibility).public_address == address


@pytest.mark.django_db
def test_public_position_of_an_exact_place_is_its_point_rounded() -> None:
    loc = LocationFactory(point=TRUE_POINT, visibility=m.Visibility.EXACT)
    assert loc.public_position == m.Position(lat=57.813646, lon=28.349612)


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", [m.Visibility.APPROXIMATE, m.Visibility.CITY])
def test_public_position_of_a_protected_place_is_the_public_point_not_the_true_one(visibility: str) -> None:
    loc = LocationFactory(point=TRUE_POINT, visibility=visibility)
    position = loc.public_position
    assert position is not None
    assert position == (round(loc.public_point.y, 6), round(loc.public_point.x, 6))
    assert Point(position.lon, position.lat, srid=4326).distance(TRUE_POINT) > 0.005  # degrees: hundreds of metres


def test_an_online_place_has_no_public_position() -> None:
    assert m.Location(kind=m.LocationKind.VIRTUAL, point=None).public_position is None


@pytest.mark.django_db
def test_no_public_output_bypasses_the_public_view(api: APIClient, client: Client) -> None:
    org = OrganisationFactory(ogrn=PERSON_OGRNIP, inn=PERSON_INN, located=False)
    m.OrganisationIdentifier.objects.create(organisation=org, scheme="RU-OGRNIP", identifier="304500116000158")
    LocationFactory(organisation=org, point=TRUE_POINT, visibility=m.Visibility.APPROXIMATE, address="ул. Скрытая, 5")
    outputs = {
        "api": api.get(f"/api/v1/organisations/{org.slug}").content.decode(),
        "hsds": json.dumps(api.get(f"/api/hsds/organizations/{org.uuid}").json(), ensure_ascii=False),
        "page": client.get(f"/o/{org.slug}/").content.decode(),
    }
    for name, text in outputs.items():
        for secret in (PERSON_OGRNIP, PERSON_INN, "304500116000158", "Скрытая", "57.813646", "28.349612"):
            assert secret not in text, (name, secret)
    assert json.loads(outputs["api"])["locations"][0]["position"] is not None

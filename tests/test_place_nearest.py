"""The town nearest to a point (/api/v1/places/nearest): what "use my
location" names and puts in a shareable link instead of the coordinates."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gazetteer")]

URL = "/api/v1/places/nearest"


def test_a_point_in_uglich_answers_uglich(api) -> None:
    response = api.get(URL, {"lat": 57.5281, "lon": 38.3317})
    assert response.status_code == 200
    assert response.json()["place"]["name_ru"] == "Углич"


def test_a_point_near_pskov_answers_pskov(api) -> None:
    assert api.get(URL, {"lat": 57.83, "lon": 28.30}).json()["place"]["name_ru"] == "Псков"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "57.5"}, "lon"),
        ({"lat": "abc", "lon": "38"}, "lat"),
        ({"lat": "91", "lon": "38"}, "lat"),
        ({"lat": "57", "lon": "nan"}, "lon"),
    ],
)
def test_bad_coordinates_are_a_400_naming_the_field(api, params, field) -> None:
    response = api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()

"""Bad input gets HTTP 400 with a JSON body naming the parameter; never a 500."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lon": 30}, "lat"),
        ({"lat": -90.01, "lon": 30}, "lat"),
        ({"lat": 57, "lon": "abc"}, "lon"),
        ({"lat": "NaN", "lon": 30}, "lat"),
        ({"lat": 57, "lon": "Infinity"}, "lon"),
        ({"lat": 57, "lon": 181}, "lon"),
        ({"lat": 57}, "lon"),
        ({"lon": 30}, "lat"),
        ({}, "lat"),
        ({"lat": 57, "lon": 30, "k": 100000}, "k"),
        ({"lat": 57, "lon": 30, "k": 0}, "k"),
        ({"lat": 57, "lon": 30, "k": "ten"}, "k"),
        ({"lat": 57, "lon": 30, "category": "no-such-category"}, "category"),
        ({"lat": 57, "lon": 30, "target": "nobody"}, "target"),
        ({"lat": 57, "lon": 30, "network": "no-network"}, "network"),
        ({"lat": 57, "lon": 30, "format": "telepathy"}, "format"),
        ({"lat": 57, "lon": 30, "free": "maybe"}, "free"),
        ({"lat": 57, "lon": 30, "max_km": -5}, "max_km"),
        ({"lat": 57, "lon": 30, "language": "русский"}, "language"),
        ({"lat": 57, "lon": 30, "place": "Псков"}, "place"),
    ],
)
def test_nearest_rejects_bad_parameters(api, params, field) -> None:
    response = api.get("/api/v1/nearest", params)
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert all(isinstance(message, str) and message for message in body[field])


def test_unknown_category_error_names_the_slug(api) -> None:
    f.CategoryFactory(slug="legal-aid")
    body = api.get("/api/v1/nearest", {"lat": 57, "lon": 30, "category": ["legal-aid", "astrology"]}).json()
    assert "astrology" in body["category"][0]
    assert "legal-aid" not in body["category"][0]


@pytest.mark.parametrize(
    ("bbox", "zoom"),
    [
        ("1,2,3", 5),  # three numbers
        ("a,b,c,d", 5),
        ("30,60,40,50", 5),  # minlat above maxlat
        ("-180,-90,180,90", 3),  # the planet
        ("30,50,40,95", 5),  # latitude off the globe
        ("30,50,40,60", 40),  # zoom out of range
        ("nan,50,40,60", 5),
    ],
)
def test_viewport_rejects_bad_boxes(api, bbox, zoom) -> None:
    response = api.get("/api/v1/locations", {"in_bbox": bbox, "zoom": zoom})
    assert response.status_code == 400
    body = response.json()
    assert set(body) & {"in_bbox", "zoom"}, body


def test_places_needs_a_query(api) -> None:
    response = api.get("/api/v1/places")
    assert response.status_code == 400
    assert "q" in response.json()


def test_unknown_organisation_is_404_json(api) -> None:
    response = api.get("/api/v1/organisations/no-such-org")
    assert response.status_code == 404
    assert response.json()["detail"]

"""Locations marked approximate or city-only never reveal their true point:
not in coordinates, not in distances, not by averaging, not by trilateration."""

from __future__ import annotations

import math
import random

import pytest
from django.contrib.gis.geos import Point
from geographiclib.geodesic import Geodesic

from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

WGS84 = Geodesic.WGS84
TRUE_POINT = (57.8136, 28.3496)  # lat, lon of a (fictional) shelter in Pskov
BLUR_M = 2000


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return WGS84.Inverse(a[0], a[1], b[0], b[1])["s12"]


@pytest.fixture
def shelter(settings) -> m.Location:
    settings.LOCATION_BLUR_M = BLUR_M
    return f.LocationFactory(
        point=Point(TRUE_POINT[1], TRUE_POINT[0], srid=4326),
        visibility=m.Visibility.APPROXIMATE,
        address="ул. Секретная, 1",
    )


def _result_for(api, location: m.Location, lat: float, lon: float) -> dict:
    response = api.get("/api/v1/nearest", {"lat": lat, "lon": lon, "k": 100})
    assert response.status_code == 200
    return next(r for r in response.json()["results"] if r["location"]["id"] == location.pk)


def test_public_position_is_fixed_and_away_from_the_true_point(api, shelter) -> None:
    first = _result_for(api, shelter, 57.9, 28.4)["location"]
    again = _result_for(api, shelter, 56.0, 30.0)["location"]
    assert first["position"] == again["position"]  # the same every time: nothing to average out
    shown = (first["position"]["lat"], first["position"]["lon"])
    assert BLUR_M / 2 - 1 <= _distance(shown, TRUE_POINT) <= BLUR_M + 1
    assert first["address"] == ""  # the address is not public either
    assert "Секретная" not in str(_result_for(api, shelter, 57.9, 28.4))


def test_distances_are_rounded_and_measured_from_the_blurred_point(api, shelter) -> None:
    result = _result_for(api, shelter, 57.9, 28.4)
    assert result["distance_m"] % 1000 == 0


def _trilaterate(observations: list[tuple[tuple[float, float], float]]) -> tuple[float, float]:
    """Least-squares position from (origin, distance) pairs, on a local plane
    around the centroid of the origins: what an attacker would do."""
    lat0 = sum(o[0][0] for o in observations) / len(observations)
    lon0 = sum(o[0][1] for o in observations) / len(observations)
    ky = 111_132.0
    kx = 111_320.0 * math.cos(math.radians(lat0))
    best, best_err = (lat0, lon0), float("inf")
    # Coarse-to-fine grid search: robust and good to a few metres.
    span = 20_000.0
    cx, cy = 0.0, 0.0
    for _ in range(6):
        step = span / 20
        for i in range(-20, 21):
            for j in range(-20, 21):
                x, y = cx + i * step, cy + j * step
                err = 0.0
                for (olat, olon), d in observations:
                    ox, oy = (olon - lon0) * kx, (olat - lat0) * ky
                    err += (math.hypot(x - ox, y - oy) - d) ** 2
                if err < best_err:
                    best_err, best = err, (x, y)
        cx, cy = best
        span /= 8
    return (lat0 + cy / ky, lon0 + cx / kx)


def test_trilateration_from_many_origins_does_not_get_closer_than_the_blur(api, shelter) -> None:
    rng = random.Random(1)
    observations = []
    for _ in range(40):
        lat = TRUE_POINT[0] + rng.uniform(-0.15, 0.15)
        lon = TRUE_POINT[1] + rng.uniform(-0.25, 0.25)
        observations.append(((lat, lon), float(_result_for(api, shelter, lat, lon)["distance_m"])))
    guess = _trilaterate(observations)
    # The attack works (it finds the public point to within the rounding)...
    shelter.refresh_from_db()
    public = (shelter.public_point.y, shelter.public_point.x)
    assert _distance(guess, public) < 1000
    # ...and the public point is never closer to the truth than half the blur radius.
    assert _distance(guess, TRUE_POINT) > BLUR_M / 2 - 500


def test_city_only_location_shows_the_town_centre(api) -> None:
    town = f.PlaceFactory(point=Point(28.3318, 57.8192, srid=4326), population=200_000)
    hidden = f.LocationFactory(point=Point(28.36, 57.80, srid=4326), visibility=m.Visibility.CITY)
    position = _result_for(api, hidden, 57.0, 28.0)["location"]["position"]
    assert (position["lat"], position["lon"]) == (round(town.point.y, 6), round(town.point.x, 6))


def test_exact_location_shows_true_point_and_address(api) -> None:
    office = f.LocationFactory(point=Point(28.3318, 57.8192, srid=4326), address="Октябрьский пр., 1")
    result = _result_for(api, office, 57.9, 28.4)
    assert result["location"]["address"] == "Октябрьский пр., 1"
    assert result["location"]["position"] == {"lat": 57.8192, "lon": 28.3318}
    assert result["distance_m"] == round(_distance((57.9, 28.4), (57.8192, 28.3318)))

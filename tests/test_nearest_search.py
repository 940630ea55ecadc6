"""The nearest-help search: exact k nearest by WGS84 geodesic distance,
filters, remote help and Active People Centres, through the public API."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from geographiclib.geodesic import Geodesic

from orgs import models as m
from orgs.search import index as search_index
from tests import factories as f

pytestmark = pytest.mark.django_db

WGS84 = Geodesic.WGS84
URL = "/api/v1/nearest"


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]


def _scatter(rng: random.Random, n: int, *, categories: list[m.Category]) -> list[m.Location]:
    """Locations over Russia/EECA, with clusters on both sides of the
    antimeridian (Chukotka) and in the far north."""
    boxes = [
        (27, 45, 60, 62),  # European Russia, Ukraine, Belarus
        (60, 38, 90, 56),  # Kazakhstan, Central Asia, Siberia
        (170, 62, 180, 70),  # Chukotka, east of 180 is below
        (-180, 62, -169, 68),  # Chukotka west of the antimeridian
        (30, 66, 180, 78),  # the Arctic coast
    ]
    locations = []
    with search_index.deferred():
        for i in range(n):
            x1, y1, x2, y2 = boxes[i % len(boxes)]
            loc = f.LocationFactory(point=Point(rng.uniform(x1, x2), rng.uniform(y1, y2), srid=4326))
            service = f.ServiceFactory(organisation=loc.organisation, categories=[rng.choice(categories)])
            service.locations.add(loc)
            locations.append(loc)
    return locations


@pytest.fixture
def taxonomy() -> dict[str, m.Category]:
    help_ = f.CategoryFactory(slug="direct-help")
    return {
        "help": help_,
        "psych": f.CategoryFactory(slug="psychological-help", parent=help_),
        "legal": f.CategoryFactory(slug="legal-aid", parent=help_),
        "rare": f.CategoryFactory(slug="programme-expertise"),
    }


def _brute_force(origin: tuple[float, float], locations: list[m.Location], k: int) -> list[tuple[int, float]]:
    lat, lon = origin
    dists = []
    for loc in locations:
        p = loc.public_point
        dists.append((loc.pk, geodesic_m(lat, lon, p.y, p.x)))
    dists.sort(key=lambda item: item[1])
    return dists[:k]


ORIGINS = [
    (57.8192, 28.3318),  # Pskov
    (64.7342, 177.5103),  # Anadyr, east of the antimeridian
    (65.5, -179.5),  # Chukotka, just west of the antimeridian
    (77.5, 104.0),  # Taymyr, far north
    (43.24, 76.9),  # Almaty
]


def test_k_nearest_match_brute_force_geodesic(api, taxonomy) -> None:
    # One directory for every origin: building 250 locations took most of the
    # time, once per origin when this was parametrised.
    rng = random.Random(20261123)
    locations = _scatter(rng, 250, categories=[taxonomy["psych"], taxonomy["legal"]])
    for loc in locations:
        loc.refresh_from_db()
    k = 15
    for origin in ORIGINS:
        response = api.get(URL, {"lat": origin[0], "lon": origin[1], "k": k})
        assert response.status_code == 200, response.json()
        results = response.json()["results"]
        expected = _brute_force(origin, locations, k)
        assert [r["location"]["id"] for r in results] == [pk for pk, _ in expected], origin
        for result, (_pk, dist) in zip(results, expected, strict=True):
            assert abs(result["distance_m"] - dist) <= 1.0, origin
        distances = [r["distance_m"] for r in results]
        assert distances == sorted(distances), origin


def test_rare_category_filter_matches_brute_force(api, taxonomy) -> None:
    rng = random.Random(7)
    common = _scatter(rng, 150, categories=[taxonomy["psych"]])
    rare = _scatter(rng, 6, categories=[taxonomy["rare"]])
    origin = (65.0, 179.0)
    response = api.get(URL, {"lat": origin[0], "lon": origin[1], "k": 4, "category": "programme-expertise"})
    ids = [r["location"]["id"] for r in response.json()["results"]]
    for loc in rare:
        loc.refresh_from_db()
    assert ids == [pk for pk, _ in _brute_force(origin, rare, 4)]
    assert not set(ids) & {loc.pk for loc in common}


def test_parent_category_includes_children(api, taxonomy) -> None:
    rng = random.Random(3)
    _scatter(rng, 20, categories=[taxonomy["psych"]])
    legal = _scatter(rng, 5, categories=[taxonomy["legal"]])
    _scatter(rng, 5, categories=[taxonomy["rare"]])
    response = api.get(URL, {"lat": 55.75, "lon": 37.6, "k": 100, "category": "direct-help"})
    ids = {r["location"]["id"] for r in response.json()["results"]}
    assert len(ids) == 25
    assert {loc.pk for loc in legal} <= ids
    legal_only = api.get(URL, {"lat": 55.75, "lon": 37.6, "k": 100, "category": "legal-aid"}).json()
    assert {r["location"]["id"] for r in legal_only["results"]} == {loc.pk for loc in legal}


def test_always_the_k_nearest_however_far(api, taxonomy) -> None:
    far = f.LocationFactory(point=Point(177.5, 64.73, srid=4326))  # Anadyr
    f.ServiceFactory(organisation=far.organisation, categories=[taxonomy["psych"]]).locations.add(far)
    response = api.get(URL, {"lat": 54.71, "lon": 20.5, "k": 5})  # Kaliningrad, ~7,000 km away
    results = response.json()["results"]
    assert [r["location"]["id"] for r in results] == [far.pk]
    assert results[0]["distance_m"] > 6_000_000


def test_max_km_limits_when_asked(api) -> None:
    near = f.LocationFactory(point=Point(28.35, 57.82, srid=4326))
    f.LocationFactory(point=Point(30.3, 59.94, srid=4326))  # St Petersburg, ~250 km
    response = api.get(URL, {"lat": 57.8192, "lon": 28.3318, "max_km": 50})
    assert [r["location"]["id"] for r in response.json()["results"]] == [near.pk]


def test_only_published_organisations_appear(api) -> None:
    shown = f.LocationFactory(point=Point(28.35, 57.82, srid=4326))
    hidden = f.LocationFactory(point=Point(28.34, 57.82, srid=4326))
    org = hidden.organisation
    org.status = m.PublicationStatus.SUSPENDED
    org.save()
    ids = [r["location"]["id"] for r in api.get(URL, {"lat": 57.82, "lon": 28.34}).json()["results"]]
    assert ids == [shown.pk]
    # Publishing again brings it back at once.
    org.status = m.PublicationStatus.PUBLISHED
    org.save()
    ids = [r["location"]["id"] for r in api.get(URL, {"lat": 57.82, "lon": 28.34}).json()["results"]]
    assert ids == [hidden.pk, shown.pk]


def test_filters_target_format_free_network_language(api, taxonomy) -> None:
    children = f.TargetGroupFactory(slug="children-survivors")
    network = f.NetworkFactory(slug="stop-sed")
    base = Point(28.33, 57.82, srid=4326)

    def make(dx: float, **service_kwargs) -> m.Location:
        loc = f.LocationFactory(point=Point(base.x + dx, base.y, srid=4326), languages=["ru"])
        service = f.ServiceFactory(organisation=loc.organisation, categories=[taxonomy["psych"]], **service_kwargs)
        service.locations.add(loc)
        return loc

    paid = make(0.01, is_free=False)
    for_children = make(0.02, target_groups=[children])
    online = make(0.03, formats=["online", "in_person"])
    english = make(0.04, languages=["en"])
    member = make(0.05)
    f.MembershipFactory(organisation=member.organisation, network=network)

    def ids(**params) -> list[int]:
        response = api.get(URL, {"lat": base.y, "lon": base.x, "k": 50, **params})
        assert response.status_code == 200, response.json()
        return [r["location"]["id"] for r in response.json()["results"]]

    assert paid.pk not in ids(free="true")
    assert ids(target="children-survivors") == [for_children.pk]
    assert ids(format="online") == [online.pk]
    assert ids(network="stop-sed") == [member.pk]
    assert english.pk in ids(language="en")
    assert set(ids(language="en")) == {english.pk}


def test_matching_services_are_returned_with_the_location(api, taxonomy) -> None:
    loc = f.LocationFactory()
    psych = f.ServiceFactory(organisation=loc.organisation, categories=[taxonomy["psych"]], name="Психолог")
    legal = f.ServiceFactory(organisation=loc.organisation, categories=[taxonomy["legal"]], name="Адвокат")
    psych.locations.add(loc)
    legal.locations.add(loc)
    result = api.get(URL, {"lat": 57.8, "lon": 28.3, "category": "legal-aid"}).json()["results"][0]
    assert [s["name"] for s in result["services"]] == ["Адвокат"]
    assert result["organisation"]["slug"] == loc.organisation.slug
    everything = api.get(URL, {"lat": 57.8, "lon": 28.3}).json()["results"][0]
    assert sorted(s["name"] for s in everything["services"]) == ["Адвокат", "Психолог"]


def test_open_now_in_the_locations_own_time_zone(api, monkeypatch) -> None:
    # 08:30 UTC on Monday 2026-11-23 is 11:30 in Moscow and 20:30 in Anadyr (UTC+12).
    now = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
    moscow = f.LocationFactory(point=Point(37.6, 55.75, srid=4326), timezone="Europe/Moscow")
    anadyr = f.LocationFactory(point=Point(177.5, 64.73, srid=4326), timezone="Asia/Anadyr")
    night = f.LocationFactory(point=Point(37.7, 55.75, srid=4326), timezone="Europe/Moscow")
    for loc in (moscow, anadyr):
        m.OpeningHours.objects.create(location=loc, weekday=0, opens=dt.time(9), closes=dt.time(18))
    # Open from 22:00 on Sunday until 12:00 on Monday: past midnight.
    m.OpeningHours.objects.create(location=night, weekday=6, opens=dt.time(22), closes=dt.time(12))
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    response = api.get(URL, {"lat": 55.75, "lon": 37.6, "k": 10, "open_now": "true"})
    results = response.json()["results"]
    assert sorted(r["location"]["id"] for r in results) == sorted([moscow.pk, night.pk])
    assert all(r["open_now"] is True for r in results)
    everything = api.get(URL, {"lat": 55.75, "lon": 37.6, "k": 10}).json()["results"]
    assert {r["location"]["id"]: r["open_now"] for r in everything}[anadyr.pk] is False


def test_remote_services_cover_the_origin(api, taxonomy) -> None:
    anywhere = f.ServiceFactory(formats=["online"], area_kind=m.AreaKind.ANYWHERE, name="Онлайн везде")
    russia = f.ServiceFactory(formats=["phone"], area_kind=m.AreaKind.COUNTRY, area_country="RU", name="Линия РФ")
    kazakhstan = f.ServiceFactory(formats=["phone"], area_kind=m.AreaKind.COUNTRY, area_country="KZ", name="KZ")
    square = MultiPolygon(Polygon.from_bbox((28.0, 57.5, 28.6, 58.0)), srid=4326)
    polygon = f.ServiceFactory(
        formats=["online"], area_kind=m.AreaKind.POLYGON, area_polygon=square, name="Псковская зона"
    )
    elsewhere = MultiPolygon(Polygon.from_bbox((37.0, 55.0, 38.0, 56.0)), srid=4326)
    f.ServiceFactory(formats=["online"], area_kind=m.AreaKind.POLYGON, area_polygon=elsewhere, name="Москва")
    in_person_only = f.ServiceFactory(formats=["in_person"], area_kind=m.AreaKind.ANYWHERE, name="Очно")
    f.PlaceFactory(point=Point(28.33, 57.82, srid=4326), country_code="RU", admin1_code="60")
    response = api.get(URL, {"lat": 57.8192, "lon": 28.3318})
    names = [s["name"] for s in response.json()["remote"]]
    assert names[0] == polygon.name  # the narrowest area first
    assert set(names) == {anywhere.name, russia.name, polygon.name}
    assert kazakhstan.name not in names and in_person_only.name not in names
    # The remote section is always there, even when no location matches.
    response = api.get(URL, {"lat": 57.8192, "lon": 28.3318, "category": taxonomy["rare"].slug})
    assert response.json()["results"] == []


def test_centres_whose_territory_contains_the_origin(api) -> None:
    host = f.OrganisationFactory()
    inside = m.ActivePeopleCentre.objects.create(
        host=host,
        name="ЦАЛ Завеличье",
        slug="cal-zavelichye",
        territory=MultiPolygon(Polygon.from_bbox((28.28, 57.8, 28.32, 57.84)), srid=4326),
    )
    m.ActivePeopleCentre.objects.create(
        host=host, name="ЦАЛ далеко", slug="cal-far", centre=Point(37.6, 55.75, srid=4326), radius_m=3000
    )
    radius = m.ActivePeopleCentre.objects.create(
        host=host, name="ЦАЛ рядом", slug="cal-near", centre=Point(28.31, 57.83, srid=4326), radius_m=3000
    )
    response = api.get(URL, {"lat": 57.82, "lon": 28.30})
    assert {c["slug"] for c in response.json()["centres"]} == {inside.slug, radius.slug}

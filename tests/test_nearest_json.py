"""The nearest answer serialised by PostgreSQL (orgs/search/nearest.py) is the answer
the DRF serializers give for the same hits (api/serializers.py documents it in
the OpenAPI schema): every field, every order, protected locations included,
over varied data and filters. A field added to one and not the other fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any, cast

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.http import QueryDict
from rest_framework.renderers import JSONRenderer

from api import serializers as s
from api.views import search_filters
from orgs import gazetteer, selectors
from orgs import models as m
from orgs.geo import public_distance_m
from orgs.search import reference as oracle
from orgs.search.filters import SearchFilters
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/nearest"
NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)  # a Monday
TOWNS = {
    "pskov": (28.33, 57.82, "RU", "60", "Europe/Moscow"),
    "moscow": (37.62, 55.75, "RU", "48", "Europe/Moscow"),
    "anadyr": (177.51, 64.73, "RU", "77", "Asia/Anadyr"),
    "uelen": (-169.81, 66.16, "RU", "77", "Asia/Anadyr"),
    "almaty": (76.95, 43.24, "KZ", "02", "Asia/Almaty"),
}
# Texts a JSON encoder must escape, and ones it must leave alone.
AWKWARD = ['Кавычки "ёлки" \\ и слэш', "<script>alert(1)</script>", "строка\nперевод\tтаб", "emoji 🙂 and ’", ""]


def reference(
    *, origin: Point, filters: SearchFilters, k: int, max_m: float | None, place: m.Place | None
) -> dict[str, Any]:
    """The answer as the ORM and the DRF serializers build it."""
    hits = oracle.locations_nearest(origin=origin, filters=filters, k=k, max_m=max_m)
    ids = {sid for hit in hits for sid in hit.service_ids}
    services = {x.pk: x for x in m.Service.objects.filter(pk__in=ids).prefetch_related("categories", "target_groups")}
    area_place = place or gazetteer.place_nearest(point=origin)
    area = (
        oracle.OriginArea(country=area_place.country_code, region_code=area_place.region_code, place_id=area_place.pk)
        if area_place is not None
        else None
    )
    payload = {
        "origin": {"lat": origin.y, "lon": origin.x, "place": place, "alternatives": []},
        "results": [
            {
                "distance_m": public_distance_m(hit.distance_m, hit.location.visibility),
                "open_now": selectors.is_open(hit.location, filters.now),
                "location": hit.location,
                "organisation": hit.location.organisation,
                "services": [services[sid] for sid in hit.service_ids if sid in services],
            }
            for hit in hits
        ],
        "remote": oracle.services_remote(origin=origin, area=area, filters=filters),
        "centres": oracle.centres_covering(origin=origin),
    }
    return json.loads(JSONRenderer().render(s.NearestResponseSerializer(payload).data))


def _near(rng: random.Random, town: str, km: float) -> Point:
    lon, lat = TOWNS[town][:2]
    lat2 = lat + rng.uniform(-km, km) / 111.2
    lon2 = lon + rng.uniform(-km, km) / 50.0
    return Point((lon2 + 540) % 360 - 180, lat2, srid=4326)


@pytest.fixture
def directory() -> dict[str, Any]:
    rng = random.Random(7)
    places = {
        name: f.PlaceFactory(
            name=name.title(),
            point=Point(lon, lat, srid=4326),
            country_code=cc,
            admin1_code=a1,
            timezone=tz,
            population=100_000,
        )
        for name, (lon, lat, cc, a1, tz) in TOWNS.items()
    }
    parent = f.CategoryFactory(slug="psychological-help", position=1)
    child = f.CategoryFactory(slug="family-therapy", parent=parent, position=2)
    legal = f.CategoryFactory(slug="legal-aid", position=0)
    groups = [f.TargetGroupFactory(slug="children", position=1), f.TargetGroupFactory(slug="parents", position=0)]
    networks = [f.NetworkFactory(slug="alliance"), f.NetworkFactory(slug="centres")]
    categories = [parent, child, legal]

    for i in range(36):
        town = rng.choice(list(TOWNS))
        org = f.OrganisationFactory(
            located=False,
            name=rng.choice(AWKWARD) + f" {i}" if i % 5 == 0 else f"Организация {i}",
            website=rng.choice(["", "https://example.org/"]),
            last_verified_at=rng.choice([None, dt.date(2026, 5, 1)]),
            status=m.PublicationStatus.PUBLISHED if i % 9 else m.PublicationStatus.PENDING,
        )
        for net in rng.sample(networks, rng.randint(0, 2)):
            f.MembershipFactory(
                organisation=org, network=net, status=rng.choice(list(m.MembershipStatus.values)), since=None
            )
        locations = []
        for _ in range(rng.randint(1, 2)):
            loc = f.LocationFactory(
                organisation=org,
                point=_near(rng, town, 30),
                visibility=rng.choice(list(m.Visibility.values)),
                address=rng.choice(AWKWARD),
                accessibility=rng.choice(AWKWARD),
                languages=rng.sample(["ru", "en", "kk"], rng.randint(0, 2)),
                timezone=TOWNS[town][4],
                city=town,
            )
            for _ in range(rng.randint(0, 3)):
                opens = rng.randint(0, 23)
                closes = (opens + rng.randint(1, 23)) % 24  # some past midnight
                f.OpeningHoursFactory(
                    location=loc, weekday=rng.randint(0, 6), opens=dt.time(opens), closes=dt.time(closes)
                )
            locations.append(loc)
        for _ in range(rng.randint(0, 3)):
            f.ServiceFactory(
                organisation=org,
                name=rng.choice(AWKWARD) or "Услуга",
                description=rng.choice(AWKWARD),
                categories=rng.sample(categories, rng.randint(0, 2)),
                target_groups=rng.sample(groups, rng.randint(0, 2)),
                formats=rng.sample(list(m.ServiceFormat.values), rng.randint(1, 2)),
                is_free=rng.random() < 0.5,
                languages=rng.sample(["ru", "en"], rng.randint(0, 1)),
                min_age=rng.choice([None, 3]),
                phone="+7 800 000-00-00",
                locations=locations,
            )
    # Help without a visit, of every kind of area.
    square = MultiPolygon(Polygon.from_bbox((27.5, 57.0, 29.5, 58.5)), srid=4326)
    for area in (
        {"area_kind": m.AreaKind.ANYWHERE},
        {"area_kind": m.AreaKind.COUNTRY, "area_country": "RU"},
        {"area_kind": m.AreaKind.COUNTRY, "area_country": "KZ"},
        {"area_kind": m.AreaKind.REGION, "area_region": "RU.60"},
        {"area_kind": m.AreaKind.CITY, "area_place": places["anadyr"]},
        {"area_kind": m.AreaKind.POLYGON, "area_polygon": square},
        {"area_kind": m.AreaKind.RADIUS, "area_radius_km": 80},
    ):
        f.ServiceFactory(
            formats=[m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE],
            categories=[rng.choice(categories)],
            target_groups=[groups[0]],
            **area,
        )
    host = f.OrganisationFactory()
    f.MembershipFactory(organisation=host, network=networks[1])
    f.ActivePeopleCentreFactory(host=host, name="Центр «Б»", helps_with=[legal, parent])
    f.ActivePeopleCentreFactory(
        host=host, name="Центр «А»", territory=None, centre=Point(28.33, 57.82, srid=4326), radius_m=20_000
    )
    return {"places": places, "rng": rng}


def _compare(api: Any, params: dict[str, Any], *, place: m.Place | None = None) -> dict[str, Any]:
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    got = response.json()
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    data = s.NearestQuerySerializer(data=query)
    data.is_valid(raise_exception=True)
    filters = search_filters(dict(data.validated_data))
    if params.get("open_now"):
        filters = SearchFilters(**{**filters.__dict__, "now": NOW})
    origin = Point(place.point.x, place.point.y, srid=4326) if place else Point(params["lon"], params["lat"], srid=4326)
    max_m = params["max_km"] * 1000 if params.get("max_km") else None
    want = reference(origin=origin, filters=filters, k=int(params.get("k", 10)), max_m=max_m, place=place)
    assert got == want
    return got


def test_same_answer_as_the_serializers_from_many_origins(api: Any, directory: dict[str, Any], monkeypatch) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    rng = directory["rng"]
    seen = {"results": 0, "remote": 0, "centres": 0, "protected": 0, "open": 0, "closed": 0}
    for town in TOWNS:
        for k in (1, 4, 25):
            # The first origin in the town itself (inside the Pskov centres), the others around it.
            origin = _near(rng, town, 40 if k > 1 else 0.5)
            got = _compare(api, {"lat": origin.y, "lon": origin.x, "k": k})
            seen["results"] += len(got["results"])
            seen["remote"] += len(got["remote"])
            seen["centres"] += len(got["centres"])
            seen["protected"] += sum(r["location"]["visibility"] != "exact" for r in got["results"])
            seen["open"] += sum(r["open_now"] is True for r in got["results"])
            seen["closed"] += sum(r["open_now"] is False for r in got["results"])
    # The comparison covered every part of the answer, not empty lists.
    assert all(n > 0 for n in seen.values()), seen


FILTERS: list[dict[str, Any]] = [
    {"category": "psychological-help"},
    {"category": ["family-therapy", "legal-aid"]},
    {"target": "children"},
    {"format": "online"},
    {"free": "true"},
    {"language": "en"},
    {"network": "alliance"},
    {"open_now": "true"},
    {"max_km": 60},
    {"category": "legal-aid", "target": "parents", "format": ["in_person", "phone"], "k": 3},
]


def test_same_answer_with_filters(api: Any, directory: dict[str, Any], monkeypatch) -> None:
    # One test over all the filters: the directory is built once.
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    for extra in FILTERS:
        for town in ("pskov", "anadyr", "uelen"):
            lon, lat = TOWNS[town][:2]
            _compare(api, {"lat": lat + 0.05, "lon": lon + 0.05, **extra})


def test_same_answer_for_a_place_name(api: Any, directory: dict[str, Any]) -> None:
    got = _compare(api, {"place": "Anadyr"}, place=directory["places"]["anadyr"])
    assert got["origin"]["place"]["name"] == "Anadyr"
    # The city-wide service of Anadyr reaches an origin given as Anadyr.
    assert any(r["area_kind"] == "city" for r in got["remote"])


def test_protected_points_stay_hidden_in_the_sql_answer(api: Any) -> None:
    town = cast(m.Place, f.PlaceFactory(point=Point(28.33, 57.82, srid=4326)))
    secret = cast(
        m.Location,
        f.LocationFactory(point=Point(28.40, 57.85, srid=4326), visibility=m.Visibility.CITY, address="ул. Тайная, 1"),
    )
    text = api.get(URL, {"lat": 57.95, "lon": 28.55}).content.decode()
    result = json.loads(text)["results"][0]
    assert result["location"]["id"] == secret.pk
    assert result["location"]["position"] == {"lat": town.point.y, "lon": town.point.x}
    assert result["location"]["address"] == ""
    assert result["distance_m"] % 1000 == 0
    assert "28.4" not in text and "Тайная" not in text


def test_the_statement_is_translated_to_native_placeholders_once_per_shape() -> None:
    """The statement runs on psycopg's RawCursor, which takes PostgreSQL's own
    $n placeholders and parses nothing: orgs.search.nearest translates the
    %(name)s text once per statement shape and keeps the translation."""
    from orgs.search import nearest

    every_filter = SearchFilters(
        facets=(1, 2), target_ids=(3,), formats=("online",), free=True, open_now=True, languages=("ru",)
    )
    params = {"origin": nearest.ewkb_point(28.3, 57.8), "limit": 40, "k": 10, "area_place": None, "now": NOW}
    statement = nearest._statement(filters=every_filter, params=params, max_m=1000.0)
    sql, names = nearest.native_placeholders(statement)
    assert "%(" not in sql and "%%" not in sql
    assert "% 7" in sql  # the open-now weekday arithmetic keeps its modulo
    assert set(names) == set(params) and len(names) == len(set(names))
    for number, name in enumerate(names, start=1):
        assert f"${number}" in sql, name
    hits = nearest.native_placeholders.cache_info().hits
    again = nearest._statement(filters=every_filter, params=dict(params), max_m=1000.0)
    assert nearest.native_placeholders(again) == (sql, names)
    assert nearest.native_placeholders.cache_info().hits == hits + 1


def test_the_statement_is_prepared_on_the_server(api: Any) -> None:
    # Planning the statement cost several times more than running it: it is
    # prepared once per connection and shape, and the next request reuses it.
    from django.db import connection

    f.LocationFactory(point=Point(28.33, 57.81, srid=4326))
    for _ in range(2):
        assert api.get(URL, {"lat": 57.8, "lon": 28.3}).status_code == 200
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%WITH area AS%"])
        assert cur.fetchone()[0] == 1


def test_the_origin_point_bytes_are_postgis_ewkb() -> None:
    from orgs.search import nearest

    assert nearest.ewkb_point(177.51, -64.73) == bytes(Point(177.51, -64.73, srid=4326).ewkb)

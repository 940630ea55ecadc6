"""Online and phone help by service area (orgs.search.reference.services_remote), read from
the derived RemoteEntry table: which services cover an origin, the filters, the
order, and that the rows follow every write."""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection

from orgs import models as m
from orgs.search import index as search_index
from orgs.search.filters import SearchFilters
from orgs.search.reference import OriginArea, services_remote
from tests import factories as f

pytestmark = pytest.mark.django_db

PSKOV = Point(28.3318, 57.8192, srid=4326)
PSKOV_AREA = OriginArea(country="RU", region_code="RU.60", place_id=None)


def _names(origin: Point = PSKOV, area: OriginArea | None = PSKOV_AREA, **filters: object) -> list[str]:
    found = services_remote(origin=origin, area=area, filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [s.name for s in found]


def _remote(name: str, **kwargs: object) -> m.Service:
    kwargs.setdefault("formats", [m.ServiceFormat.ONLINE])
    return f.ServiceFactory(name=name, **kwargs)


def _offset(point: Point, *, north_km: float = 0.0, east_km: float = 0.0) -> Point:
    lat = point.y + north_km / 111.195
    lon = point.x + east_km / (111.195 * math.cos(math.radians(point.y)))
    return Point((lon + 540) % 360 - 180, lat, srid=4326)


def test_each_kind_of_area_and_the_narrowest_first() -> None:
    town = f.PlaceFactory(point=PSKOV, country_code="RU", admin1_code="60")
    area = OriginArea(country="RU", region_code="RU.60", place_id=town.pk)
    _remote("Везде", area_kind=m.AreaKind.ANYWHERE)
    _remote("Россия", area_kind=m.AreaKind.COUNTRY, area_country="RU")
    _remote("Казахстан", area_kind=m.AreaKind.COUNTRY, area_country="KZ")
    _remote("Область", area_kind=m.AreaKind.REGION, area_region="RU.60")
    _remote("Москва", area_kind=m.AreaKind.REGION, area_region="RU.77")
    _remote("Город", area_kind=m.AreaKind.CITY, area_place=town)
    _remote("Другой город", area_kind=m.AreaKind.CITY, area_place=f.PlaceFactory())
    square = MultiPolygon(Polygon.from_bbox((28.0, 57.5, 28.6, 58.0)), srid=4326)
    _remote("Район", area_kind=m.AreaKind.POLYGON, area_polygon=square)
    elsewhere = MultiPolygon(Polygon.from_bbox((37.0, 55.0, 38.0, 56.0)), srid=4326)
    _remote("Чужой район", area_kind=m.AreaKind.POLYGON, area_polygon=elsewhere)
    _remote("Только на месте", area_kind=m.AreaKind.LOCATIONS)
    f.ServiceFactory(name="Очно везде", formats=[m.ServiceFormat.IN_PERSON], area_kind=m.AreaKind.ANYWHERE)

    assert _names(area=area) == ["Район", "Город", "Область", "Россия", "Везде"]
    # Without a gazetteer place only what needs none: drawn areas and anywhere.
    assert _names(area=None) == ["Район", "Везде"]


def test_a_radius_is_exact_in_metres_around_each_public_point() -> None:
    near = f.LocationFactory(point=PSKOV)
    service = _remote("Радиус 10 км", organisation=near.organisation, area_kind=m.AreaKind.RADIUS, area_radius_km=10)
    service.locations.add(near)
    # The polygon that finds radius rows is 3% wider than the circle: the exact
    # distance decides at the edge.
    assert _names(origin=_offset(PSKOV, north_km=9.9)) == ["Радиус 10 км"]
    assert _names(origin=_offset(PSKOV, east_km=9.9)) == ["Радиус 10 км"]
    assert _names(origin=_offset(PSKOV, north_km=10.15)) == []
    assert _names(origin=_offset(PSKOV, east_km=-10.15)) == []
    # A second place of the service widens its area, and the service is listed once.
    far = f.LocationFactory(organisation=near.organisation, point=Point(37.62, 55.75, srid=4326))
    service.locations.add(far)
    moscow = Point(37.7, 55.75, srid=4326)
    assert _names(origin=moscow) == ["Радиус 10 км"]
    assert _names(origin=_offset(PSKOV, north_km=5)) == ["Радиус 10 км"]


def test_a_protected_location_covers_from_its_public_point() -> None:
    hidden = f.LocationFactory(point=PSKOV, visibility=m.Visibility.APPROXIMATE)
    service = _remote("Приют", organisation=hidden.organisation, area_kind=m.AreaKind.RADIUS, area_radius_km=5)
    service.locations.add(hidden)
    hidden.refresh_from_db()
    assert not hidden.public_point.equals_exact(hidden.point, 1e-9)
    row = m.RemoteEntry.objects.get(service=service, facet=0)
    assert row.centre.equals_exact(hidden.public_point, 1e-9)


def test_a_radius_across_the_antimeridian_and_a_very_wide_one() -> None:
    anadyr = f.LocationFactory(point=Point(179.8, 64.7, srid=4326), timezone="Asia/Anadyr")
    service = _remote("Чукотка", organisation=anadyr.organisation, area_kind=m.AreaKind.RADIUS, area_radius_km=50)
    service.locations.add(anadyr)
    assert _names(origin=Point(-179.6, 64.7, srid=4326), area=None) == ["Чукотка"]
    assert _names(origin=Point(-178.0, 64.7, srid=4326), area=None) == []

    wide = _remote("Полмира", organisation=anadyr.organisation, area_kind=m.AreaKind.RADIUS, area_radius_km=9000)
    wide.locations.add(anadyr)
    assert m.RemoteEntry.objects.filter(service=wide, area_key="radius", area__isnull=True).exists()
    assert "Полмира" in _names(origin=Point(30.0, 59.9, srid=4326), area=None)  # 6,300 km away
    assert "Полмира" not in _names(origin=Point(-60.0, -30.0, srid=4326), area=None)


def test_filters_category_with_descendants_target_format_free_language_network() -> None:
    parent = f.CategoryFactory(slug="legal")
    child = m.Category.objects.create(slug="free-advocate", parent=parent, name_ru="Адвокат", name_en="Advocate")
    other = f.CategoryFactory(slug="psychology")
    children = f.TargetGroupFactory(slug="children")
    adults = f.TargetGroupFactory(slug="adults")
    network = f.NetworkFactory(slug="stop-sed")
    a = _remote(
        "A",
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
        categories=[child],
        target_groups=[children],
        formats=[m.ServiceFormat.PHONE],
        languages=["ru"],
    )
    f.MembershipFactory(organisation=a.organisation, network=network)
    _remote(
        "B",
        area_kind=m.AreaKind.ANYWHERE,
        categories=[other],
        target_groups=[adults],
        formats=[m.ServiceFormat.ONLINE],
        is_free=False,
        languages=["en"],
    )

    assert _names(facets=(parent.pk,)) == ["A"]  # a parent category finds its children's services
    assert _names(facets=(child.pk,)) == ["A"]
    assert _names(facets=(parent.pk, other.pk)) == ["A", "B"]
    assert _names(target_ids=(adults.pk,)) == ["B"]
    assert _names(formats=(m.ServiceFormat.PHONE,)) == ["A"]
    assert _names(free=True) == ["A"]
    assert _names(languages=("en",)) == ["B"]
    assert _names(network_ids=(network.pk,)) == ["A"]
    assert _names(facets=(other.pk,), network_ids=(network.pk,)) == []
    # Remote help has no opening hours: "open now" does not hide it.
    assert _names(open_now=True) == ["A", "B"]


def test_each_area_kind_has_its_own_page_so_narrow_help_is_never_crowded_out() -> None:
    for i in range(25):
        _remote(f"Россия {i:02}", area_kind=m.AreaKind.COUNTRY, area_country="RU")
    _remote("Область", area_kind=m.AreaKind.REGION, area_region="RU.60")
    names = _names()
    assert len(names) == 20
    assert names[0] == "Область"
    assert names[1:] == [f"Россия {i:02}" for i in range(19)]


def test_only_published_organisations() -> None:
    service = _remote("Линия", area_kind=m.AreaKind.ANYWHERE)
    assert _names() == ["Линия"]
    service.organisation.status = m.PublicationStatus.SUSPENDED
    service.organisation.save()
    assert _names() == []
    assert not m.RemoteEntry.objects.exists()


def test_rows_follow_every_write() -> None:
    category = f.CategoryFactory(slug="crisis")
    service = _remote("Линия", area_kind=m.AreaKind.REGION, area_region="RU.60")
    assert _names() == ["Линия"]

    service.area_region = "RU.77"
    service.save()
    assert _names() == []

    service.area_kind = m.AreaKind.COUNTRY
    service.area_country = "RU"
    service.save()
    assert _names() == ["Линия"]

    assert _names(facets=(category.pk,)) == []
    service.categories.add(category)
    assert _names(facets=(category.pk,)) == ["Линия"]

    service.formats = [m.ServiceFormat.IN_PERSON]
    service.save()
    assert _names() == []

    service.formats = [m.ServiceFormat.ONLINE]
    service.save()
    # The organisation's name orders the page: a rename re-sorts it.
    second = _remote("Линия", area_kind=m.AreaKind.COUNTRY, area_country="RU")
    service.organisation.name = "Я последняя"
    service.organisation.save()
    second.organisation.name = "А первая"
    second.organisation.save()
    found = services_remote(origin=PSKOV, area=PSKOV_AREA, filters=SearchFilters())
    assert [s.pk for s in found] == [second.pk, service.pk]

    service.delete()
    assert not m.RemoteEntry.objects.filter(service_id=found[1].pk).exists()
    assert [s.pk for s in services_remote(origin=PSKOV, area=PSKOV_AREA, filters=SearchFilters())] == [second.pk]


def _remote_rows() -> list[tuple[object, ...]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT facet, service_id, organisation_id, rank, area_key, ST_AsText(area), ST_AsText(centre), radius_m,"
            " organisation_name, service_name, target_ids, formats, is_free, languages, network_ids"
            " FROM orgs_remoteentry ORDER BY 1, 2, 7"
        )
        return cur.fetchall()


def test_a_rebuild_derives_the_same_rows_as_the_writes() -> None:
    category = f.CategoryFactory(slug="crisis")
    target = f.TargetGroupFactory(slug="children")
    network = f.NetworkFactory(slug="stop-sed")
    loc = f.LocationFactory(point=PSKOV)
    radius = _remote(
        "Радиус",
        organisation=loc.organisation,
        area_kind=m.AreaKind.RADIUS,
        area_radius_km=30,
        categories=[category],
        target_groups=[target],
    )
    radius.locations.add(loc)
    f.MembershipFactory(organisation=loc.organisation, network=network)
    _remote("Везде", area_kind=m.AreaKind.ANYWHERE, languages=["ru", "uk"])
    square = MultiPolygon(Polygon.from_bbox((28.0, 57.5, 28.6, 58.0)), srid=4326)
    _remote("Район", area_kind=m.AreaKind.POLYGON, area_polygon=square, categories=[category])
    written = _remote_rows()
    assert len(written) == 5  # facet 0 and the category for two services, facet 0 for one

    search_index.rebuild()
    assert _remote_rows() == written


def test_each_lookup_is_an_index_condition() -> None:
    """Every per-area probe can be served by the partial indexes (with sequential
    scans forbidden, a condition the index cannot take would show as a scan)."""
    from orgs.search.reference import _remote_service_ids

    _remote("Линия", area_kind=m.AreaKind.COUNTRY, area_country="RU")
    category = f.CategoryFactory(slug="crisis")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        captured: list[str] = []

        def explain(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            if "orgs_remoteentry" in sql:
                execute("EXPLAIN " + sql, params, many, context)
                captured.append("\n".join(row[0] for row in context["cursor"].fetchall()))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(explain):
            _remote_service_ids(origin=PSKOV, area=PSKOV_AREA, filters=SearchFilters(facets=(category.pk,)), limit=20)
    plan = captured[0]
    assert "Seq Scan" not in plan
    assert "remote_key_order" in plan and "remote_facet_area_gist" in plan


def test_the_api_answers_remote_help_from_the_derived_rows(api) -> None:
    f.PlaceFactory(point=PSKOV, country_code="RU", admin1_code="60")
    _remote("Область", area_kind=m.AreaKind.REGION, area_region="RU.60")
    _remote("Везде", area_kind=m.AreaKind.ANYWHERE)
    body = api.get("/api/v1/nearest", {"lat": PSKOV.y, "lon": PSKOV.x}).json()
    assert [s["name"] for s in body["remote"]] == ["Область", "Везде"]

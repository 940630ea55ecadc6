"""The map's viewport endpoint: points close up, clusters from precomputed
cells at low zoom, consistent after every write, across the antimeridian."""

from __future__ import annotations

import random

import pytest
from django.contrib.gis.geos import Point

from api.viewport import ClusterPropertiesSerializer, ViewportClusterSerializer, ViewportPointSerializer
from orgs import models as m
from orgs.search import index as search_index
from orgs.search import viewport
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/locations"


def _scatter(n: int, box: tuple[float, float, float, float], seed: int = 1) -> list[m.Location]:
    rng = random.Random(seed)
    with search_index.deferred():
        return [
            f.LocationFactory(point=Point(rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]), srid=4326))
            for _ in range(n)
        ]


def test_points_when_few_are_in_view(api) -> None:
    locations = _scatter(30, (28.0, 57.5, 28.6, 58.0))
    body = api.get(URL, {"in_bbox": "27.9,57.4,28.7,58.1", "zoom": 12}).json()
    assert body["mode"] == "points"
    assert {feature["id"] for feature in body["features"]} == {loc.pk for loc in locations}
    feature = body["features"][0]
    assert feature["properties"]["organisation"]
    assert "address" not in feature["properties"]


def _documented_point_properties() -> set[str]:
    meta = ViewportPointSerializer.Meta
    return set(ViewportPointSerializer().fields) - {meta.id_field, meta.geo_field}


def test_features_carry_exactly_what_the_schema_documents(api, monkeypatch) -> None:
    # The features are built from raw rows (orgs.search.viewport) and only
    # documented by the drf-gis serializers of api/viewport.py: this keeps the two together.
    _scatter(30, (28.0, 57.5, 28.6, 58.0))
    body = api.get(URL, {"in_bbox": "27.9,57.4,28.7,58.1", "zoom": 12}).json()
    assert set(body) == {"type", "mode", "features"}
    for feature in body["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert set(feature["properties"]) == _documented_point_properties()
    monkeypatch.setattr(viewport, "MAX_POINTS", 5)
    body = api.get(URL, {"in_bbox": "27.9,57.4,28.7,58.1", "zoom": 9}).json()
    assert body["mode"] == "clusters"
    for feature in body["features"]:
        assert set(feature) == set(ViewportClusterSerializer().fields)
        assert set(feature["properties"]) == set(ClusterPropertiesSerializer().fields)


def test_clusters_when_many_are_in_view_and_counts_add_up(api, settings, monkeypatch) -> None:
    monkeypatch.setattr(viewport, "MAX_POINTS", 20)
    _scatter(60, (28.0, 57.5, 34.0, 60.0))
    # Each box about what a screen shows at its zoom (a far larger one is refused).
    for zoom, bbox in ((3, "20,50,40,65"), (5, "20,50,40,65"), (7, "20,50,40,65"), (9, "27.9,57.4,34.1,60.1")):
        body = api.get(URL, {"in_bbox": bbox, "zoom": zoom}).json()
        assert body["mode"] == "clusters", zoom
        assert sum(feat["properties"]["count"] for feat in body["features"]) == 60


def test_precomputed_cells_follow_every_write(api, monkeypatch) -> None:
    monkeypatch.setattr(viewport, "MAX_POINTS", 5)
    locations = _scatter(12, (28.0, 57.5, 29.0, 58.0))

    def total() -> int:
        body = api.get(URL, {"in_bbox": "20,50,40,65", "zoom": 5}).json()
        return sum(feat["properties"]["count"] for feat in body["features"])

    assert total() == 12
    suspended = locations[0].organisation
    suspended.status = m.PublicationStatus.SUSPENDED
    suspended.save()
    assert total() == 11
    moved = locations[1]
    moved.point = Point(100.0, 60.0, srid=4326)  # out of view
    moved.save()
    assert total() == 10
    f.LocationFactory(organisation=locations[2].organisation, point=Point(100.0, 61.0, srid=4326))
    locations[2].delete()
    assert total() == 9
    # Incremental counts agree with a rebuild from scratch.
    before = sorted(m.ClusterCell.objects.filter(n__gt=0).values_list("zoom", "facet", "cx", "cy", "n"))
    search_index.rebuild()
    after = sorted(m.ClusterCell.objects.filter(n__gt=0).values_list("zoom", "facet", "cx", "cy", "n"))
    assert before == after


def test_category_and_network_clusters_are_precomputed_too(api, monkeypatch) -> None:
    monkeypatch.setattr(viewport, "MAX_POINTS", 2)
    cat = f.CategoryFactory(slug="legal-aid")
    network = f.NetworkFactory(slug="stop-sed")
    locations = _scatter(8, (28.0, 57.5, 29.0, 58.0))
    for loc in locations[:3]:
        f.ServiceFactory(organisation=loc.organisation, categories=[cat]).locations.add(loc)
        f.MembershipFactory(organisation=loc.organisation, network=network)
    for params in ({"category": "legal-aid"}, {"network": "stop-sed"}):
        body = api.get(URL, {"in_bbox": "20,50,40,65", "zoom": 4, **params}).json()
        assert sum(feat["properties"]["count"] for feat in body["features"]) == 3


def test_a_box_across_the_antimeridian(api) -> None:
    east = f.LocationFactory(point=Point(179.5, 65.0, srid=4326))
    west = f.LocationFactory(point=Point(-179.5, 65.0, srid=4326))
    f.LocationFactory(point=Point(170.0, 65.0, srid=4326))  # outside
    body = api.get(URL, {"in_bbox": "179,64,-179,66", "zoom": 10}).json()
    assert {feature["id"] for feature in body["features"]} == {east.pk, west.pk}


def test_protected_points_show_their_public_position(api) -> None:
    hidden = f.LocationFactory(point=Point(28.3496, 57.8136, srid=4326), visibility=m.Visibility.APPROXIMATE)
    body = api.get(URL, {"in_bbox": "28.25,57.77,28.45,57.86", "zoom": 14}).json()
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    hidden.refresh_from_db()
    assert (lat, lon) == (round(hidden.public_point.y, 6), round(hidden.public_point.x, 6))
    assert (lat, lon) != (57.8136, 28.3496)


@pytest.mark.parametrize("zoom", [10, 11, 12])
def test_a_dense_city_at_zoom_10_to_12_is_answered_from_precomputed_cells(api, monkeypatch, zoom) -> None:
    """However many locations a city holds, zooms up to MAX_CLUSTER_ZOOM read a
    screenful of cells: no live grouping of the search rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert search_index.MAX_CLUSTER_ZOOM >= 12
    monkeypatch.setattr(viewport, "MAX_POINTS", 10)
    _scatter(40, (28.30, 57.80, 28.36, 57.84))
    with CaptureQueriesContext(connection) as queries:
        body = api.get(URL, {"in_bbox": "28.2,57.75,28.45,57.9", "zoom": zoom}).json()
    assert body["mode"] == "clusters"
    assert sum(feat["properties"]["count"] for feat in body["features"]) == 40
    assert not [q["sql"] for q in queries if "orgs_searchentry" in q["sql"]]
    # Closer than the precomputed zooms, the few rows in view are grouped live.
    with CaptureQueriesContext(connection) as queries:
        body = api.get(URL, {"in_bbox": "28.2,57.75,28.45,57.9", "zoom": 13}).json()
    assert sum(feat["properties"]["count"] for feat in body["features"]) == 40
    assert [q["sql"] for q in queries if "orgs_searchentry" in q["sql"]]

"""The public endpoints cost a fixed number of queries, however many results."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def _directory(n: int) -> None:
    cat = f.CategoryFactory(slug="psychological-help")
    network = f.NetworkFactory(slug="stop-sed")
    for i in range(n):
        loc = f.LocationFactory(point=Point(28.3 + i * 0.01, 57.8, srid=4326))
        f.ServiceFactory(organisation=loc.organisation, categories=[cat]).locations.add(loc)
        f.ServiceFactory(
            organisation=loc.organisation, categories=[cat], formats=["online"], area_kind=m.AreaKind.ANYWHERE
        )
        f.MembershipFactory(organisation=loc.organisation, network=network)
        m.OpeningHours.objects.create(location=loc, weekday=1, opens="09:00", closes="18:00")


@pytest.mark.parametrize("n", [3, 12])
def test_nearest_query_count_does_not_grow_with_results(api, django_assert_max_num_queries, n) -> None:
    _directory(n)
    with django_assert_max_num_queries(16):
        body = api.get("/api/v1/nearest", {"lat": 57.8, "lon": 28.3, "k": 20}).json()
    assert len(body["results"]) == n
    assert len(body["remote"]) == n


@pytest.mark.parametrize("n", [3, 12])
def test_organisation_list_query_count(api, django_assert_max_num_queries, n) -> None:
    _directory(n)
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/organisations").json()) == n


def test_nearest_with_filters_costs_the_same_fixed_number(api, django_assert_max_num_queries) -> None:
    # Remote help is one query on its derived table whatever the filters (no
    # separate look-up of a category's descendants or of radius services).
    _directory(12)
    with django_assert_max_num_queries(16):
        body = api.get(
            "/api/v1/nearest",
            {"lat": 57.8, "lon": 28.3, "k": 20, "category": "psychological-help", "network": "stop-sed"},
        ).json()
    assert len(body["results"]) == 12
    assert len(body["remote"]) == 12

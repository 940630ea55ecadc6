"""The weekly job that rewrites the nearest-search rows in (facet, place) order
(search_index.reorder, `rebuild_search_index --reorder-only`): the rows come
out in that physical order and every answer stays the same."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection

from orgs.search import index as search_index
from tests import factories as f

pytestmark = pytest.mark.django_db


def _physical_order() -> list[tuple[int, str]]:
    with connection.cursor() as cur:
        cur.execute("SELECT facet, ST_GeoHash(public_point::geometry, 12) FROM orgs_searchentry ORDER BY ctid")
        return [(int(facet), str(geohash)) for facet, geohash in cur.fetchall()]


def test_reorder_writes_rows_in_facet_and_place_order_and_changes_no_answer(api: Any) -> None:
    rng = random.Random(3)
    categories = [f.CategoryFactory(slug=f"cat-{i}") for i in range(3)]
    for _ in range(30):
        loc = f.LocationFactory(point=Point(rng.uniform(20, 60), rng.uniform(45, 65), srid=4326))
        f.ServiceFactory(organisation=loc.organisation, locations=[loc], categories=rng.sample(categories, 2))
    origins = [(rng.uniform(45, 65), rng.uniform(20, 60)) for _ in range(5)]

    def answers() -> list[Any]:
        return [
            api.get("/api/v1/nearest", {"lat": lat, "lon": lon, "k": 5, "category": cat.slug}).json()["results"]
            for lat, lon in origins
            for cat in categories
        ]

    before = answers()
    rows = _physical_order()
    assert rows != sorted(rows)  # written as the factories went: not in order yet

    call_command("rebuild_search_index", "--reorder-only")

    after_rows = _physical_order()
    assert after_rows == sorted(after_rows)
    assert sorted(after_rows) == sorted(rows)  # the same rows
    assert answers() == before


def test_reorder_after_a_rebuild_in_one_transaction() -> None:
    # rebuild() leaves deferred checks pending on the search rows; reorder()
    # must still be allowed to run after it (CLUSTER refuses pending events).
    f.LocationFactory()
    search_index.rebuild()
    search_index.reorder()
    assert _physical_order()


def test_every_deferrable_check_starts_deferred() -> None:
    # reorder() runs the pending checks, then defers all of them again: that
    # restores the transaction's state only if none starts immediate.
    with connection.cursor() as cur:
        cur.execute("SELECT conname FROM pg_constraint WHERE condeferrable AND NOT condeferred")
        constraints = cur.fetchall()
        cur.execute("SELECT tgname FROM pg_trigger WHERE tgdeferrable AND NOT tginitdeferred AND NOT tgisinternal")
        triggers = cur.fetchall()
    assert constraints == [] and triggers == []

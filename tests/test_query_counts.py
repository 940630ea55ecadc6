"""The public endpoints cost a fixed number of queries, however many results.

/nearest sends its one statement on a psycopg RawCursor that Django never sees
(orgs/search/nearest.py), so Django's query capture alone would count it as
nothing: ``statements_sent`` counts what psycopg sends, on every cursor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

NEAREST_STATEMENTS = 1


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


class Sent:
    def __init__(self) -> None:
        self.raw: list[str] = []
        self.django: CaptureQueriesContext | None = None

    @property
    def count(self) -> int:
        assert self.django is not None
        return len(self.raw) + len(self.django.captured_queries)


@contextmanager
def statements_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """The statements sent to PostgreSQL: Django's cursors' (captured as
    usual) and those of psycopg RawCursors, which bypass Django."""
    sent = Sent()
    execute = psycopg.RawCursor.execute

    def counted(self: psycopg.RawCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.raw.append(str(query)[:80])
        return execute(self, query, *args, **kwargs)

    with monkeypatch.context() as patch, CaptureQueriesContext(connection) as django:
        patch.setattr(psycopg.RawCursor, "execute", counted)
        sent.django = django
        yield sent


def test_statements_sent_sees_the_raw_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    with statements_sent(monkeypatch) as sent, psycopg.RawCursor(connection.connection) as cur:
        cur.execute("SELECT $1::int", [1])
    assert sent.count == 1


@pytest.mark.parametrize("n", [3, 12])
def test_nearest_query_count_does_not_grow_with_results(api, monkeypatch, n) -> None:
    _directory(n)
    api.get("/api/v1/nearest", {"lat": 57.8, "lon": 28.3, "k": 20})  # the taxonomy maps, cached
    with statements_sent(monkeypatch) as sent:
        body = api.get("/api/v1/nearest", {"lat": 57.8, "lon": 28.3, "k": 20}).json()
    # The one statement: the k nearest, remote help and centres, as JSON.
    assert sent.count == NEAREST_STATEMENTS, sent.raw
    assert len(body["results"]) == n
    assert len(body["remote"]) == n


@pytest.mark.parametrize("n", [3, 12])
def test_organisation_list_query_count(api, django_assert_max_num_queries, n) -> None:
    _directory(n)
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/organisations").json()) == n


def test_nearest_with_filters_costs_the_same_fixed_number(api, monkeypatch) -> None:
    # Remote help is one query on its derived table whatever the filters (no
    # separate look-up of a category's descendants or of radius services).
    _directory(12)
    query = {"lat": 57.8, "lon": 28.3, "k": 20, "category": "psychological-help", "network": "stop-sed"}
    api.get("/api/v1/nearest", query)  # the taxonomy maps, cached
    with statements_sent(monkeypatch) as sent:
        body = api.get("/api/v1/nearest", query).json()
    assert sent.count == NEAREST_STATEMENTS, sent.raw
    assert len(body["results"]) == 12
    assert len(body["remote"]) == 12

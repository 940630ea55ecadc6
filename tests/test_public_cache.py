"""What a browser or the nginx micro-cache may keep (locator/headers.py).

Public reads that are the same for everyone are ``public, max-age`` with an
ETag and answer 304 to a matching conditional request; an edit changes the
ETag, and through the shipped nginx (deploy/nginx.conf) the edit shows once
the max-age has passed. A searcher's own questions are never stored on the
way. The map's boxes snap to a grid so that neighbouring views coincide.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from orgs import models as m
from orgs.search import index as search_index
from orgs.search.viewport import snapped
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing() -> m.Organisation:
    org: m.Organisation = f.OrganisationFactory(name="Cached help", located=False)
    f.LocationFactory(organisation=org, point=Point(28.33, 57.81, srid=4326))
    network = f.NetworkFactory(slug="cached-network")
    f.MembershipFactory(organisation=org, network=network)
    return org


def _public_urls(org: m.Organisation) -> list[str]:
    return [
        "/api/v1/locations?in_bbox=28,57.5,28.6,58&zoom=12",
        f"/api/v1/organisations/{org.slug}",
        "/api/v1/categories",
        "/api/v1/target-groups",
        "/api/v1/networks",
        "/api/hsds/services",
        "/api/hsds/organizations",
    ]


def test_public_reads_are_cacheable_with_an_etag_and_answer_304(listing: m.Organisation, settings: Any) -> None:
    settings.PUBLIC_CACHE_SECONDS = 10
    client = Client()
    for url in _public_urls(listing):
        response = client.get(url)
        assert response.status_code == 200, url
        control = response["Cache-Control"]
        assert "public" in control and "max-age=10" in control, (url, control)
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}, url
        assert not response.cookies, url
        etag = response["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304, url
        assert again.content == b""
        assert again["ETag"] == etag and "public" in again["Cache-Control"]


def test_html_pages_are_not_shared_their_csp_nonce_is_fresh(listing: m.Organisation) -> None:
    client = Client()
    for url in [f"/o/{listing.slug}/", "/networks/cached-network/", "/"]:
        first, second = client.get(url), client.get(url)
        assert first.status_code == 200 and "public" not in first.get("Cache-Control", ""), url
        assert first["Content-Security-Policy"] != second["Content-Security-Policy"], url


def test_an_edit_changes_the_etag(listing: m.Organisation) -> None:
    client = Client()
    url = f"/api/v1/organisations/{listing.slug}"
    etag = client.get(url)["ETag"]
    m.Organisation.objects.filter(pk=listing.pk).update(description="Now also on Sundays")
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Now also on Sundays" in response.content.decode()


def test_a_searchers_questions_are_never_stored(listing: m.Organisation) -> None:
    client = Client()
    for url in [
        "/api/v1/nearest?lat=57.81&lon=28.33",
        "/api/v1/places?q=Pskov",
        "/api/v1/places/nearest?lat=57.81&lon=28.33",
        "/api/v1/interpret?q=психолог",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "public" not in response["Cache-Control"]
        assert not response.has_header("ETag"), url


def test_a_signed_in_visitor_gets_nothing_shared(listing: m.Organisation) -> None:
    client = Client()
    client.force_login(people.user("cache-reader"))
    response = client.get(f"/o/{listing.slug}/")
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert not response.has_header("ETag")


def test_refusals_and_misses_are_not_public(listing: m.Organisation) -> None:
    client = Client()
    for url in ["/o/no-such-listing/", "/api/v1/locations?in_bbox=1,2&zoom=3", "/api/v1/organisations/nope"]:
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert "public" not in response.get("Cache-Control", ""), url


# --- the grid the map's boxes snap to --------------------------------------------------------------

_lon = st.floats(-180, 180, allow_nan=False)
_lat = st.floats(-90, 90, allow_nan=False)


@given(_lon, _lat, _lon, _lat, st.integers(0, 22))
def test_a_snapped_box_holds_the_box_and_snaps_to_itself(x1: float, y1: float, x2: float, y2: float, z: int) -> None:
    minlat, maxlat = sorted((y1, y2))
    box = (x1, minlat, x2, maxlat)
    west, south, east, north = snapped(box, z)
    assert south <= minlat and north >= maxlat
    assert snapped((west, south, east, north), z) == (west, south, east, north)
    if x1 <= x2:
        assert west <= x1 and east >= x2
    else:  # across the antimeridian: still across it, or the whole world
        assert (west <= x1 and east >= x2 and west > east) or (west, east) == (-180.0, 180.0)


def test_neighbouring_views_get_one_answer(api: Any) -> None:
    with search_index.deferred():
        for i in range(12):
            f.LocationFactory(point=Point(28.30 + i * 0.004, 57.80 + i * 0.002, srid=4326))
    # Two views a few hundred metres apart inside the same grid cells at zoom 12.
    a = api.get("/api/v1/locations", {"in_bbox": "28.31,57.805,28.33,57.815", "zoom": 12}).json()
    b = api.get("/api/v1/locations", {"in_bbox": "28.312,57.806,28.334,57.816", "zoom": 12}).json()
    assert a == b and len(a["features"]) >= 1


# --- through the shipped nginx --------------------------------------------------------------------


def _get(port: int, path: str) -> tuple[bytes, dict[str, str]]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", headers={"Host": "localhost"})
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:  # noqa: S310 - loopback
        return answer.read(), dict(answer.headers)


@pytest.mark.django_db(transaction=True)
def test_through_nginx_repeats_come_from_the_cache_and_an_edit_shows_after_max_age(proxy: int, settings: Any) -> None:
    settings.PUBLIC_CACHE_SECONDS = 2
    settings.ALLOWED_HOSTS = ["*"]
    with transaction.atomic():  # the presence trigger is checked at commit
        org: m.Organisation = f.OrganisationFactory(name="Behind the proxy", description="Open on Mondays")
    path = f"/api/v1/organisations/{org.slug}"
    served: list[str] = []

    from django.core.signals import request_started

    def count(**_: Any) -> None:
        served.append("django")

    request_started.connect(count)
    try:
        first, headers = _get(proxy, path)
        assert b"Open on Mondays" in first and "public" in headers["Cache-Control"]
        for _ in range(5):
            body, _headers = _get(proxy, path)
            assert body == first
        assert len(served) == 1, "repeats within max-age were answered by nginx"
        m.Organisation.objects.filter(pk=org.pk).update(description="Open on Tuesdays")
        # Within the max-age the old copy may still be served; after it, never.
        time.sleep(settings.PUBLIC_CACHE_SECONDS + 1.2)
        body, _headers = _get(proxy, path)
        assert b"Open on Tuesdays" in body
        # A search is never kept on the way.
        _nearest, headers = _get(proxy, "/api/v1/nearest?lat=57.8&lon=28.3")
        assert "no-store" in headers["Cache-Control"]
        before = len(served)
        _get(proxy, "/api/v1/nearest?lat=57.8&lon=28.3")
        assert len(served) == before + 1, "a search is never answered from the cache"
    finally:
        request_started.disconnect(count)

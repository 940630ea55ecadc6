"""Hostile input, continued: what one request, or many, may make the service do.

- Page sizes, result counts, box sizes, text lengths and repeated parameters
  are bounded on every list and search endpoint, the press lists included.
- Password guessing is locked out per (account, address) on every sign-in:
  the site's, the admin's and the API's HTTP Basic.

Bodies, uploads and the reverse proxy's caps: tests/test_hostile_input.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.hsds import views as hsds_views
from api.press import MAX_PER_PAGE
from frontend.press_views import COORDINATE_PER_PAGE
from orgs import models as m
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-password-1"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


# --- page sizes, result counts, boxes, text lengths, repeated parameters ---------------------------------

LONG = "психолог" * 1250  # 10,000 characters


def _errors(response: Any) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"] == JSON
    return list(response.json())


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/organisations?q={LONG}", "q"),
        (f"/api/v1/places?q={LONG}", "q"),
        (f"/api/v1/nearest?place={LONG}", "place"),
        (f"/api/v1/organisations?city={LONG}", "city"),
        (f"/api/hsds/services?search={LONG}", "search"),
        (f"/api/hsds/organizations?search={LONG}", "search"),
        (f"/api/hsds/service_at_locations?place={LONG}", "place"),
    ],
)
def test_a_10000_character_text_parameter_is_refused_before_any_query(
    api: APIClient, django_assert_max_num_queries: Any, path: str, field: str
) -> None:
    with django_assert_max_num_queries(0):
        response = api.get(path)
    assert _errors(response) == [field]


def test_search_text_within_the_cap_is_cut_to_eight_words(api: APIClient) -> None:
    # 100 words in 199 characters: each word is a full-text and a trigram
    # condition; the search keeps the first eight.
    f.OrganisationFactory(name="Психологическая помощь", slug="psy")
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/organisations", {"q": " ".join(["а"] * 100)})
    assert response.status_code == 200
    (search,) = [q["sql"] for q in queries.captured_queries if "plainto_tsquery" in q["sql"]]
    assert search.count("plainto_tsquery") <= 8


REPEATED = "&".join(["category=psychological-help"] * 1000)
SEARCHES = ["/api/v1/nearest?lat=57.8&lon=28.3", "/api/v1/locations?in_bbox=28,57,29,58&zoom=10"]


def _repeated(name: str, value: str) -> str:
    return "&".join([f"{name}={value}"] * 1000)


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize(("name", "value"), [("format", "online"), ("language", "ru")])
def test_a_list_parameter_repeated_1000_times_is_refused(
    api: APIClient, django_assert_max_num_queries: Any, search: str, name: str, value: str
) -> None:
    with django_assert_max_num_queries(0):
        response = api.get(f"{search}&{_repeated(name, value)}")
    assert _errors(response) == [name]


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("name", ["category", "target", "network"])
def test_a_slug_list_repeated_1000_times_is_refused(
    api: APIClient, django_assert_max_num_queries: Any, search: str, name: str
) -> None:
    f.CategoryFactory(slug="some-slug")
    f.TargetGroupFactory(slug="some-slug")
    f.NetworkFactory(slug="some-slug")
    with django_assert_max_num_queries(0):
        response = api.get(f"{search}&{_repeated(name, 'some-slug')}")
    assert _errors(response) == [name]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/organisations?{REPEATED}",
        "/api/v1/places?q=pskov&" + "&".join(["q=pskov"] * 1000),
        "/api/hsds/services?" + "&".join([f"taxonomy_term_id={'0' * 8}-0000-0000-0000-{'0' * 12}"] * 1000),
    ],
)
def test_a_single_parameter_repeated_1000_times_is_read_once(
    api: APIClient, django_assert_max_num_queries: Any, path: str
) -> None:
    f.CategoryFactory(slug="psychological-help")
    with django_assert_max_num_queries(10):
        response = api.get(path)
    assert response.status_code in (200, 400)


def test_the_organisation_list_answers_at_most_100(api: APIClient) -> None:
    for i in range(101):
        f.OrganisationFactory(name=f"АНО «Помощь {i}»", slug=f"help-{i}")

    response = api.get("/api/v1/organisations", {"limit": 1000, "page_size": 1000, "per_page": 1000})

    assert response.status_code == 200
    assert len(response.json()) == 100
    # The 101st is on the next page, and no organisation is on both.
    second = api.get("/api/v1/organisations", {"page": 2}).json()
    assert len(second) == 1
    assert second[0]["slug"] not in {o["slug"] for o in response.json()}
    assert api.get("/api/v1/organisations", {"page": 0}).status_code == 400


def test_nearest_answers_at_most_100(api: APIClient) -> None:
    assert _errors(api.get("/api/v1/nearest", {"lat": "57.8", "lon": "28.3", "k": "101"})) == ["k"]
    assert api.get("/api/v1/nearest", {"lat": "57.8", "lon": "28.3", "k": "100"}).status_code == 200


def test_places_answer_at_most_50(api: APIClient) -> None:
    assert _errors(api.get("/api/v1/places", {"q": "pskov", "limit": "51"})) == ["limit"]
    assert api.get("/api/v1/places", {"q": "pskov", "limit": "50"}).status_code == 200


@pytest.mark.parametrize(
    "bbox",
    [
        "-180,-90,180,90",  # the world
        "-180,0,180,90",  # a hemisphere
        "100,-60,-100,60",  # across the antimeridian: 160 by 120 degrees
    ],
)
def test_a_box_larger_than_a_quarter_of_the_planet_is_refused(api: APIClient, bbox: str) -> None:
    assert _errors(api.get("/api/v1/locations", {"in_bbox": bbox, "zoom": "2"})) == ["in_bbox"]


def _screen_box(lat: float, lon: float, zoom: int, width_px: int, height_px: int) -> str:
    """The box a Web Mercator map of this size shows around (lat, lon) at this zoom."""
    import math

    scale = 256 * 2**zoom
    x = (lon + 180) / 360 * scale
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * scale

    def lat_at(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / scale))))

    west, east = (x - width_px / 2) / scale * 360 - 180, (x + width_px / 2) / scale * 360 - 180
    return f"{west:.5f},{lat_at(y + height_px / 2):.5f},{east:.5f},{lat_at(y - height_px / 2):.5f}"


@pytest.mark.parametrize("zoom", [5, 8, 11, 13, 15, 18, 22])
def test_a_large_screens_viewport_is_accepted_at_every_zoom(api: APIClient, zoom: int) -> None:
    bbox = _screen_box(57.8, 28.3, zoom, 2560, 1440)
    assert api.get("/api/v1/locations", {"in_bbox": bbox, "zoom": str(zoom)}).status_code == 200


@pytest.mark.parametrize("bbox", ["20,50,60,70", "28,57,29,58"])
def test_a_box_far_larger_than_a_screen_at_its_zoom_is_refused(api: APIClient, bbox: str) -> None:
    # 40 by 20 degrees, or 1 by 1, at zoom 22, where a screen shows about 0.0006 degrees.
    assert _errors(api.get("/api/v1/locations", {"in_bbox": bbox, "zoom": "22"})) == ["in_bbox"]


HSDS_LISTS = ["services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"]


@pytest.mark.parametrize("name", HSDS_LISTS)
def test_hsds_pages_are_at_most_1000_items(api: APIClient, name: str) -> None:
    assert hsds_views.MAX_PER_PAGE == 1000
    assert _errors(api.get(f"/api/hsds/{name}", {"per_page": 1001})) == ["per_page"]
    assert _errors(api.get(f"/api/hsds/{name}", {"page": 1_000_001})) == ["page"]
    assert _errors(api.get(f"/api/hsds/{name}", {"per_page": 0})) == ["per_page"]
    response = api.get(f"/api/hsds/{name}", {"per_page": 1000, "page": 1_000_000})
    assert response.status_code == 200
    assert response.json()["contents"] == []


# --- press lists -------------------------------------------------------------------------------------


@pytest.fixture
def moderator() -> User:
    user = User.objects.create_user("moderator@example.org", "moderator@example.org", PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return user


def _press_requests(count: int) -> list[Any]:
    now = timezone.now()
    # Deadlines alternate ahead of and behind now (the past ones are closed).
    made = []
    for i in range(count):
        ahead = i % 2 == 0
        deadline = now + dt.timedelta(hours=i + 1) if ahead else now - dt.timedelta(hours=i + 1)
        status = m.PressRequestStatus.RECEIVED if ahead else m.PressRequestStatus.CLOSED
        made.append(f.PressRequestFactory(outlet=f"Издание {i:03}", deadline=deadline, status=status))
    return made


def test_the_press_api_lists_a_page_at_a_time(moderator: User) -> None:
    made = _press_requests(5)
    client = APIClient()
    client.force_login(moderator)
    url = "/api/v1/press/coordination/requests"

    first = client.get(url, {"per_page": 2}).json()
    second = client.get(url, {"per_page": 2, "page": 2}).json()
    third = client.get(url, {"per_page": 2, "page": 3}).json()
    beyond = client.get(url, {"per_page": 2, "page": 4}).json()

    # Deadlines ahead first, the soonest first; then past ones, the latest first.
    ahead, past = made[0::2], made[1::2]
    assert [r["id"] for r in first + second + third] == [r.pk for r in ahead + past]
    assert (len(first), len(second), len(third), beyond) == (2, 2, 1, [])
    assert len(client.get(url).json()) == 5


def test_the_press_api_refuses_pages_over_the_maximum(moderator: User) -> None:
    client = APIClient()
    client.force_login(moderator)
    url = "/api/v1/press/coordination/requests"
    assert MAX_PER_PAGE == 200
    assert _errors(client.get(url, {"per_page": MAX_PER_PAGE + 1})) == ["per_page"]
    assert _errors(client.get(url, {"per_page": 0})) == ["per_page"]
    assert _errors(client.get(url, {"page": 0})) == ["page"]
    assert _errors(client.get(f"{url}?page=")) == ["page"]
    assert client.get(url, {"per_page": MAX_PER_PAGE}).status_code == 200


def test_the_coordinators_page_lists_a_page_at_a_time(client: Client, moderator: User) -> None:
    made = _press_requests(COORDINATE_PER_PAGE + 1)
    client.force_login(moderator)
    rows = re.compile(r'<tr><td>[^<]*</td><td><a href="/press/coordinate/(\d+)/">')

    first = client.get("/press/coordinate/").content.decode()
    second = client.get("/press/coordinate/?page=2").content.decode()

    assert len(rows.findall(first)) == COORDINATE_PER_PAGE
    assert len(rows.findall(second)) == 1
    assert 'href="?page=2"' in first and 'href="?page=1"' in second
    # The soonest deadline ahead leads; the oldest past one comes last.
    oldest = min((r for r in made if r.deadline < timezone.now()), key=lambda r: r.deadline)
    assert rows.findall(first)[0] == str(made[0].pk)
    assert rows.findall(second) == [str(oldest.pk)]
    # Out-of-range or nonsense page numbers show a page, never an error.
    assert rows.findall(client.get("/press/coordinate/?page=999").content.decode()) == [str(oldest.pk)]
    assert len(rows.findall(client.get("/press/coordinate/?page=x").content.decode())) == COORDINATE_PER_PAGE


# --- login throttling -------------------------------------------------------------------------------

LOCKED = "Sign-in is blocked for a while"
ANNA, BORIS = "anna@example.org", "boris@example.org"
HERE, ELSEWHERE = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def accounts() -> dict[str, User]:
    return {
        name: User.objects.create_user(name, name, PASSWORD, is_staff=True, is_superuser=True) for name in (ANNA, BORIS)
    }


def _web_login(username: str, password: str, ip: str) -> Any:
    client = Client(REMOTE_ADDR=ip)
    return client.post("/accounts/login/", {"username": username, "password": password})


def _admin_login(username: str, password: str, ip: str) -> Any:
    client = Client(REMOTE_ADDR=ip)
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize("login", [_web_login, _admin_login], ids=["site", "admin"])
def test_password_guessing_locks_that_account_from_that_address_only(login: Any, settings: Any) -> None:
    settings.DEBUG = False
    limit = settings.AXES_FAILURE_LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    for _ in range(limit - 1):
        assert login(ANNA, "wrong", HERE).status_code == 200  # the form again, with its message
    locked = login(ANNA, "wrong", HERE)

    # The lockout: a clear page, not an error, even with the right password.
    for response in (locked, login(ANNA, PASSWORD, HERE)):
        assert response.status_code == 429
        page = response.content.decode()
        assert LOCKED in page and "Set a new password" in page
        assert "Traceback" not in page
        assert not _signed_in(response)
    # Another account from the same address, and the same account from elsewhere, still sign in.
    assert _signed_in(login(BORIS, PASSWORD, HERE))
    assert _signed_in(login(ANNA, PASSWORD, ELSEWHERE))


@pytest.mark.usefixtures("accounts")
def test_fewer_failures_than_the_limit_do_not_lock(settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _web_login(ANNA, "wrong", HERE)
    assert _signed_in(_web_login(ANNA, PASSWORD, HERE))


@pytest.mark.usefixtures("accounts")
def test_changing_the_case_of_the_address_does_not_reset_the_count(settings: Any) -> None:
    # The site signs in by e-mail address, lower-cased: "ANNA@…" is the same account.
    variants = [ANNA.upper(), ANNA.title(), ANNA]
    for i in range(settings.AXES_FAILURE_LIMIT):
        _web_login(variants[i % 3], "wrong", HERE)
    for variant in variants:
        response = _web_login(variant, PASSWORD, HERE)
        assert response.status_code == 429, variant


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.usefixtures("accounts")
def test_the_api_takes_no_password_sign_in(settings: Any) -> None:
    # DRF's default authentication includes HTTP Basic, a password sign-in on
    # every API request; the API takes browser sessions only, so there is no
    # password to guess through it. The right password opens nothing.
    url = "/api/v1/press/coordination/requests"
    response = APIClient(REMOTE_ADDR=HERE).get(url, HTTP_AUTHORIZATION=_basic(ANNA, PASSWORD))
    assert response.status_code == 403
    assert response["Content-Type"] == JSON
    # Signed in through the site, the same account reads it.
    client = APIClient(REMOTE_ADDR=HERE)
    client.force_login(User.objects.get(username=ANNA))
    assert client.get(url).status_code == 200

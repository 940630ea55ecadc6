"""Error pages as production serves them (DEBUG off): in the visitor's
language, with the site's header, the quick-exit button and the crisis strip;
JSON under /api/, never an HTML page. The 500 page renders with the database
unreachable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from frontend import errors
from frontend.errors import too_many_requests

pytestmark = pytest.mark.django_db

QUICK_EXIT = "data-quick-exit"
CRISIS_STRIP = 'class="crisis-strip"'


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


def _client(language: str) -> Client:
    return Client(headers={"accept-language": language}, raise_request_exception=False)


def _site_page(response: Any, status: int, language: str, title: object) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert QUICK_EXIT in page and CRISIS_STRIP in page and 'class="site-header"' in page
    assert str(title) in page
    return page


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no-such-page/", 404, errors.NOT_FOUND_TITLE),
        ("/forbidden/", 403, errors.FORBIDDEN_TITLE),
        ("/crash/", 500, errors.SERVER_ERROR_TITLE),
    ],
)
def test_error_pages_are_the_sites_pages_in_the_visitors_language(path, status, title, language) -> None:
    response = _client(language).get(path)
    with translation.override(language):
        _site_page(response, status, language, title)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_failed_csrf_check_is_the_sites_page(language) -> None:
    client = Client(headers={"accept-language": language}, enforce_csrf_checks=True)
    response = client.post(reverse("frontend:login"), {"username": "a@example.org", "password": "x"})
    with translation.override(language):
        _site_page(response, 403, language, errors.CSRF_TITLE)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_429_page_is_the_sites_page(rf, language) -> None:
    request = rf.get("/partner/", headers={"accept-language": language})
    request.user = AnonymousUser()
    with translation.override(language):
        _site_page(too_many_requests(request), 429, language, errors.TOO_MANY_TITLE)


def test_the_500_page_renders_with_the_database_unreachable(django_assert_num_queries) -> None:
    def unreachable(*args: Any) -> None:
        raise OperationalError("the database is down")

    client = _client("en")
    with django_assert_num_queries(0), connection.execute_wrapper(unreachable):
        response = client.get("/crash/")
    _site_page(response, 500, "en", errors.SERVER_ERROR_TITLE)
    assert "112" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/crash/", "/api/v1/no-such-endpoint"])
def test_errors_under_api_are_json(path) -> None:
    response = _client("en").get(path)
    assert response.status_code in (404, 500)
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_an_api_500_says_what_happened_in_json() -> None:
    response = _client("en").get("/api/crash/")
    assert response.status_code == 500
    assert response.json() == {"detail": str(errors.API_SERVER_ERROR)}

"""What a visitor's browser keeps, and what goes over the wire compressed.

Public pages set no cookie at all (the language switch is links, so no page
of the public site reads the CSRF token); a form sets a CSRF cookie for the
browser session only; HTML and JSON are gzipped, except a response that
carries a CSRF token (BREACH: a secret and reflected input in one compressed
body; locator/compression.py)."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client

from tests.factories import CategoryFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian_default")]

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("path", ["/", "/networks/", "/centres/", "/privacy/", "/embed/"])
def test_a_public_page_sets_no_cookie_and_is_compressed(path: str) -> None:
    response = Client().get(path, headers=GZIP)
    assert response.status_code == 200
    assert response.cookies == {} or all(c.value == "" for c in response.cookies.values()), response.cookies
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "csrfmiddlewaretoken" not in html


def test_an_organisation_page_is_compressed() -> None:
    org = OrganisationFactory()
    response = Client().get(f"/o/{org.slug}/", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.cookies == {}


def test_the_api_answer_is_compressed_and_still_json() -> None:
    for number in range(5):  # gzip leaves answers under 200 bytes alone
        CategoryFactory(slug=f"category-{number}", name_ru=f"Категория {number}")
    response = Client().get("/api/v1/categories", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    json.loads(gzip.decompress(response.content))


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/press/"])
def test_a_form_page_gets_a_session_csrf_cookie_and_is_not_compressed(path: str) -> None:
    response = Client().get(path, headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers  # the token and the form's echo never compressed together
    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a session cookie: gone when the browser closes
    assert b"csrfmiddlewaretoken" in response.content


def test_each_response_masks_the_csrf_token_afresh() -> None:
    client = Client()
    first = client.get("/accounts/login/").content.decode()
    second = client.get("/accounts/login/").content.decode()

    def token(html: str) -> str:
        return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    assert token(first) != token(second)  # same secret, a new mask: nothing stable to guess at


def test_the_language_link_switches_and_returns_to_the_same_page() -> None:
    client = Client()
    response = client.get("/language/en/", {"next": "/networks/?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/networks/?x=1"
    cookie = response.cookies["django_language"]
    assert cookie.value == "en" and cookie["max-age"] == ""  # for the session only
    assert client.get("/networks/").headers["Content-Language"] == "en"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_the_language_link_never_sends_to_another_site(next_url: str) -> None:
    response = Client().get("/language/uk/", {"next": next_url})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_404() -> None:
    assert Client().get("/language/xx/", {"next": "/"}).status_code == 404


def test_every_page_has_one_tap_per_language_back_to_itself() -> None:
    html = Client().get("/networks/").content.decode()
    for code in ("ru", "en", "uk"):
        assert f'href="/language/{code}/?next=/networks/"' in html

"""A JSON body the API cannot use is a 400 that names the problem, in JSON,
whatever its shape: deep nesting (a RecursionError and an HTML 500 before),
bad syntax, a wrong encoding, a literal Python accepts and JSON does not."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from api.parsers import JSON_TOO_DEEP, MAX_JSON_DEPTH, json_depth_exceeds, raw_depth_exceeds
from tests import people

pytestmark = pytest.mark.django_db

DEEP = "[" * 50000 + "]" * 50000
JSON = "application/json"


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False


def _client(account: Any = None) -> APIClient:
    client = people.api_as(account)
    client.raise_request_exception = False
    return client


def _endpoints() -> list[tuple[str, bool]]:
    """(path, needs a signed-in partner) of JSON endpoints that read a body."""
    return [
        ("/api/v1/press/requests", False),
        ("/api/v1/press/requests/confirm", False),
        ("/api/v1/press/invitations/answer", False),
        ("/api/v1/partner/organisations", True),
        ("/api/v1/partner/memberships", True),
    ]


@pytest.mark.parametrize(("path", "signed_in"), _endpoints())
@pytest.mark.parametrize(
    "body",
    [DEEP, "{" * 3000, '{"a":' * 900 + "1" + "}" * 900, "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)],
    ids=["lists-50000", "open-objects", "objects-900", "just-too-deep"],
)
def test_deeply_nested_json_is_a_400_that_says_so(path, signed_in, body) -> None:
    client = _client(people.user("partner") if signed_in else None)
    response = client.post(path, body, content_type=JSON)
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == JSON
    detail = response.json()["detail"]
    # Deep but unclosed input may fail on syntax first: either way the answer names the problem.
    assert detail == str(JSON_TOO_DEEP).format(depth=MAX_JSON_DEPTH) or detail.startswith("JSON parse error")


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"a": }', b"\xff\xfe{}", b'{"a": NaN}', b'{"a": 1e5000}', b"[" * 1000, b"1" * 5000, b""],
)
def test_malformed_json_is_a_400_that_names_the_problem(body) -> None:
    response = _client().post("/api/v1/press/requests", body, content_type=JSON)
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == JSON
    assert response.json()


def test_an_ordinary_nested_body_passes_the_depth_cap() -> None:
    registration = {"locations": [{"hours": [{"weekday": 1}]}], "area": {"coordinates": [[[[28.3, 57.8]]]]}}
    assert not json_depth_exceeds(registration, MAX_JSON_DEPTH)
    assert json_depth_exceeds([[[]]], 2) and not json_depth_exceeds([[]], 2)


def test_the_raw_depth_check_counts_brackets_outside_strings_only() -> None:
    assert raw_depth_exceeds(b"[[[]]]", 2) and not raw_depth_exceeds(b"[[]]", 2)
    # Brackets inside strings, escaped quotes included, are text, not nesting.
    assert not raw_depth_exceeds(b'{"a": "[[[[[[", "b\\"[[[[": 1}', 2)
    assert not raw_depth_exceeds(b"", 2) and not raw_depth_exceeds(b"1", 2)

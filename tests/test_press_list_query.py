"""The coordinators' list reads its query through a django-filter FilterSet
(api.press.CoordinationPage): bad values are a 400 naming the parameter, in
the same words as the rest of the API, and the schema documents the same
limits the FilterSet enforces."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.test import APIClient

from api.press import MAX_PER_PAGE, PER_PAGE
from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/press/coordination/requests"


@pytest.fixture
def client(moderator: Any) -> APIClient:
    client = APIClient()
    client.force_login(moderator)
    return client


def _drf_says(value: str, *, language: str, **limits: int) -> list[str]:
    """What DRF's own IntegerField answers for this value (the public API's wording)."""
    with override(language):
        try:
            serializers.IntegerField(**limits).run_validation(value)
        except serializers.ValidationError as exc:
            return [str(d) for d in exc.detail]
    raise AssertionError(f"{value!r} is valid")


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
@pytest.mark.parametrize(
    ("params", "field", "limits"),
    [
        ({"page": "x"}, "page", {}),
        ({"page": "0"}, "page", {"min_value": 1}),
        ({"page": "100001"}, "page", {"max_value": 100_000}),
        ({"per_page": "1.5"}, "per_page", {}),
        ({"per_page": "0"}, "per_page", {"min_value": 1}),
        ({"per_page": str(MAX_PER_PAGE + 1)}, "per_page", {"max_value": MAX_PER_PAGE}),
    ],
)
def test_a_bad_page_is_a_400_in_the_apis_words(client, language, params, field, limits) -> None:
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json() == {field: _drf_says(params[field], language=language, **limits)}


def test_an_empty_page_is_named_even_among_repeats(client) -> None:
    for query in ("?page=", "?page=&page=2", "?per_page=3&per_page="):
        response = client.get(URL + query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, query
        (field,) = response.json()
        assert response.json()[field] == ["Give a value or leave the parameter out."]


def test_both_bad_parameters_are_named_at_once(client) -> None:
    assert set(client.get(URL, {"page": "x", "per_page": "0"}).json()) == {"page", "per_page"}


def test_the_last_of_repeated_values_counts_and_unknown_parameters_are_ignored(client) -> None:
    now = timezone.now()
    for i in range(3):
        f.PressRequestFactory(deadline=now + dt.timedelta(hours=i + 1), status=m.PressRequestStatus.RECEIVED)
    response = client.get(URL + "?per_page=1&per_page=2&status=nonsense")
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_the_schema_documents_what_the_filterset_enforces() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"][URL]["get"]["parameters"]}
    assert set(parameters) == {"page", "per_page"}
    assert all(p["in"] == "query" and not p.get("required") for p in parameters.values())
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1}
    assert parameters["per_page"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PER_PAGE,
        "default": PER_PAGE,
    }
    assert parameters["per_page"]["description"] == "Requests per page; a page shorter than this is the last."

"""The taxonomy slugs of a search are resolved from a short-lived map in the
cache (api/views.py, _slug_ids): no query per search, and a category created
a moment ago is found at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/nearest"


def test_a_repeated_search_resolves_its_category_without_a_query(api: Any, django_assert_max_num_queries: Any) -> None:
    f.CategoryFactory(slug="legal-aid")
    params = {"lat": 57.8, "lon": 28.3, "category": "legal-aid"}
    assert api.get(URL, params).status_code == 200
    # The answer itself is one prepared statement outside Django's query log;
    # the slug comes from the cached map.
    with django_assert_max_num_queries(0):
        assert api.get(URL, params).status_code == 200


def test_a_category_created_after_the_map_was_cached_is_found_at_once(api: Any) -> None:
    f.CategoryFactory(slug="legal-aid")
    assert api.get(URL, {"lat": 57.8, "lon": 28.3, "category": "legal-aid"}).status_code == 200
    f.CategoryFactory(slug="peer-support")
    assert api.get(URL, {"lat": 57.8, "lon": 28.3, "category": "peer-support"}).status_code == 200
    response = api.get(URL, {"lat": 57.8, "lon": 28.3, "category": "no-such-thing"})
    assert response.status_code == 400 and "category" in response.json()

"""api.views._query keeps one query serializer per class and thread. Reusing
it must not carry anything from one request to the next, nor between threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api import serializers as s
from api.views import _query


def _request(query: str) -> Request:
    return Request(APIRequestFactory().get("/api/v1/nearest?" + query))


def _fresh(serializer_class: type[serializers.Serializer], query: str) -> tuple[bool, Any]:
    """What a new serializer instance says of the same query string."""
    fresh = serializer_class(data=QueryDict(query))
    ok = fresh.is_valid()
    return ok, dict(fresh.validated_data) if ok else fresh.errors


QUERIES = [
    "lat=57.8&lon=28.3",
    "lat=91&lon=28.3",
    "lat=57.8&lon=28.3&k=100000&category=a&category=b",
    "place=Pskov&lat=1&lon=2",
    "lat=57.8",
    "lat=57.8&lon=28.3&format=online&format=post&free=maybe",
    "lat=57.8&lon=28.3&k=3&max_km=50&open_now=true&language=ru",
    "lat=nan&lon=inf",
    "lat=57.8&lon=28.3",  # valid again after errors: nothing left over
]


@pytest.mark.parametrize("serializer_class", [s.NearestQuerySerializer])
def test_a_reused_serializer_answers_as_a_new_one(serializer_class: type[serializers.Serializer]) -> None:
    for query in QUERIES:
        ok, want = _fresh(serializer_class, query)
        if ok:
            assert _query(serializer_class, _request(query)) == want, query
        else:
            with pytest.raises(serializers.ValidationError) as exc:
                _query(serializer_class, _request(query))
            assert exc.value.detail == want, query


def test_each_thread_has_its_own_serializer() -> None:
    seen: dict[str, int] = {}
    from api import views

    def work(name: str) -> None:
        _query(s.PlacesQuerySerializer, _request("q=Pskov"))
        seen[name] = id(views._QUERY_SERIALIZERS.by_class[s.PlacesQuerySerializer])

    threads = [threading.Thread(target=work, args=(str(n),)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    work("main")
    assert len(set(seen.values())) == 3


def test_an_empty_value_is_refused_by_name() -> None:
    with pytest.raises(serializers.ValidationError) as exc:
        _query(s.NearestQuerySerializer, _request("lat=57.8&lon=28.3&k=&unknown="))
    assert set(exc.value.detail) == {"k"}

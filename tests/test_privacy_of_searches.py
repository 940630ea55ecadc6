"""Nothing records who searched for what or where."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.contrib.gis.geos import Point

from tests import factories as f

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_searching_writes_nothing_to_the_database(api) -> None:
    f.LocationFactory(point=Point(28.33, 57.82, srid=4326))
    before = _row_counts()
    for params in ({"lat": 57.81, "lon": 28.33}, {"lat": 55.7, "lon": 37.6, "k": 3}):
        assert api.get("/api/v1/nearest", params).status_code == 200
    assert api.get("/api/v1/locations", {"in_bbox": "28,57,29,58", "zoom": 12}).status_code == 200
    assert _row_counts() == before


def test_searching_logs_no_origin(api, caplog) -> None:
    f.LocationFactory(point=Point(28.33, 57.82, srid=4326))
    with caplog.at_level(logging.DEBUG):
        api.get("/api/v1/nearest", {"lat": 57.8123, "lon": 28.3456})
        api.get("/api/v1/nearest", {"lat": 91, "lon": 28.3456})  # a refused search too
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "57.8123" not in logged and "28.3456" not in logged


def test_production_access_log_leaves_out_query_strings() -> None:
    from pathlib import Path

    conf: dict[str, object] = {}
    exec(Path("deploy/gunicorn.conf.py").read_text(), conf)  # noqa: S102 - our own config file
    fmt = str(conf["access_log_format"])
    assert "%(U)s" in fmt
    for leaky in ("%(r)s", "%(q)s", "%(h)s", "%(f)s"):
        assert leaky not in fmt


def test_openapi_schema_and_offline_docs(client) -> None:
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/nearest" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cloudflare"):
        assert cdn not in html

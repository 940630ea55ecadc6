"""The coverage benchmark (``manage.py bench --coverage``): on a synthetic
directory and the full gazetteer, the full recompute, the incremental update
after one location moves, and GET /api/v1/coverage for a spread of filter
combinations, printed as a table against the targets of issue #19.

The API is timed in-process (Django's test client: routing, the FilterSet, the
selector's SQL and the JSON), one client, no network; the figure is the
server's own share of a request."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.contrib.gis.geos import Point
from django.db import transaction

TARGET_FULL_S = 120.0
TARGET_INCREMENTAL_S = 1.0
TARGET_API_P95_MS = 50.0


@dataclass(frozen=True)
class Row:
    what: str
    n: int
    p50: float
    p95: float
    unit: str
    target: float

    @property
    def verdict(self) -> str:
        return "PASS" if self.p95 <= self.target else "FAIL"


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[int(0.95 * (len(xs) - 1))]


def _time(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(*, seed: int = 1, requests: int = 100, moves: int = 5) -> list[Row]:

    from orgs import models as m
    from orgs.coverage.compute import refresh_all

    rng = random.Random(seed)  # noqa: S311 - benchmark sampling, not secrets
    rows: list[Row] = []
    full = refresh_all()
    rows.append(Row("full recompute (every town x every category)", 1, full, full, "s", TARGET_FULL_S))

    locations = list(
        m.Location.objects.filter(organisation__status="published", point__isnull=False).order_by("id")[:1000]
    )
    times = []
    for loc in rng.sample(locations, min(moves, len(locations))):

        def move(loc: Any = loc) -> None:
            with transaction.atomic():
                loc.point = Point(loc.point.x + rng.uniform(-0.5, 0.5), loc.point.y + rng.uniform(-0.3, 0.3))
                loc.point.srid = 4326
                loc.save()

        times.append(_time(move))
    if times:
        rows.append(
            Row(
                "incremental: one location moves (save, incl. search rows)",
                len(times),
                statistics.median(times),
                _p95(times),
                "s",
                TARGET_INCREMENTAL_S,
            )
        )

    rows += api_rows(rng=rng, requests=requests)
    return rows


def api_rows(*, rng: random.Random, requests: int) -> list[Row]:
    from django.test import Client
    from django.test.utils import override_settings

    from api.coverage import CoverageView
    from orgs import models as m

    # The server's own time: no host check against the deployment's names, and
    # the anonymous rate limit (120/min) out of the way, as the gunicorn runs do.
    with (
        override_settings(ALLOWED_HOSTS=["testserver"]),
        mock.patch.object(CoverageView, "throttle_classes", []),
    ):
        return _api_rows(client=Client(), rng=rng, requests=requests, m=m)


def _get(client: Any, params: dict[str, str]) -> None:
    response = client.get("/api/v1/coverage", params)
    if response.status_code != 200:
        raise RuntimeError(f"GET /api/v1/coverage {params}: {response.status_code} {response.content[:200]!r}")


def _api_rows(*, client: Any, rng: random.Random, requests: int, m: Any) -> list[Row]:
    rows: list[Row] = []
    cats = list(m.Category.objects.values_list("slug", flat=True))
    spreads: dict[str, Callable[[], dict[str, str]]] = {
        "GET /api/v1/coverage, any help": lambda: {},
        "GET /api/v1/coverage, a random category": lambda: {"category": rng.choice(cats)},
    }
    targets = list(m.TargetGroup.objects.values_list("slug", flat=True))
    if targets:
        # Measured on read once per combination, then from the cache until the coverage changes.
        spreads["GET /api/v1/coverage, category + target + free (repeated)"] = lambda: {
            "category": cats[0],
            "target": targets[0],
            "free": "true",
        }
    for what, params in spreads.items():
        _get(client, params())
        ms = []
        for _ in range(requests):
            q = params()
            ms.append(_time(lambda q=q: _get(client, q)) * 1000)  # type: ignore[misc]
        rows.append(Row(what, len(ms), statistics.median(ms), _p95(ms), "ms", TARGET_API_P95_MS))
    if targets:
        first = _time(lambda: _get(client, {"category": cats[1], "target": targets[-1]}))
        rows.append(
            Row(
                "GET /api/v1/coverage, a new filtered combination (first read)",
                1,
                first * 1000,
                first * 1000,
                "ms",
                TARGET_API_P95_MS,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| what | n | p50 | p95 | target | |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.what} | {r.n} | {r.p50:.2f} {r.unit} | {r.p95:.2f} {r.unit} | "
            f"≤ {r.target:g} {r.unit} | {r.verdict} |"
        )
    return "\n".join(lines)

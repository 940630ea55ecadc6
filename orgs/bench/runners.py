"""The timed parts of the benchmark: four ways to find the k nearest, the map
viewport, and a small load generator that drives any of them from several
client threads (each with its own connection, as separate users would).

(a) ``knn_nearest``: the k-nearest scan of orgs.search.reference, through psycopg: the
    ceiling of the search alone.
(a') ``full_answer``: the API's whole statement (orgs.search.nearest: the k nearest,
    remote help and centres, serialised to JSON) through psycopg: the ceiling of
    the answer the API gives.
(b) ``naive_nearest``: ``ORDER BY ST_Distance`` over the directory's own tables.
(c) ``bbox_haversine_nearest``: a lat/lon box on a btree index, widened until
    it holds k rows, ranked by the haversine formula (how simpler directories do it).
(d) the HTTP API (``/api/v1/nearest``) under gunicorn, with keep-alive clients.
(e) the same server answering an unknown /api/ path (a JSON 404, no query):
    what the HTTP server, Django's middleware and URL routing cost alone, the
    most any endpoint of this stack can reach on the machine.

The query functions take any DB-API cursor (psycopg's or Django's), so the
tests run them inside the test database's transaction.
"""

from __future__ import annotations

import http.client
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection

from orgs.bench.generator import FLAT_TABLE
from orgs.geo import EARTH_RADIUS_M
from orgs.search.sql import SPHERE_MARGIN

Origin = tuple[float, float]  # (lat, lon)
# A worker answers one job and returns the size of what it got (bytes, or rows).
Worker = Callable[[Any], int]


# --- origins ------------------------------------------------------------------------


def origins_near_towns(*, count: int, seed: int, spread_km: float = 10.0) -> list[Origin]:
    """Points where people search from: near towns, chosen in proportion to
    population, scattered by ``spread_km`` (reproducible for a seed)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Y(point::geometry), ST_X(point::geometry), greatest(population, 1)"
            " FROM orgs_place ORDER BY geonameid"
        )
        towns = cur.fetchall()
    if not towns:
        raise RuntimeError("The gazetteer is empty: origins are drawn near its towns.")
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not secrets
    picks = rng.choices(towns, weights=[t[2] for t in towns], k=count)
    out = []
    for lat, lon, _pop in picks:
        dlat = rng.gauss(0, spread_km) / 111.195
        dlon = rng.gauss(0, spread_km) / (111.195 * max(math.cos(math.radians(lat)), 0.05))
        out.append((max(-89.9, min(89.9, lat + dlat)), (lon + dlon + 540) % 360 - 180))
    return out


def _ewkb(lat: float, lon: float) -> bytes:
    return bytes(Point(lon, lat, srid=4326).ewkb)


# --- (a) the selector's KNN SQL -------------------------------------------------------

# orgs.search.reference._nearest_rows for one facet and no other filter: the GiST
# index on (facet, public_point) yields rows in spherical order; the outer
# query adds the WGS84 geodesic distance.
KNN_SQL = """
SELECT u.location_id, u.knn, ST_Distance(u.public_point, %(origin)s::geography) AS geodesic, u.service_id
FROM ((SELECT e.location_id, e.service_id, e.public_point <-> %(origin)s::geography AS knn, e.public_point
       FROM orgs_searchentry e
       WHERE e.facet = %(facet0)s::bigint
       ORDER BY e.public_point <-> %(origin)s::geography
       LIMIT %(limit)s)) u
ORDER BY u.knn
LIMIT %(limit)s
"""


def knn_nearest(cur: Any, *, origin: Origin, facet: int, k: int = 10) -> list[tuple[int, float]]:
    """(location id, geodesic metres) of the k nearest, as orgs.search.reference.locations_nearest
    ranks them (including its widening loop)."""
    limit = max(4 * k, 16)
    params: dict[str, Any] = {"origin": _ewkb(*origin), "facet0": facet}
    while True:
        params["limit"] = limit
        cur.execute(KNN_SQL, params)
        rows = cur.fetchall()
        best: dict[int, float] = {}
        for location_id, _knn, geodesic, _service in rows:
            if location_id not in best or geodesic < best[location_id]:
                best[location_id] = geodesic
        ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))[:k]
        if len(rows) < limit:
            return ranked
        if len(ranked) == k and ranked[-1][1] <= rows[-1][1] * (1 - SPHERE_MARGIN):
            return ranked
        limit *= 4


def full_answer(cur: Any, *, origin: Origin, facet: int, k: int = 10) -> list[str]:
    """The API's whole answer (orgs.search.nearest: the k nearest, remote help, centres,
    serialised to JSON) straight through the cursor: what (d) costs without
    HTTP and Django. The statement runs on a RawCursor of the same connection,
    as the API runs it."""
    import psycopg

    from orgs.search import nearest
    from orgs.search.filters import SearchFilters

    with psycopg.RawCursor(cur.connection) as raw:
        found = nearest.answer(
            raw,
            lon=origin[1],
            lat=origin[0],
            filters=SearchFilters(facets=(facet,) if facet else ()),
            k=k,
            max_m=None,
            area_place_id=None,
        )
    return [found.results, found.remote, found.centres]


# --- (b) the naive full scan ------------------------------------------------------------

_NAIVE_SQL = """
SELECT l.id, ST_Distance(l.public_point, %(origin)s::geography) AS d
FROM orgs_location l
JOIN orgs_organisation o ON o.id = l.organisation_id
WHERE o.status = 'published' AND l.public_point IS NOT NULL {category}
ORDER BY d, l.id
LIMIT %(k)s
"""
_NAIVE_CATEGORY = """AND EXISTS (
    SELECT 1 FROM orgs_serviceatlocation sal
    JOIN orgs_service_categories sc ON sc.service_id = sal.service_id
    WHERE sal.location_id = l.id AND sc.category_id = ANY(%(categories)s::bigint[]))"""


def naive_nearest(
    cur: Any, *, origin: Origin, category_ids: Sequence[int] | None, k: int = 10
) -> list[tuple[int, float]]:
    """``ORDER BY ST_Distance`` on the directory's own tables: exact, and a full scan."""
    sql = _NAIVE_SQL.format(category=_NAIVE_CATEGORY if category_ids else "")
    cur.execute(sql, {"origin": _ewkb(*origin), "k": k, "categories": list(category_ids or [])})
    return [(int(i), float(d)) for i, d in cur.fetchall()]


# --- (c) bounding box plus haversine -------------------------------------------------------

_BBOX_SQL = """
SELECT f.location_id,
       2 * %(r)s * asin(sqrt(power(sin(radians(f.lat - %(lat)s) / 2), 2)
           + cos(radians(%(lat)s)) * cos(radians(f.lat)) * power(sin(radians(f.lon - %(lon)s) / 2), 2))) AS d
FROM {table} f
WHERE f.lat BETWEEN %(lat1)s AND %(lat2)s AND f.lon BETWEEN %(lon1)s AND %(lon2)s {category}
ORDER BY d, f.location_id
LIMIT %(k)s
"""
_BBOX_CATEGORY = """AND EXISTS (
    SELECT 1 FROM orgs_serviceatlocation sal
    JOIN orgs_service_categories sc ON sc.service_id = sal.service_id
    WHERE sal.location_id = f.location_id AND sc.category_id = ANY(%(categories)s::bigint[]))"""
BBOX_START_KM = 10.0


def bbox_haversine_nearest(
    cur: Any, *, origin: Origin, category_ids: Sequence[int] | None, k: int = 10
) -> list[tuple[int, float]]:
    """A box of ±R around the origin on plain lat/lon columns (btree index), ranked
    by haversine on a sphere; R grows fourfold until the k-th lies within R.

    Like most directories built this way it ignores the antimeridian and
    ranks on a sphere, not the WGS84 ellipsoid."""
    lat, lon = origin
    sql = _BBOX_SQL.format(table=FLAT_TABLE, category=_BBOX_CATEGORY if category_ids else "")
    radius_km = BBOX_START_KM
    while True:
        dlat = radius_km / 111.195
        dlon = radius_km / (111.195 * max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6))
        params = {
            "r": EARTH_RADIUS_M,
            "lat": lat,
            "lon": lon,
            "lat1": lat - dlat,
            "lat2": lat + dlat,
            "lon1": lon - dlon,
            "lon2": lon + dlon,
            "k": k,
            "categories": list(category_ids or []),
        }
        cur.execute(sql, params)
        rows = [(int(i), float(d)) for i, d in cur.fetchall()]
        if (len(rows) == k and rows[-1][1] <= radius_km * 1000) or radius_km > 20_000:
            return rows
        radius_km *= 4


# --- the load generator ----------------------------------------------------------------------


@dataclass
class Stats:
    name: str
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0

    @property
    def n(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def throughput(self) -> float:
        return self.n / self.wall_s if self.wall_s > 0 else float("nan")

    @property
    def max_kb(self) -> float:
        return max(self.sizes) / 1024 if self.sizes else float("nan")


def run_load(
    *,
    name: str,
    make_worker: Callable[[], tuple[Worker, Callable[[], None]]],
    jobs: Sequence[Any],
    clients: int,
    duration: float,
    max_queries: int | None = None,
    warmup: float = 0.0,
) -> Stats:
    """Drive ``jobs`` through ``clients`` workers for ``duration`` seconds (or
    ``max_queries`` in all), after ``warmup`` seconds that are not counted.

    One client runs in the calling thread (Django's connection is per thread)."""
    stats = Stats(name=name, clients=clients)
    lock = threading.Lock()
    issued = [0]
    barrier = threading.Barrier(clients) if clients > 1 else None
    start = [0.0]

    def take() -> bool:
        with lock:
            if max_queries is not None and issued[0] >= max_queries:
                return False
            issued[0] += 1
            return True

    def client(tid: int) -> None:
        worker, close = make_worker()
        try:
            i = tid
            until = time.perf_counter() + warmup
            while time.perf_counter() < until:
                worker(jobs[i % len(jobs)])
                i += clients
            if barrier is not None:
                barrier.wait()
            with lock:
                if not start[0]:
                    start[0] = time.perf_counter()
            deadline = start[0] + duration
            while time.perf_counter() < deadline and take():
                job = jobs[i % len(jobs)]
                i += clients
                t0 = time.perf_counter()
                try:
                    size = worker(job)
                except Exception:
                    with lock:
                        stats.errors += 1
                    continue
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    stats.latencies_ms.append(elapsed)
                    stats.sizes.append(size)
        finally:
            close()

    if clients == 1:
        client(0)
    else:
        threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    stats.wall_s = time.perf_counter() - start[0] if start[0] else 0.0
    return stats


def psycopg_worker(
    conninfo: dict[str, Any], query: Callable[[Any, Any], Sequence[Any]]
) -> Callable[[], tuple[Worker, Callable[[], None]]]:
    """A worker factory: one psycopg connection per client, ``query(cursor, job)`` per job."""
    import psycopg

    def make() -> tuple[Worker, Callable[[], None]]:
        conn = psycopg.connect(**conninfo, autocommit=True)
        cur = conn.cursor()

        def work(job: Any) -> int:
            return len(query(cur, job))

        return work, conn.close

    return make


def http_worker(host: str, port: int, *, status: int = 200) -> Callable[[], tuple[Worker, Callable[[], None]]]:
    """A worker factory: one keep-alive HTTP connection per client; a job is a
    path, and any answer but ``status`` counts as an error."""

    def make() -> tuple[Worker, Callable[[], None]]:
        conn = http.client.HTTPConnection(host, port, timeout=60)

        def work(path: str) -> int:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read()
            if response.status != status:
                raise RuntimeError(f"HTTP {response.status} for {path}: {body[:200]!r}")
            return len(body)

        return work, conn.close

    return make


def nearest_path(origin: Origin, category: str | None, k: int = 10) -> str:
    params: dict[str, Any] = {"lat": f"{origin[0]:.5f}", "lon": f"{origin[1]:.5f}", "k": k}
    if category:
        params["category"] = category
    return "/api/v1/nearest?" + urlencode(params)


# An /api/ path no endpoint matches: a JSON 404 through the whole middleware
# stack, with no database query.
FLOOR_PATH = "/api/v1/no-such-endpoint"


# Viewports: a 1000 x 600 pixel map (256-pixel tiles) at each zoom, centred near towns.
VIEWPORT_ZOOMS = (4, 6, 8, 10, 12, 14)


def viewport_paths(*, zoom: int, centres: Sequence[Origin], category: str | None) -> list[str]:
    width = 1000 * 360 / (256 * 2**zoom)
    paths = []
    for lat, lon in centres:
        height = 600 * 360 / (256 * 2**zoom) * math.cos(math.radians(lat))
        minlat, maxlat = max(-85.0, lat - height / 2), min(85.0, lat + height / 2)
        minlon, maxlon = max(-180.0, lon - width / 2), min(180.0, lon + width / 2)
        params: dict[str, Any] = {
            "in_bbox": f"{minlon:.5f},{minlat:.5f},{maxlon:.5f},{maxlat:.5f}",
            "zoom": zoom,
        }
        if category:
            params["category"] = category
        paths.append("/api/v1/locations?" + urlencode(params))
    return paths


# --- gunicorn ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn_server(*, database_url: str, workers: int | None = None) -> Iterator[tuple[str, int]]:
    """The product's WSGI app under gunicorn (deploy/gunicorn.conf.py) on a
    loopback port, against ``database_url``, with DEBUG off and the anonymous
    rate limit raised out of the way (API_ANON_RATE)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "locator.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "API_ANON_RATE": "100000000/s",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # Plain HTTP on loopback (production's TLS proxy is not in front), one
        # database: no replicas.
        "SECURE_SSL_REDIRECT": "0",
        "BEHIND_PROXY": "0",
        "DATABASE_REPLICA_URLS": "",
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    base = Path(settings.BASE_DIR)
    proc = subprocess.Popen(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "gunicorn", "-c", str(base / "deploy" / "gunicorn.conf.py"), "locator.wsgi"],
        cwd=base,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: one line per request, not needed here
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/categories")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer 200 within 60 s (last status {status}); see {log.name}")
            time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

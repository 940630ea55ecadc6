"""The benchmark's generator and runners at a tiny scale, inside the test database."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from orgs import models as m
from orgs.bench import database, generator, report, runners
from orgs.bench.generator import BenchRefused
from orgs.bench.rows import COMMON_CATEGORY, RARE_CATEGORY, SYNTHETIC_PREFIX
from orgs.search import index as search_index
from orgs.search.filters import SearchFilters
from orgs.search.reference import locations_nearest
from orgs.selectors import category_descendant_ids
from tests.factories import OrganisationFactory, PlaceFactory

PRODUCT_DB = "helplocator_product_for_this_test"

# (name, lat, lon, population): a big city, a mid-sized one, and a small town
# by the antimeridian.
TOWNS = [
    ("Kazan", 55.79, 49.12, 1_000_000),
    ("Pskov", 57.82, 28.33, 100_000),
    ("Anadyr", 64.73, 177.51, 10_000),
]


@pytest.fixture
def towns(db: None) -> dict[int, tuple[float, float, int]]:
    out = {}
    for name, lat, lon, pop in TOWNS:
        place = PlaceFactory(name=name, point=Point(lon, lat, srid=4326), population=pop)
        out[place.geonameid] = (lat, lon, pop)
    return out


def _generate(size: int, seed: int = 3) -> generator.Dataset:
    return generator.generate(size=size, seed=seed, product_db=PRODUCT_DB)


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    h = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_generator_clusters_locations_near_towns_by_population(towns: dict[int, tuple[float, float, int]]) -> None:
    dataset = _generate(600)

    assert dataset.size == 600 and not dataset.reused
    locations = list(m.Location.objects.all())
    assert len(locations) == 600
    per_town: dict[int, int] = {}
    for loc in locations:
        lat, lon, pop = towns[loc.place_id]
        sigma_km = min(40.0, 1.5 + 4.0 * math.sqrt(max(pop, 1000) / 100_000))
        # A normal scatter: beyond six sigma happens once in a hundred million.
        assert _haversine_km((loc.point.y, loc.point.x), (lat, lon)) < 6 * sigma_km
        assert -180 <= loc.point.x <= 180
        per_town[loc.place_id] = per_town.get(loc.place_id, 0) + 1
    by_pop = {towns[pid][2]: n / 600 for pid, n in per_town.items()}
    # Population shares are 90%, 9% and 1% (organisations of three branches add noise).
    assert 0.8 < by_pop[1_000_000] < 0.97
    assert 0.02 < by_pop[100_000] < 0.18
    assert by_pop.get(10_000, 0) < 0.06


def test_generated_data_is_marked_synthetic_and_has_realistic_shares(
    towns: dict[int, tuple[float, float, int]],
) -> None:
    _generate(3000)

    orgs = m.Organisation.objects.all()
    assert orgs.count() == generator.org_count(3000)
    assert not orgs.exclude(name__startswith=SYNTHETIC_PREFIX + " ").exists()
    assert not orgs.exclude(source=generator.SYNTHETIC_SOURCE).exists()
    assert not m.Location.objects.exclude(source=generator.SYNTHETIC_SOURCE).exists()

    def share(slug: str) -> float:
        facet = m.Category.objects.get(slug=slug).pk
        located = m.SearchEntry.objects.filter(facet=facet).values("location_id").distinct().count()
        return located / 3000

    assert 0.2 < share(COMMON_CATEGORY) < 0.45
    assert share(RARE_CATEGORY) < 0.01
    # A parent category's facet covers its children.
    assert share("direct-help") > share(COMMON_CATEGORY)

    protected = m.Location.objects.exclude(visibility=m.Visibility.EXACT).count() / 3000
    assert 0.07 < protected < 0.2
    for loc in m.Location.objects.filter(visibility=m.Visibility.CITY).select_related("place")[:20]:
        assert loc.public_point.equals_exact(loc.place.point, 1e-9)
    for loc in m.Location.objects.filter(visibility=m.Visibility.APPROXIMATE)[:20]:
        offset = _haversine_km((loc.point.y, loc.point.x), (loc.public_point.y, loc.public_point.x)) * 1000
        assert 900 < offset < 2100
    assert m.Service.objects.filter(formats__contains=["online"]).exists()
    assert m.OpeningHours.objects.exists()


def test_generated_search_rows_match_a_full_rebuild(towns: dict[int, tuple[float, float, int]]) -> None:
    _generate(300)

    def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT facet, location_id, organisation_id, service_id, ST_AsText(public_point), visibility,"
                " timezone, target_ids, formats, is_free, languages, network_ids FROM orgs_searchentry"
                " ORDER BY 1, 2, 3, 4"
            )
            rows = cur.fetchall()
            cur.execute("SELECT zoom, facet, cx, cy, n, round(sum_lon::numeric, 6), round(sum_lat::numeric, 6)"
                        " FROM orgs_clustercell WHERE n > 0 ORDER BY 1, 2, 3, 4")  # fmt: skip
            cells = cur.fetchall()
            cur.execute("SELECT id, search_document FROM orgs_organisation ORDER BY id")
            docs = cur.fetchall()
        return rows, cells, docs

    generated = snapshot()
    assert generated[0] and generated[1]
    search_index.rebuild()
    assert snapshot() == generated


def test_generation_is_cached_and_reproducible(towns: dict[int, tuple[float, float, int]]) -> None:
    first = _generate(300)
    points = sorted(m.Location.objects.values_list("uuid", "public_point"), key=lambda r: str(r[0]))

    again = _generate(300)
    assert again.reused and again.search_rows == first.search_rows

    generator.generate(size=300, seed=3, product_db=PRODUCT_DB, force=True)
    regenerated = sorted(m.Location.objects.values_list("uuid", "public_point"), key=lambda r: str(r[0]))
    assert [u for u, _ in regenerated] == [u for u, _ in points]
    assert all(a.equals_exact(b, 1e-9) for (_, a), (_, b) in zip(points, regenerated, strict=True))

    other_seed = generator.generate(size=300, seed=4, product_db=PRODUCT_DB)
    assert not other_seed.reused


def test_generator_refuses_the_product_database(towns: dict[int, tuple[float, float, int]]) -> None:
    current = generator.current_database()
    with pytest.raises(BenchRefused, match="product's database"):
        generator.generate(size=10, seed=1, product_db=current)
    assert not m.Organisation.objects.exists()

    with pytest.raises(BenchRefused):
        database.bench_database_name(base="helplocator", size=10, product_db="helplocator")
    with pytest.raises(BenchRefused):
        database.bench_database_name(base="helplocator_bench", size=10, product_db="helplocator_bench_10")
    assert database.bench_database_name(base="helplocator_bench", size=10, product_db="helplocator") == (
        "helplocator_bench_10"
    )


def test_generator_refuses_a_database_with_real_organisations(towns: dict[int, tuple[float, float, int]]) -> None:
    OrganisationFactory(name="АНО «Настоящая помощь»")
    with pytest.raises(BenchRefused, match="not synthetic"):
        _generate(10)
    assert m.Organisation.objects.count() == 1


# --- runners ----------------------------------------------------------------------------


def test_knn_and_naive_runners_agree_with_the_selector(towns: dict[int, tuple[float, float, int]]) -> None:
    _generate(600)
    origins = runners.origins_near_towns(count=12, seed=5)
    assert origins == runners.origins_near_towns(count=12, seed=5)  # reproducible
    common = m.Category.objects.get(slug=COMMON_CATEGORY).pk
    with connection.cursor() as cur:
        for origin in origins:
            for facet in (0, common):
                cats = sorted(category_descendant_ids([facet])) if facet else None
                knn = runners.knn_nearest(cur, origin=origin, facet=facet, k=10)
                naive = runners.naive_nearest(cur, origin=origin, category_ids=cats, k=10)
                assert len(knn) == 10
                assert [i for i, _ in knn] == [i for i, _ in naive]
                assert all(abs(a - b) < 0.01 for (_, a), (_, b) in zip(knn, naive, strict=True))
                # The simpler directory ranks on a sphere: the same places, up to
                # near-ties at the edge of the ten.
                bbox = runners.bbox_haversine_nearest(cur, origin=origin, category_ids=cats, k=10)
                assert len({i for i, _ in bbox} & {i for i, _ in knn}) >= 8
        lat, lon = origins[0]
        hits = locations_nearest(origin=Point(lon, lat, srid=4326), filters=SearchFilters(facets=(common,)), k=10)
        with connection.cursor() as cur2:
            assert [h.location.pk for h in hits] == [
                i for i, _ in runners.knn_nearest(cur2, origin=origins[0], facet=common)
            ]


def test_run_load_reports_sane_numbers(towns: dict[int, tuple[float, float, int]]) -> None:
    _generate(300)
    origins = runners.origins_near_towns(count=50, seed=1)
    calls = []

    def make_worker() -> tuple[runners.Worker, object]:
        cur = connection.cursor()

        def work(origin: runners.Origin) -> int:
            calls.append(origin)
            return len(runners.knn_nearest(cur, origin=origin, facet=0))

        return work, cur.close

    stats = runners.run_load(
        name="a",
        make_worker=make_worker,
        jobs=origins,
        clients=1,
        duration=0.3,
        max_queries=40,  # type: ignore[arg-type]
    )
    assert 0 < stats.n <= 40 and stats.errors == 0
    assert stats.n == len(calls)
    assert 0 < stats.p50 <= stats.p95 < 1000
    assert stats.throughput > 0
    assert set(stats.sizes) == {10}


def test_targets_pass_and_fail_on_the_numbers() -> None:
    def st(p95: float, n: int = 100, wall: float = 1.0) -> runners.Stats:
        return runners.Stats(name="x", clients=4, latencies_ms=[p95] * n, sizes=[1000] * n, wall_s=wall)

    results: report.Results = {
        10_000: {f: {report.RAW: st(1.0, 1000), report.HTTP: st(10.0, 600)} for f in report.FILTERS},
        1_000_000: {f: {report.RAW: st(1.0, 1000), report.HTTP: st(30.0, 400)} for f in report.FILTERS},
    }
    viewport = {(4, "none"): st(100.0), (12, "none"): st(160.0)}
    found = report.targets(results, viewport)

    def passed(words: str) -> bool:
        (target,) = [t for t in found if words in t.name]
        return target.passed

    assert not passed("of (a)'s throughput")  # 40%
    (share,) = [t for t in found if "of (a)'s throughput" in t.name]
    assert "(e)" not in share.measured  # no floor measured
    results[1_000_000]["none"][report.FLOOR] = st(1.0, 450)
    (share,) = [t for t in report.targets(results, viewport) if "of (a)'s throughput" in t.name]
    assert "(e), reaches 45.0%" in share.measured
    assert not passed("<= 25 ms")  # 30 ms
    assert passed("common (p95 of d)")
    assert not passed("p95 of (d) grows")  # 3x
    assert passed("p95 of (a) grows")
    assert not passed("viewport p95")  # 160 ms
    assert passed("viewport response")
    text = "\n".join(report.targets_table(report.targets(results, viewport)))
    assert "FAIL" in text and "PASS" in text


@pytest.mark.django_db
def test_the_floor_path_is_a_json_404_without_a_query(client: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = client.get(runners.FLOOR_PATH, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"

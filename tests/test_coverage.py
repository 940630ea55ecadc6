"""Where help is missing (orgs.coverage): the stored per-town distances, the
aggregates, the API, the CSV and the page agree with a brute-force measure
(geographiclib's WGS84 geodesic from each town to every public position), on a
small directory that crosses the antimeridian (Chukotka and Alaska)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from geographiclib.geodesic import Geodesic

from orgs import models as m
from orgs.coverage import compute
from orgs.coverage.sql import BAND_KEYS, band_of
from tests import factories as f

pytestmark = pytest.mark.django_db

WGS84 = Geodesic.WGS84


def _place(name: str, lon: float, lat: float, population: int, cc: str = "RU", admin1: str = "60") -> m.Place:
    return f.PlaceFactory(
        name=name, point=Point(lon, lat, srid=4326), population=population, country_code=cc, admin1_code=admin1
    )


@pytest.fixture
def directory() -> dict[str, Any]:
    psych = f.CategoryFactory(slug="psychological-help", name_ru="Психологическая помощь")
    child = f.CategoryFactory(slug="child-psychologist", name_ru="Детский психолог", parent=psych)
    legal = f.CategoryFactory(slug="legal-help", name_ru="Юридическая помощь")
    kids = f.TargetGroupFactory(slug="children")
    net = f.NetworkFactory(slug="stop-sed")
    towns = {
        "pskov": _place("Pskov", 28.3318, 57.8192, 200_000),
        "ostrov": _place("Ostrov", 28.3436, 57.3418, 20_000),
        "velikiye": _place("Velikiye Luki", 30.5233, 56.3401, 90_000, admin1="60"),
        "anadyr": _place("Anadyr", 177.5089, 64.7337, 15_000, admin1="15"),
        "uelen": _place("Uelen", -169.8092, 66.1597, 700, admin1="15"),
        "nome": _place("Nome", -165.4064, 64.5011, 3_800, cc="US", admin1="AK"),
    }

    def located(lon: float, lat: float, *, visibility: str = m.Visibility.EXACT, status: str = "published") -> Any:
        org = f.OrganisationFactory(status=status, located=False)
        loc = f.LocationFactory(organisation=org, point=Point(lon, lat, srid=4326), visibility=visibility)
        return org, loc

    # Pskov: a free child psychologist for children, a member of the coalition.
    org, loc = located(28.34, 57.82)
    f.MembershipFactory(organisation=org, network=net)
    f.ServiceFactory(organisation=org, categories=[child], target_groups=[kids], locations=[loc], is_free=True)
    # Near Velikiye Luki: a paid legal service.
    org, loc = located(30.40, 56.30)
    f.ServiceFactory(organisation=org, categories=[legal], locations=[loc], is_free=False)
    # West of the antimeridian, a protected (approximate) psychologist: counted at its blurred position.
    org, loc_prot = located(179.95, 65.0, visibility=m.Visibility.APPROXIMATE)
    f.ServiceFactory(organisation=org, categories=[psych], locations=[loc_prot], is_free=False)
    # East of it, in Alaska: online-only at a place (not in person), and a legal service in person.
    org, loc = located(-166.0, 64.6)
    f.ServiceFactory(organisation=org, categories=[psych], locations=[loc], formats=[m.ServiceFormat.ONLINE])
    f.ServiceFactory(organisation=org, categories=[legal], locations=[loc])
    # An unpublished organisation next to Ostrov: never counted.
    org, loc = located(28.35, 57.34, status=m.PublicationStatus.DRAFT)
    f.ServiceFactory(organisation=org, categories=[psych], locations=[loc])
    # Remote help: psychological by phone for the Pskov region, legal online for all of Russia.
    f.ServiceFactory(
        categories=[child], formats=[m.ServiceFormat.PHONE], area_kind=m.AreaKind.REGION, area_region="RU.60"
    )
    f.ServiceFactory(
        categories=[legal],
        formats=[m.ServiceFormat.ONLINE],
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
        is_free=False,
    )
    return {
        "psych": psych,
        "child": child,
        "legal": legal,
        "kids": kids,
        "net": net,
        "towns": towns,
        "protected": loc_prot,
    }


# --- the brute force ----------------------------------------------------------------


def _descendants(cat: m.Category) -> set[int]:
    ids = {cat.pk}
    while True:
        more = set(m.Category.objects.filter(parent_id__in=ids).values_list("pk", flat=True)) - ids
        if not more:
            return ids
        ids |= more


def _service_matches(
    s: m.Service, cat: m.Category | None, *, target: Any = None, network: Any = None, free: bool = False
) -> bool:
    if cat is not None and not ({c.pk for c in s.categories.all()} & _descendants(cat)):
        return False
    if target is not None and target not in s.target_groups.all():
        return False
    if network is not None and not s.organisation.memberships.filter(network=network, status="active").exists():
        return False
    return not (free and not s.is_free)


def brute_force(cat: m.Category | None, **filters: Any) -> dict[int, tuple[float | None, bool]]:
    """geonameid -> (metres to the nearest matching in-person public position, remote help covers it)."""
    points = []
    for s in m.Service.objects.filter(organisation__status="published"):
        if m.ServiceFormat.IN_PERSON in s.formats and _service_matches(s, cat, **filters):
            points += [loc.public_point for loc in s.locations.all()]
    # A place with no service linked is "any help" in person (free, for no particular group).
    for loc in m.Location.objects.filter(organisation__status="published", services__isnull=True):
        network = filters.get("network")
        member = network is None or loc.organisation.memberships.filter(network=network, status="active").exists()
        if cat is None and filters.get("target") is None and member and loc.public_point is not None:
            points.append(loc.public_point)
    remote = [
        s
        for s in m.Service.objects.filter(organisation__status="published")
        if set(s.formats) & {"online", "phone"} and _service_matches(s, cat, **filters)
    ]
    out = {}
    for p in m.Place.objects.all():
        dists = [WGS84.Inverse(p.point.y, p.point.x, q.y, q.x)["s12"] for q in points]
        covered = any(
            s.area_kind == "anywhere"
            or (s.area_kind == "country" and s.area_country == p.country_code)
            or (s.area_kind == "region" and s.area_region == p.region_code)
            or (s.area_kind == "city" and s.area_place_id == p.pk)
            for s in remote
        )
        out[p.pk] = (min(dists) if dists else None, covered)
    return out


def _stored(facet: int) -> dict[int, tuple[float | None, bool]]:
    return {c.place_id: (c.distance_m, c.remote) for c in m.CoverageTown.objects.filter(facet=facet)}


def _assert_same(got: dict[int, tuple[float | None, bool]], want: dict[int, tuple[float | None, bool]]) -> None:
    assert got.keys() == want.keys()
    for pk, (d, remote) in want.items():
        gd, gremote = got[pk]
        assert gremote == remote, pk
        if d is None:
            assert gd is None, pk
        else:
            assert gd == pytest.approx(d, abs=0.01), pk  # a centimetre: the same geodesic


def _expected_totals(bf: dict[int, tuple[float | None, bool]]) -> dict[str, Any]:
    places = {p.pk: p for p in m.Place.objects.all()}
    bands = dict.fromkeys(BAND_KEYS, 0)
    total = b100 = b100nr = 0
    for pk, (d, remote) in bf.items():
        pop = places[pk].population
        total += pop
        bands[band_of(d)] += pop
        if d is None or d > 100_000:
            b100 += pop
            b100nr += 0 if remote else pop
    return {"population": total, "bands": bands, "b100": b100, "b100nr": b100nr}


# --- the tests ------------------------------------------------------------------------


def test_stored_distances_equal_the_brute_force_across_the_antimeridian(directory: dict[str, Any]) -> None:
    compute.refresh_all()
    _assert_same(_stored(0), brute_force(None))
    for key in ("psych", "child", "legal"):
        _assert_same(_stored(directory[key].pk), brute_force(directory[key]))
    # Uelen and Nome (east of 180°) are nearest to the protected place west of it:
    # a few hundred km across the line, not round the world.
    uelen = _stored(directory["psych"].pk)[directory["towns"]["uelen"].pk][0]
    assert uelen is not None and uelen < 600_000
    # ... measured from its blurred public position, never the true point.
    prot = directory["protected"]
    town = directory["towns"]["anadyr"]
    assert prot.public_point != prot.point
    want = WGS84.Inverse(town.point.y, town.point.x, prot.public_point.y, prot.public_point.x)["s12"]
    assert _stored(directory["psych"].pk)[town.pk][0] == pytest.approx(want, abs=0.01)


def test_the_api_and_the_csv_agree_with_the_brute_force(directory: dict[str, Any], api: Any) -> None:
    compute.refresh_all()
    psych = directory["psych"]
    want = _expected_totals(brute_force(psych))
    body = api.get("/api/v1/coverage", {"category": psych.slug}).json()
    assert body["computed_at"]
    assert body["total"]["population"] == want["population"]
    assert body["total"]["bands"] == want["bands"]
    assert body["total"]["beyond_100km_share"] == round(want["b100"] / want["population"], 4)
    assert body["total"]["beyond_100km_without_remote_share"] == round(want["b100nr"] / want["population"], 4)
    assert {c["code"] for c in body["countries"]} == {"RU", "US"}
    assert {r["code"] for r in body["regions"]} == {"RU.60", "RU.15", "US.AK"}
    largest = [t["geonameid"] for t in body["largest_beyond_100km"]]
    bf = brute_force(psych)
    places = sorted(m.Place.objects.all(), key=lambda p: (-p.population, p.pk))
    assert largest == [p.pk for p in places if bf[p.pk][0] is None or bf[p.pk][0] > 100_000]

    towns = api.get("/api/v1/coverage/towns", {"category": psych.slug, "page_size": 4}).json()
    assert towns["count"] == 6 and len(towns["results"]) == 4
    second = api.get("/api/v1/coverage/towns", {"category": psych.slug, "page_size": 4, "page": 2}).json()
    rows = towns["results"] + second["results"]
    assert [r["geonameid"] for r in rows] == [p.pk for p in places]
    for r in rows:
        d = bf[r["geonameid"]][0]
        assert r["distance_km"] == (None if d is None else round(d / 1000, 1))
        assert r["band"] == band_of(d) and r["remote"] == bf[r["geonameid"]][1]

    response = api.get("/api/v1/coverage/towns.csv", {"category": psych.slug})
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["geonameid"]) for r in table] == [p.pk for p in places]
    for r in table:
        d = bf[int(r["geonameid"])][0]
        assert r["distance_km"] == ("" if d is None else str(round(d / 1000, 1)))


def test_the_filters_are_measured_as_the_brute_force_does(directory: dict[str, Any], api: Any) -> None:
    compute.refresh_all()
    cases = [
        ({"target": "children"}, {"target": directory["kids"]}),
        ({"network": "stop-sed"}, {"network": directory["net"]}),
        ({"free": "true"}, {"free": True}),
    ]
    for params, kwargs in cases:
        for cat in (None, directory["psych"]):
            query = {**params, **({"category": cat.slug} if cat else {})}
            want = brute_force(cat, **kwargs)
            body = api.get("/api/v1/coverage/towns", {**query, "page_size": 100}).json()
            got = {r["geonameid"]: r for r in body["results"]}
            for pk, (d, remote) in want.items():
                assert got[pk]["distance_km"] == (None if d is None else round(d / 1000, 1)), (query, pk)
                assert got[pk]["remote"] == remote, (query, pk)
            agg = api.get("/api/v1/coverage", query).json()
            assert agg["total"]["bands"] == _expected_totals(want)["bands"], query


def test_a_moved_location_updates_the_towns_it_affects_without_a_full_recompute(directory: dict[str, Any]) -> None:
    compute.refresh_all()
    computed = m.CoverageRun.objects.get().computed_at
    loc = m.Location.objects.get(point=Point(28.34, 57.82, srid=4326))
    loc.point = Point(28.35, 57.33, srid=4326)  # from Pskov to Ostrov
    loc.save()
    assert m.CoverageRun.objects.get().computed_at == computed  # no full run
    _assert_same(_stored(0), brute_force(None))
    _assert_same(_stored(directory["child"].pk), brute_force(directory["child"]))
    # The organisation is suspended: its towns fall back to the next nearest help, or none.
    loc.organisation.status = m.PublicationStatus.SUSPENDED
    loc.organisation.save()
    _assert_same(_stored(directory["psych"].pk), brute_force(directory["psych"]))
    _assert_same(_stored(0), brute_force(None))


def test_a_bad_filter_is_a_400_naming_it(directory: dict[str, Any], api: Any) -> None:
    for params, field in (
        ({"category": "no-such"}, "category"),
        ({"free": "maybe"}, "free"),
        ({"network": "x y"}, "network"),
        ({"target": ""}, "target"),
    ):
        response = api.get("/api/v1/coverage", params)
        assert response.status_code == 400, params
        assert field in response.json(), params
    assert api.get("/api/v1/coverage/towns", {"page": "0"}).status_code == 400


def test_the_page_shows_the_brute_force_numbers_and_what_is_counted(directory: dict[str, Any], client: Any) -> None:
    compute.refresh_all()
    want = _expected_totals(brute_force(directory["psych"]))
    page = client.get("/coverage/", {"category": "psychological-help"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "rural" in html  # says what is not counted
    share = f"{100 * want['b100'] / want['population']:.1f} %"
    assert share in html
    net_page = client.get(f"/networks/{directory['net'].slug}/")
    assert "/coverage/?network=stop-sed" in net_page.content.decode()
    assert client.get("/coverage/", {"category": "nope"}).status_code == 200  # the form shows the error

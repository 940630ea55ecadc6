"""The HSDS 3 API under /api/hsds/: every item of every endpoint validates
strictly (additionalProperties: false everywhere) against the compiled HSDS
schema of its object, list responses carry the HSDS page wrapper, bad
parameters are 400s naming the parameter, and nothing private leaks."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from rest_framework.test import APIClient

from api.hsds import views as hsds_views
from orgs import models as m
from orgs.hsds import spec, vocab
from orgs.seed import seed_load
from tests import factories as f

pytestmark = pytest.mark.django_db

# endpoint -> (schema of list items, schema of items with full=true)
LISTS = {
    "/api/hsds/services": ("service_list", "service"),
    "/api/hsds/organizations": ("organization_list", "organization"),
    "/api/hsds/service_at_locations": ("service_at_location_list", "service_at_location"),
    "/api/hsds/taxonomies": ("taxonomy", "taxonomy"),
    "/api/hsds/taxonomy_terms": ("taxonomy_term", "taxonomy_term"),
}
# The object each list item is (its compiled schema must accept it too).
OBJECT_OF = {
    "service_list": "service",
    "organization_list": "organization",
    "service_at_location_list": "service_at_location",
}


def assert_valid(name: str, item: Any) -> None:
    errors = spec.object_errors(name, item)
    assert not errors, f"{name}: {errors[:5]}\n{json.dumps(item, ensure_ascii=False)[:2000]}"


def assert_page(body: dict[str, Any]) -> None:
    jsonschema.validate(body, spec.page_schema())


@pytest.fixture
def generated() -> dict[str, Any]:
    return build_generated()


def build_generated() -> dict[str, Any]:
    """Factory data with every kind of field filled: an exact location with an
    address, phone and hours; an approximate one; a city-only one; a virtual one;
    services with every area kind; a coalition; identifiers, personal ones included."""
    parent = f.CategoryFactory(slug="hsds-parent", description="Верхний уровень")
    child = f.CategoryFactory(slug="hsds-child", parent=parent)
    group = f.TargetGroupFactory(slug="hsds-children")
    network = f.NetworkFactory(slug="hsds-net", name="Сеть HSDS", roles=["member", "candidate"])
    org = f.OrganisationFactory(
        name="АНО «Проверка HSDS»",
        email="info@example.org",
        website="https://example.org",
        ogrn="1027700132195",
        inn="7707083893",
        located=False,
    )
    person = f.OrganisationFactory(name="ИП Частное Лицо", ogrn="304500116000157", inn="500100732259", located=False)
    m.OrganisationIdentifier.objects.create(organisation=org, scheme="KZ-BIN", identifier="123456789012", country="KZ")
    m.OrganisationIdentifier.objects.create(organisation=org, scheme="KZ-IIN", identifier="900101300123", country="KZ")
    exact = f.LocationFactory(
        organisation=org,
        address="ул. Советская, 1",
        phone="+7 8112 00-00-00",
        accessibility="Пандус у входа",
        languages=["ru", "en"],
        point=Point(28.33, 57.82, srid=4326),
    )
    m.OpeningHours.objects.create(location=exact, weekday=0, opens="09:00", closes="18:00")
    m.OpeningHours.objects.create(location=exact, weekday=5, opens="22:00", closes="02:00")
    shelter = f.LocationFactory(
        organisation=org,
        visibility=m.Visibility.APPROXIMATE,
        address="Секретная ул., 7",
        point=Point(30.314159, 59.938271),
    )
    city_only = f.LocationFactory(
        organisation=org, visibility=m.Visibility.CITY, address="Тайный пер., 3", point=Point(37.617733, 55.755864)
    )
    virtual = f.LocationFactory(organisation=org, kind=m.LocationKind.VIRTUAL, point=None, city="")
    place = f.PlaceFactory(name="Pskov", name_ru="Псков")
    services = [
        f.ServiceFactory(
            organisation=org,
            categories=[child],
            target_groups=[group],
            locations=[exact, shelter, city_only],
            description="Помощь",
            min_age=3,
            max_age=17,
            languages=["ru"],
            phone="8-800-000-00-00",
            email="help@example.org",
            url="https://example.org/help",
            eligibility="Дети",
            is_free=False,
        ),
        f.ServiceFactory(organisation=org, formats=["online", "phone"], area_kind="anywhere", locations=[virtual]),
        f.ServiceFactory(organisation=org, formats=["online"], area_kind="country", area_country="RU"),
        f.ServiceFactory(organisation=org, formats=["online"], area_kind="region", area_region="RU.60"),
        f.ServiceFactory(organisation=org, formats=["phone"], area_kind="city", area_place=place),
        f.ServiceFactory(organisation=org, area_kind="radius", area_radius_km=30, locations=[exact]),
    ]
    f.ServiceFactory(organisation=person, locations=[f.LocationFactory(organisation=person)])
    f.MembershipFactory(organisation=org, network=network, role="member")
    f.ExpertFactory(organisation=org, email="expert.secret@private.example", phone="+7 999 123-45-67")
    hidden = f.OrganisationFactory(name="Скрытая организация", status=m.PublicationStatus.PENDING)
    f.ServiceFactory(organisation=hidden, name="Скрытая услуга")
    return {"org": org, "exact": exact, "shelter": shelter, "city": city_only, "services": services, "child": child}


@pytest.fixture(params=["seed", "generated"])
def data(request: pytest.FixtureRequest) -> str:
    if request.param == "seed":
        seed_load()
    else:
        request.getfixturevalue("generated")
    return str(request.param)


@pytest.mark.parametrize("full", [False, True])
def test_every_list_item_validates_strictly(api: APIClient, data: str, full: bool) -> None:
    # Every list in one test: loading the seed once per list was most of this module's time.
    for endpoint in LISTS:
        cache.clear()  # the anonymous throttle counts every request of the loop
        _assert_list_validates(api, data, endpoint, full)


def _assert_list_validates(api: APIClient, data: str, endpoint: str, full: bool) -> None:
    response = api.get(endpoint, {"per_page": 1000, "full": "true" if full else "false"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert_page(body)
    assert body["contents"], f"{endpoint} is empty on {data} data"
    assert body["total_items"] == len(body["contents"]) == body["size"]
    schema = LISTS[endpoint][1 if full else 0]
    for item in body["contents"]:
        assert_valid(schema, item)
        if schema in OBJECT_OF:
            assert_valid(OBJECT_OF[schema], item)


DETAILS = [
    ("/api/hsds/services", "service"),
    ("/api/hsds/organizations", "organization"),
    ("/api/hsds/service_at_locations", "service_at_location"),
    ("/api/hsds/taxonomies", "taxonomy"),
    ("/api/hsds/taxonomy_terms", "taxonomy_term"),
]


def test_every_detail_validates_strictly(api: APIClient, data: str) -> None:
    for endpoint, schema in DETAILS:
        cache.clear()  # the anonymous throttle counts every request of the loop
        ids = [item["id"] for item in api.get(endpoint, {"per_page": 1000}).json()["contents"]]
        assert ids, endpoint
        for item_id in ids:
            response = api.get(f"{endpoint}/{item_id}")
            assert response.status_code == 200, (endpoint, response.content)
            assert_valid(schema, response.json())
            assert response.json()["id"] == item_id


def test_metadata(api: APIClient) -> None:
    body = api.get("/api/hsds/").json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("openapi.json")
    assert set(body) <= {"version", "profile", "openapi_url"}


def test_ndjson_streams_every_item_without_a_wrapper(api: APIClient, generated: dict[str, Any]) -> None:
    response = api.get("/api/hsds/services", {"format": "ndjson", "full": "true"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    items = [json.loads(line) for line in lines]
    assert len(items) == m.Service.objects.filter(organisation__status="published").count()
    for item in items:
        assert_valid("service", item)


@pytest.mark.parametrize("path", ["/api/hsds/services", "/api/hsds/organizations", "/api/hsds/service_at_locations"])
def test_ndjson_in_small_chunks_gives_each_item_once_in_order(
    api: APIClient, generated: dict[str, Any], monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # Chunks of 2 follow each other by uuid (an index range, not an OFFSET):
    # every item exactly once, in the order of the paged list.
    monkeypatch.setattr(hsds_views, "STREAM_CHUNK", 2)
    lines = b"".join(api.get(path, {"format": "ndjson"}).streaming_content).decode().splitlines()
    streamed = [json.loads(line)["id"] for line in lines]
    paged = [item["id"] for item in api.get(path, {"per_page": 100}).json()["contents"]]
    assert len(streamed) >= 2 and streamed == paged


def test_pages_split_and_report_their_place(api: APIClient, generated: dict[str, Any]) -> None:
    total = m.Service.objects.filter(organisation__status="published").count()
    first = api.get("/api/hsds/services", {"per_page": 2}).json()
    last = api.get("/api/hsds/services", {"per_page": 2, "page": first["total_pages"]}).json()
    beyond = api.get("/api/hsds/services", {"per_page": 2, "page": 99}).json()
    assert (first["total_items"], first["size"], first["first_page"], first["last_page"]) == (total, 2, True, False)
    assert last["last_page"] and not last["first_page"] and last["size"] == total - 2 * (first["total_pages"] - 1)
    assert beyond["empty"] and beyond["contents"] == []
    seen = []
    for page in range(1, first["total_pages"] + 1):
        seen += [s["id"] for s in api.get("/api/hsds/services", {"per_page": 2, "page": page}).json()["contents"]]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    ("endpoint", "params", "param"),
    [
        ("/api/hsds/services", {"page": "0"}, "page"),
        ("/api/hsds/services", {"page": "x"}, "page"),
        ("/api/hsds/services", {"per_page": "100000"}, "per_page"),
        ("/api/hsds/services", {"format": "xml"}, "format"),
        ("/api/hsds/services", {"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
        ("/api/hsds/services", {"taxonomy_term_id": str(uuid.uuid4())}, "taxonomy_term_id"),
        ("/api/hsds/services", {"organization_id": "12"}, "organization_id"),
        ("/api/hsds/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/api/hsds/services", {"full": "perhaps"}, "full"),
        ("/api/hsds/services", {"minimal": "true"}, "minimal"),
        ("/api/hsds/organizations", {"full_service": "true"}, "full_service"),
        ("/api/hsds/service_at_locations", {"proximity": "1000"}, "proximity"),
        ("/api/hsds/service_at_locations", {"proximity": "-5", "lat": "57", "lon": "28"}, "proximity"),
        ("/api/hsds/service_at_locations", {"lat": "91", "lon": "28"}, "lat"),
        ("/api/hsds/service_at_locations", {"lat": "57"}, "lon"),
        ("/api/hsds/service_at_locations", {"postcode": "180000"}, "postcode"),
        ("/api/hsds/taxonomy_terms", {"parent_id": "x"}, "parent_id"),
        ("/api/hsds/services/not-a-uuid", {}, "id"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    api: APIClient, generated: dict[str, Any], endpoint: str, params: dict[str, str], param: str
) -> None:
    response = api.get(endpoint, params)
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_unknown_ids_are_json_404(api: APIClient, generated: dict[str, Any]) -> None:
    for endpoint in ("services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"):
        response = api.get(f"/api/hsds/{endpoint}/{uuid.uuid4()}")
        assert response.status_code == 404
        assert "detail" in response.json()


def test_unpublished_organisations_are_not_served(api: APIClient, generated: dict[str, Any]) -> None:
    hidden = m.Organisation.objects.get(name="Скрытая организация")
    names = [o["name"] for o in api.get("/api/hsds/organizations", {"per_page": 1000}).json()["contents"]]
    assert "Скрытая организация" not in names and names
    assert api.get(f"/api/hsds/organizations/{hidden.uuid}").status_code == 404
    body = json.dumps(api.get("/api/hsds/services", {"per_page": 1000, "full": "true"}).json(), ensure_ascii=False)
    assert "Скрытая услуга" not in body


def test_protected_locations_show_only_their_blurred_position(api: APIClient, generated: dict[str, Any]) -> None:
    org = generated["org"]
    body = api.get(f"/api/hsds/organizations/{org.uuid}").json()
    by_id = {loc["id"]: loc for loc in body["locations"]}
    for key in ("shelter", "city"):
        loc = generated[key]
        loc.refresh_from_db()
        served = by_id[str(loc.uuid)]
        assert (served["latitude"], served["longitude"]) == (
            round(loc.public_point.y, 6),
            round(loc.public_point.x, 6),
        )
        assert abs(served["latitude"] - loc.point.y) + abs(served["longitude"] - loc.point.x) > 1e-3
        assert served["addresses"][0]["address_1"] == ""
    exact = by_id[str(generated["exact"].uuid)]
    assert exact["addresses"][0]["address_1"] == "ул. Советская, 1"
    everything = json.dumps(
        [
            api.get(e, {"per_page": 1000, "full": "true"}).json()
            for e in ("/api/hsds/organizations", "/api/hsds/services", "/api/hsds/service_at_locations")
        ],
        ensure_ascii=False,
    )
    for secret in ("Секретная ул.", "Тайный пер.", "59.938271", "30.314159", "55.755864", "37.617733"):
        assert secret not in everything


def test_personal_data_never_served(api: APIClient, generated: dict[str, Any]) -> None:
    everything = json.dumps(
        [
            api.get(e, {"per_page": 1000, "full": "true"}).json()
            for e in ("/api/hsds/organizations", "/api/hsds/services", "/api/hsds/service_at_locations")
        ],
        ensure_ascii=False,
    )
    for secret in ("expert.secret", "999 123-45-67", "Эксперт", "304500116000157", "500100732259", "900101300123"):
        assert secret not in everything
    # An organisation's own registry numbers are public record.
    assert "1027700132195" in everything and "7707083893" in everything and "123456789012" in everything


def test_project_fields_travel_as_attributes(api: APIClient, generated: dict[str, Any]) -> None:
    org = api.get(f"/api/hsds/organizations/{generated['org'].uuid}").json()
    (membership,) = org["attributes"]
    assert membership["taxonomy_term"]["taxonomy_id"] == vocab.COALITIONS.id
    assert membership["value"].startswith("member since ")
    visibilities = {
        a["value"]
        for loc in org["locations"]
        for a in loc["attributes"]
        if a["taxonomy_term_id"] == vocab.VISIBILITY.id
    }
    assert visibilities == {"exact", "approximate", "city"}
    svc = api.get(f"/api/hsds/services/{generated['services'][0].uuid}").json()
    terms = {a["taxonomy_term_id"] for a in svc["attributes"]}
    assert str(generated["child"].uuid) in terms
    assert svc["cost_options"][0]["option"] == "Paid"
    # Every attribute's term is listed by /taxonomy_terms.
    listed = {t["id"] for t in api.get("/api/hsds/taxonomy_terms", {"per_page": 1000}).json()["contents"]}
    assert terms <= listed


def test_filters(api: APIClient, generated: dict[str, Any]) -> None:
    org, child = generated["org"], generated["child"]
    parent_term = str(child.parent.uuid)

    def ids(params: dict[str, str]) -> set[str]:
        return {s["id"] for s in api.get("/api/hsds/services", {"per_page": 1000, **params}).json()["contents"]}

    first = str(generated["services"][0].uuid)
    assert ids({"taxonomy_term_id": parent_term}) == {first}  # a parent term includes its children
    assert ids({"taxonomy_term_id": vocab.coalition_term_id("hsds-net")}) == {
        str(s.uuid) for s in generated["services"]
    }
    assert ids({"organization_id": str(org.uuid)}) == {str(s.uuid) for s in generated["services"]}
    assert ids({"search": "помощь"}) >= {first}
    assert ids({"modified_after": "2999-01-01"}) == set()
    assert len(ids({"modified_after": "2000-01-01T00:00:00Z"})) == len(ids({}))
    orgs = api.get("/api/hsds/organizations", {"search": "проверка"}).json()["contents"]
    assert [o["id"] for o in orgs] == [str(org.uuid)]


def test_proximity_lists_nearest_first_within_the_radius(api: APIClient, generated: dict[str, Any]) -> None:
    pskov = {"lat": "57.82", "lon": "28.33"}
    near = api.get("/api/hsds/service_at_locations", {**pskov, "proximity": "50000", "per_page": 1000}).json()
    locations = {item["location_id"] for item in near["contents"]}
    assert str(generated["exact"].uuid) in locations
    assert str(generated["shelter"].uuid) not in locations  # St Petersburg, 250 km away
    every = api.get("/api/hsds/service_at_locations", {**pskov, "per_page": 1000}).json()["contents"]
    origin = Point(28.33, 57.82, srid=4326)
    distances = [
        origin.distance(Point(i["location"]["longitude"], i["location"]["latitude"], srid=4326)) for i in every
    ]
    assert distances == sorted(distances) and distances[0] == 0
    assert every[-1]["location_id"] == str(generated["city"].uuid)  # Moscow is the farthest


def test_list_queries_are_bounded(
    api: APIClient, generated: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        org = f.OrganisationFactory()
        f.ServiceFactory(organisation=org, locations=list(org.locations.all()), categories=[generated["child"]])
    for endpoint in ("/api/hsds/services", "/api/hsds/organizations", "/api/hsds/service_at_locations"):
        with django_assert_max_num_queries(14):
            assert api.get(endpoint, {"full": "true", "per_page": 1000}).status_code == 200


def test_page_and_filter_errors_are_answered_together(api: APIClient) -> None:
    # page is the page query's (DRF), organization_id the FilterSet's (a Django form).
    response = api.get("/api/hsds/services", {"page": "0", "organization_id": "12", "modified_after": "soon"})
    assert response.status_code == 400
    assert set(response.json()) == {"page", "organization_id", "modified_after"}


def test_top_only_takes_a_boolean(api: APIClient, generated: dict[str, Any]) -> None:
    # django-filter's BooleanFilter would read "perhaps" as "not given" and list everything.
    response = api.get("/api/hsds/taxonomy_terms", {"top_only": "perhaps"})
    assert response.status_code == 400 and "top_only" in response.json()
    top = api.get("/api/hsds/taxonomy_terms", {"top_only": "true", "per_page": 1000}).json()["contents"]
    every = api.get("/api/hsds/taxonomy_terms", {"top_only": "false", "per_page": 1000}).json()["contents"]
    assert top and all("parent_id" not in t for t in top)
    assert len(every) > len(top)


def test_a_term_and_a_taxonomy_select_organisations_with_one_service_having_both(api: APIClient) -> None:
    category, group = f.CategoryFactory(slug="both-cat"), f.TargetGroupFactory(slug="both-group")
    apart = f.OrganisationFactory(name="Врозь")
    f.ServiceFactory(organisation=apart, categories=[category], locations=list(apart.locations.all()))
    f.ServiceFactory(organisation=apart, target_groups=[group], locations=list(apart.locations.all()))
    together = f.OrganisationFactory(name="Вместе")
    f.ServiceFactory(
        organisation=together, categories=[category], target_groups=[group], locations=list(together.locations.all())
    )

    def names(params: dict[str, str]) -> set[str]:
        return {o["name"] for o in api.get("/api/hsds/organizations", {"per_page": 1000, **params}).json()["contents"]}

    assert names({"taxonomy_term_id": str(category.uuid)}) == {"Врозь", "Вместе"}
    assert names({"taxonomy_id": vocab.TARGET_GROUPS.id}) == {"Врозь", "Вместе"}
    assert names({"taxonomy_term_id": str(category.uuid), "taxonomy_id": vocab.TARGET_GROUPS.id}) == {"Вместе"}


def test_the_centre_is_a_finite_lat_and_lon_or_a_known_town(api: APIClient, generated: dict[str, Any]) -> None:
    assert api.get("/api/hsds/service_at_locations", {"lat": "nan", "lon": "28"}).json().keys() == {"lat"}
    response = api.get("/api/hsds/service_at_locations", {"place": "Псков", "proximity": "50000", "per_page": 1000})
    assert response.status_code == 200
    assert {i["location_id"] for i in response.json()["contents"]} >= {str(generated["exact"].uuid)}

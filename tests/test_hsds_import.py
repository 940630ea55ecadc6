"""Importing HSDS: the official examples, idempotence, dry runs, the error
report (file, line, reason), --atomic, protected locations, the coalition
template, and the export -> import -> export round trip."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from orgs import models as m
from orgs.hsds import spec
from orgs.hsds.exporter import export_directory
from orgs.hsds.importer import ImportReport, hsds_import
from orgs.hsds.importer.values import parse_time
from orgs.hsds.spec import OFFICIAL_DIR
from orgs.hsds.tabular import read_files, tables_from_files
from orgs.seed import seed_load
from tests import factories as f

pytestmark = pytest.mark.django_db

EXAMPLES = OFFICIAL_DIR / "examples"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir())
WRITTEN = (m.Organisation, m.Location, m.Service, m.ServiceAtLocation, m.Category, m.TargetGroup, m.Membership)


def run(path: Path, **options: Any) -> ImportReport:
    return hsds_import(tables=tables_from_files(read_files(path)), **options)


def state() -> dict[str, Any]:
    """Everything an import could change, to compare before and after."""
    return {
        "counts": {model.__name__: model.objects.count() for model in WRITTEN},
        "history": m.Organisation.history.count() + m.Location.history.count() + m.Service.history.count(),
        "stamps": sorted((str(u), t.isoformat()) for u, t in m.Organisation.objects.values_list("uuid", "updated_at")),
        "services": sorted(str(s) for s in m.Service.objects.values_list("uuid", "name", "updated_at")),
        "hours": m.OpeningHours.objects.count(),
        "search": sorted(m.SearchEntry.objects.values_list("organisation_id", "facet")),
    }


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_official_example_imports_without_errors_and_twice_changes_nothing(name: str) -> None:
    first = run(EXAMPLES / name)
    assert first.errors == [], [str(e) for e in first.errors]
    before = state()

    second = run(EXAMPLES / name)

    assert second.errors == []
    assert second.changed == 0, second.summary()
    assert state() == before


def test_official_examples_give_the_organisation_and_its_service() -> None:
    report = run(EXAMPLES / "service_full.json")
    org = m.Organisation.objects.get(uuid="d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
    svc = m.Service.objects.get(uuid="ac148810-d857-441c-9679-408f346de14b")
    assert org.status == m.PublicationStatus.PENDING  # waits for a moderator
    assert (org.name, org.email, org.country) == ("Example Organization Inc.", "email@example.com", "US")
    assert (svc.organisation, svc.min_age, svc.max_age, svc.is_free) == (org, 12, 100, False)
    assert org.identifiers.get().identifier == "1234567"
    # latitude 100 cannot be placed: reported, not imported, not an error.
    assert not m.Location.objects.exists()
    assert any("out of range" in w.reason for w in report.warnings)
    # Named contacts are personal data: never stored.
    assert "Ann Persona" not in json.dumps([str(v) for v in m.Organisation.objects.values()])


def test_every_example_in_one_go_then_again() -> None:
    for name in EXAMPLE_NAMES:
        assert run(EXAMPLES / name).errors == []
    before = state()
    for name in EXAMPLE_NAMES:
        assert run(EXAMPLES / name).changed == 0
    assert state() == before


def test_dry_run_reports_and_changes_nothing() -> None:
    before = state()
    report = run(EXAMPLES / "csv", dry_run=True)
    assert report.created["organisations"] == 1 and report.created["services"] == 1
    assert report.rolled_back
    assert state() == before


# --- bad rows ---------------------------------------------------------------------------


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """The official CSV package with its location placed on the map and the
    organisation the location names, and three bad rows added."""
    target = tmp_path / "package"
    shutil.copytree(EXAMPLES / "csv", target)
    (target / "datapackage.json").unlink()
    locations = (target / "locations.csv").read_text().replace(",100,101,", ",57.8136,28.3496,")
    locations = locations.replace("985e4a42-bd9f-4edc-911d-0243a4640aca", "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
    (target / "locations.csv").write_text(locations)
    with (target / "organizations.csv").open("a") as fh:
        fh.write("7a1b0c52-41a5-4d2c-9b6b-1a1a1a1a1a1a,Good Second Org,,Helps,good@example.org,,,,,,,,\n")
        fh.write("00000000-0000-4000-8000-00000000000b,,,No name here,,,,,,,,,\n")  # line 4: no name
        fh.write("not-a-uuid,Bad Id Org,,Helps,,,,,,,,,\n")  # line 5
    with (target / "services.csv").open("a") as fh:
        fh.write(
            "5b5b5b5b-41a5-4d2c-9b6b-1a1a1a1a1a1a,7a1b0c52-41a5-4d2c-9b6b-1a1a1a1a1a1a,,Ages upside down,,,,,active,"
            ",,,,,,,18,3,,,,,\n"
        )  # line 3
    return target


def test_bad_rows_are_reported_with_file_line_and_reason_and_do_not_stop_the_others(package: Path) -> None:
    report = run(package)
    where = {(e.source.file, e.source.line): e.reason for e in report.errors}
    assert "name" in where[("organizations.csv", 4)]
    assert "is not a 'uuid'" in where[("organizations.csv", 5)]
    assert "minimum_age is above maximum_age" in where[("services.csv", 3)]
    assert len(report.errors) == 3
    # The valid rows went in, the location placed where the file says.
    assert m.Organisation.objects.filter(name="Good Second Org").exists()
    assert m.Service.objects.filter(name="Community Counselling").exists()
    loc = m.Location.objects.get(uuid="3a19ff88-4620-4d17-9830-ac1d859eb5d5")
    assert (round(loc.point.y, 4), round(loc.point.x, 4)) == (57.8136, 28.3496)
    assert m.ServiceAtLocation.objects.filter(location=loc).exists()
    assert not m.Service.objects.filter(name="Ages upside down").exists()


def test_atomic_one_bad_row_changes_nothing(package: Path) -> None:
    before = state()
    report = run(package, atomic=True)
    assert report.errors and report.rolled_back
    assert state() == before


def test_the_command_reports_errors_and_fails(package: Path) -> None:
    err = StringIO()
    with pytest.raises(CommandError, match="3 errors"):
        call_command("import_hsds", str(package), "--atomic", stderr=err, stdout=StringIO())
    assert "organizations.csv:4" in err.getvalue()
    assert not m.Organisation.objects.exists()


def test_the_command_dry_run(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_hsds", str(EXAMPLES / "service_full.json"), "--dry-run", stdout=out, stderr=StringIO())
    assert "dry run" in out.getvalue() and "organisations 1" in out.getvalue()
    assert not m.Organisation.objects.exists()


def test_a_taken_ogrn_is_reported_on_its_line_and_the_rest_goes_in(tmp_path: Path) -> None:
    other = f.OrganisationFactory(ogrn="1027700132195")
    doc = {
        "organizations": [
            {
                "id": "11111111-1111-4111-8111-111111111111",
                "name": "Same ОГРН",
                "description": "",
                "organization_identifiers": [
                    {
                        "id": "21111111-1111-4111-8111-111111111111",
                        "identifier_type": "ОГРН",
                        "identifier": "1027700132195",
                    }
                ],
            },
            {"id": "31111111-1111-4111-8111-111111111111", "name": "Fine", "description": ""},
        ]
    }
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    report = run(path)
    (error,) = report.errors
    assert error.source.file == "orgs.json" and error.source.line == 4 and "another organisation" in error.reason
    assert m.Organisation.objects.filter(name="Fine").exists()
    assert not m.Organisation.objects.filter(name="Same ОГРН").exists()
    assert m.Organisation.objects.get(ogrn="1027700132195") == other


# --- the round trip ---------------------------------------------------------------------


def _empty_directory() -> None:
    m.Organisation.objects.all().delete()
    while m.Category.objects.exists():
        m.Category.objects.filter(children__isnull=True).delete()
    m.TargetGroup.objects.all().delete()
    m.Network.objects.all().delete()
    assert not m.SearchEntry.objects.exists()


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _round_trip(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    export_directory(directory=tmp_path / "a")
    published = m.Organisation.objects.filter(status="published").count()
    _empty_directory()
    report = run(tmp_path / "a" / "hsds.json", publish=True)
    assert report.errors == [], [str(e) for e in report.errors]
    assert m.Organisation.objects.filter(status="published").count() == published
    export_directory(directory=tmp_path / "b")
    # The CSV package alone gives the same directory too.
    csv_report = run(tmp_path / "a" / "csv", publish=True)
    assert csv_report.errors == [] and csv_report.changed == 0, csv_report.summary()
    return _files(tmp_path / "a"), _files(tmp_path / "b")


def test_round_trip_of_the_seed_gives_identical_files(tmp_path: Path) -> None:
    seed_load()
    first, second = _round_trip(tmp_path)
    assert set(first) == {"hsds.json", "csv/datapackage.json", *(f"csv/{n}" for n in _csv_names())}
    for name in first:
        assert first[name] == second[name], name


def test_round_trip_of_generated_data_gives_identical_files(tmp_path: Path) -> None:
    from tests.test_hsds_api import build_generated

    build_generated()
    first, second = _round_trip(tmp_path)
    for name in first:
        assert first[name] == second[name], name


def _csv_names() -> list[str]:
    from orgs.hsds.exporter import CSV_TABLES

    return [spec.tabular_tables()[t]["file"] for t in CSV_TABLES]


def test_the_export_validates_strictly(tmp_path: Path) -> None:
    seed_load()
    out = StringIO()
    call_command("export_hsds", "--output", str(tmp_path), stdout=out)
    assert "Exported 13 organizations" in out.getvalue()
    doc = json.loads((tmp_path / "hsds.json").read_text())
    for key, schema in (
        ("organizations", "organization"),
        ("services", "service"),
        ("taxonomies", "taxonomy"),
        ("taxonomy_terms", "taxonomy_term"),
    ):
        assert doc[key]
        for item in doc[key]:
            assert spec.object_errors(schema, item) == []


# --- protected locations --------------------------------------------------------------------


def test_an_imported_protected_location_shows_the_files_position_and_no_address(tmp_path: Path) -> None:
    org = f.OrganisationFactory(located=False)
    shelter = f.LocationFactory(
        organisation=org,
        visibility="approximate",
        address="Тайная ул., 1",
        point=Point(30.314159, 59.938271, srid=4326),
    )
    f.ServiceFactory(organisation=org, locations=[shelter])
    shelter.refresh_from_db()
    public = (round(shelter.public_point.x, 6), round(shelter.public_point.y, 6))
    export_directory(directory=tmp_path)
    text = (tmp_path / "hsds.json").read_text()
    assert "Тайная" not in text and "59.938271" not in text
    _empty_directory()

    assert run(tmp_path / "hsds.json", publish=True).errors == []

    loc = m.Location.objects.get(uuid=shelter.uuid)
    assert (round(loc.public_point.x, 6), round(loc.public_point.y, 6)) == public
    assert loc.visibility == "approximate" and loc.address == ""
    # A later save blurs the stand-in true point back to the same public point.
    loc.save()
    loc.refresh_from_db()
    assert loc.public_point.distance(Point(*public, srid=4326)) < 1e-6
    assert loc.point.distance(loc.public_point) > 0.005


# --- the coalition template -----------------------------------------------------------------

TEMPLATE = "\n".join(
    [
        "organisation_name,organisation_website,coalition,coalition_role,location_name,address,city,region,"
        "latitude,longitude,visibility,hours,languages,service_name,categories,target_groups,formats,free,"
        "min_age,max_age,service_phone,area",
        "АНО «Шаблон»,https://template.example,hsds-net,member,Офис,ул. Ленина 1,Псков,Псковская область,"
        "57.8136,28.3496,exact,Mo-Fr 09:00-18:00; Sa 10:00-14:00,ru,Психолог,hsds-child,hsds-children,"
        '"in_person, phone",yes,3,17,+7 8112 00-00-00,region:RU.60',
        "АНО «Шаблон»,https://template.example,hsds-net,member,Убежище,ул. Тайная 5,Псков,Псковская область,"
        "57.80001,28.30001,approximate,,,Психолог,hsds-child,,,yes,,,,",
        "АНО «Шаблон»,,,,,,,,,,,,,Горячая линия,hsds-child,,phone,yes,,,8-800-000-00-00,country:RU",
        "Другая НКО,,,,,,Псков,,57.9,28.4,exact,,,Юрист,no-such-category,,,,,,,",
        "Третья НКО,,,,,,Псков,,57.9,28.4,exact,Mo 25:00,,Юрист,,,,,,,,",
        "Четвёртая НКО,,,,,,Псков,,95,28.4,exact,,,Юрист,,,,,,,,",
        "",
    ]
)


@pytest.fixture
def vocabulary() -> None:
    parent = f.CategoryFactory(slug="hsds-parent")
    f.CategoryFactory(slug="hsds-child", parent=parent)
    f.TargetGroupFactory(slug="hsds-children")
    f.NetworkFactory(slug="hsds-net", roles=["member"])


@pytest.mark.usefixtures("vocabulary")
def test_the_coalition_template_imports_valid_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "coalition.csv"
    path.write_text(TEMPLATE)

    report = run(path, publish=True)

    lines = {(e.source.file, e.source.line): e.reason for e in report.errors}
    assert "unknown category 'no-such-category'" in lines[("coalition.csv", 5)]
    assert "hours" in lines[("coalition.csv", 6)]
    assert "Latitude must be between -90 and 90" in lines[("coalition.csv", 7)]
    assert len(report.errors) == 3
    org = m.Organisation.objects.get(name="АНО «Шаблон»")
    assert org.status == "published" and org.website == "https://template.example"
    assert org.memberships.get().network.slug == "hsds-net"
    office, shelter = org.locations.get(name="Офис"), org.locations.get(name="Убежище")
    assert office.name == "Офис" and office.hours.count() == 6
    assert sorted(org.services.values_list("name", flat=True)) == ["Горячая линия", "Психолог"]
    psychologist = org.services.get(name="Психолог")
    assert set(psychologist.locations.all()) == {office, shelter}
    assert psychologist.formats == ["in_person", "phone"] and psychologist.area_region == "RU.60"
    assert psychologist.target_groups.get().slug == "hsds-children"
    # The template's coordinates are true ones: a protected location is blurred.
    assert shelter.visibility == "approximate"
    assert shelter.point.distance(Point(28.30001, 57.80001, srid=4326)) < 1e-9
    assert shelter.public_point.distance(shelter.point) > 0.005
    assert m.SearchEntry.objects.filter(organisation=org).exists()
    assert not m.Organisation.objects.filter(name__in=["Другая НКО", "Третья НКО", "Четвёртая НКО"]).exists()

    before = state()
    again = run(path, publish=True)
    assert again.changed == 0 and len(again.errors) == 3
    assert state() == before


def test_the_template_header_is_documented() -> None:
    from orgs.hsds.template import COLUMNS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "hsds.md").read_text()
    for column in COLUMNS:
        assert f"`{column}`" in docs, column


# --- the row checks agree with the schema --------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "row"),
    [
        ("organization", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "A", "description": ""}),
        ("organization", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "A"}),
        ("organization", {"id": "x", "name": "A", "description": ""}),
        ("organization", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": 5, "description": ""}),
        ("organization", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "A", "description": "", "x": 1}),
        (
            "organization",
            {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "A", "description": "", "email": "not-an-email"},
        ),
        (
            "service",
            {
                "id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
                "name": "A",
                "status": "closed",
                "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
            },
        ),
        (
            "service",
            {
                "id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
                "name": "A",
                "status": "active",
                "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
                "minimum_age": "3",
            },
        ),
        ("location", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "location_type": "physical", "latitude": 5.5}),
        ("location", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "location_type": "ship"}),
    ],
)
def test_fast_row_checks_agree_with_the_schema(entity: str, row: dict[str, Any]) -> None:
    by_schema = list(spec.row_validator(entity).iter_errors(row))
    by_checker = spec.row_checker(entity).errors(row)
    assert bool(by_schema) == bool(by_checker), (by_schema, by_checker)


def test_the_benchmark_command_prints_a_table() -> None:
    out = StringIO()
    call_command("bench_hsds_import", rows=400, stdout=out)
    text = out.getvalue()
    assert "| first import" in text and "| same files again" in text and "rows/s" in text
    first = next(line for line in text.splitlines() if line.startswith("| first import"))
    assert "|      0 |" in first  # no errors
    assert m.Organisation.objects.filter(status="published").count() >= 20


def test_the_benchmark_refuses_the_product_database() -> None:
    from orgs.management.commands import bench_hsds_import

    assert not bench_hsds_import.database_allowed("helplocator")
    assert bench_hsds_import.database_allowed("helplocator_bench")


# --- bulk writes: COPY, the set-based search refresh, the field checks, history -------------------


def _derived() -> dict[str, Any]:
    """The derived search tables, without their ids (float sums rounded: cluster
    counts are kept by adding and subtracting)."""
    search = [
        (*row[:-2], sorted(row[-2]), round(row[-1].x, 9), round(row[-1].y, 9))
        for row in m.SearchEntry.objects.values_list(
            "facet",
            "location_id",
            "service_id",
            "organisation_id",
            "visibility",
            "timezone",
            "target_ids",
            "formats",
            "is_free",
            "network_ids",
            "languages",
            "public_point",
        )
    ]
    remote = sorted(
        (*row[:-1], sorted(row[-1]))
        for row in m.RemoteEntry.objects.values_list(
            "facet", "service_id", "organisation_id", "rank", "area_key", "radius_m", "organisation_name", "languages"
        )
    )
    clusters = sorted(
        (z, facet, cx, cy, n, round(lon, 6), round(lat, 6))
        for z, facet, cx, cy, n, lon, lat in m.ClusterCell.objects.filter(n__gt=0).values_list(
            "zoom", "facet", "cx", "cy", "n", "sum_lon", "sum_lat"
        )
    )
    documents = dict(m.Organisation.objects.values_list("id", "search_document"))
    return {"search": sorted(search, key=str), "remote": remote, "clusters": clusters, "documents": documents}


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based refresh", "per-organisation refresh"])
def test_the_derived_tables_after_an_import_are_what_a_full_rebuild_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, set_based: bool
) -> None:
    from orgs.search import index as search_index
    from tests.test_hsds_api import build_generated

    if set_based:  # small imports refresh organisation by organisation; take the import path
        monkeypatch.setattr(search_index, "REFRESH_MANY_MIN", 0)
    build_generated()
    export_directory(directory=tmp_path)
    _empty_directory()
    assert run(tmp_path / "hsds.json", publish=True).errors == []
    imported = _derived()
    assert imported["search"] and imported["remote"] and imported["clusters"]
    search_index.rebuild()
    assert _derived() == imported

    # Again with a renamed organisation, a moved location and a renamed service:
    # the old rows and cluster counts are taken out, the new ones put in.
    doc = json.loads((tmp_path / "hsds.json").read_text())
    org = doc["organizations"][0]
    org["name"] += " (переименована)"
    moved = next(loc for loc in org["locations"] if loc.get("latitude") is not None)
    moved["latitude"] += 0.5
    doc["services"][0]["name"] += " (новая)"
    for service in doc["services"]:
        if service["organization_id"] == org["id"]:
            service["organization"]["name"] = org["name"]
    (tmp_path / "hsds.json").write_text(json.dumps(doc, ensure_ascii=False))
    report = run(tmp_path / "hsds.json", publish=True)
    assert report.errors == [] and report.updated["organisations"] == 1 and report.updated["locations"] == 1
    changed = _derived()
    assert (
        changed != imported and "(переименована)" in changed["documents"][m.Organisation.objects.get(uuid=org["id"]).pk]
    )
    search_index.rebuild()
    assert _derived() == changed


def test_the_import_records_history_of_what_it_creates_and_changes(package: Path) -> None:
    run(package)
    org = m.Organisation.objects.get(name="Good Second Org")
    (created,) = org.history.all()
    assert (created.history_type, created.history_change_reason) == ("+", "HSDS import")
    for model in (m.Organisation, m.Location, m.Service):
        for obj in model.objects.all():
            assert [h.history_type for h in obj.history.all()] == ["+"], obj
    organisations = (package / "organizations.csv").read_text()
    (package / "organizations.csv").write_text(organisations.replace("Good Second Org", "Good Second Org (renamed)"))

    report = run(package)

    assert report.updated["organisations"] == 1
    changed, _created = org.history.all()
    assert (changed.history_type, changed.name) == ("~", "Good Second Org (renamed)")
    assert m.Organisation.history.count() == m.Organisation.objects.count() + 1


def test_a_row_the_database_refuses_is_reported_on_its_line_and_the_others_go_in(package: Path) -> None:
    # A second link of the same service and location under another id: no
    # check before writing sees it; the database's unique constraint does.
    with (package / "service_at_location.csv").open("a") as fh:
        fh.write(
            "6c6c6c6c-41a5-4d2c-9b6b-1a1a1a1a1a1a,ac148810-d857-441c-9679-408f346de14b,"
            "3a19ff88-4620-4d17-9830-ac1d859eb5d5,The same link again\n"
        )

    report = run(package, publish=True)

    where = {(e.source.file, e.source.line): e.reason for e in report.errors}
    assert "the database refused it" in where[("service_at_location.csv", 3)]
    assert len(report.errors) == 4  # the three of the fixture, and this one
    link = m.ServiceAtLocation.objects.get()
    assert str(link.uuid) == "e94c9f38-1e8f-4564-91d4-d53501ab1765"
    assert m.Organisation.objects.filter(name="Good Second Org").exists()
    assert m.SearchEntry.objects.filter(service=link.service, location=link.location).exists()


def test_a_field_the_model_refuses_is_reported_with_djangos_own_message() -> None:
    # The importer checks objects with Model.clean_fields(), not a copy of it:
    # the report carries Django's message, and the other rows still go in.
    from django.core.exceptions import ValidationError

    from orgs.management.commands.bench_hsds_import import generate

    tables = generate(60)
    bad = tables.of("organization")[0]
    bad.data["name"] = "ы" * 301
    try:
        m.Organisation(name=bad.data["name"]).clean_fields(
            exclude=[f.name for f in m.Organisation._meta.fields if f.name != "name"]
        )
    except ValidationError as exc:
        expected = "name: " + " ".join(exc.message_dict["name"])

    report = hsds_import(tables=tables, publish=True)

    assert [(e.entity, e.id, e.reason) for e in report.errors if e.entity == "organization"] == [
        ("organization", bad.id, expected)
    ]
    assert "301" in expected
    assert m.Organisation.objects.count() == len(tables.of("organization")) - 1


def test_the_benchmark_generates_the_rows_asked_for_and_runs_again_from_scratch() -> None:
    from orgs.management.commands.bench_hsds_import import ROWS_PER_ORGANISATION, generate

    for rows in (400, 1000):
        assert rows - ROWS_PER_ORGANISATION < generate(rows).count() <= rows
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("bench_hsds_import", rows=400, stdout=out)
        outputs.append(out.getvalue())
    first, again = ([c.strip() for c in line.split("|")] for line in (_line(o, "| first import") for o in outputs))
    assert first[5] == again[5] != "0"  # the same rows created both times
    assert "Removed the 21 organisations of an earlier run" in outputs[1]


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_the_garbage_collector_is_paused_only_while_reading_and_importing() -> None:
    import gc

    from orgs.hsds.tabular import collector_paused

    assert gc.isenabled()
    seen = []
    with collector_paused():
        seen.append(gc.isenabled())
        with collector_paused():
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
    assert seen == [False, False, False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        _ = 1 / 0
    assert gc.isenabled()
    assert run(EXAMPLES / "service_full.json").errors == []
    assert gc.isenabled()


def test_the_set_based_refresh_first_updates_statistics_that_predate_a_bulk_load() -> None:
    # Statistics taken while a table was empty make the planner join the rows
    # an import just wrote by nested loops over whole tables (minutes at 100k rows).
    from django.db import connection

    from orgs.search import index as search_index

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgs_location")
        f.LocationFactory.create_batch(3)
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'orgs_location'")
        assert cursor.fetchone()[0] == 0
        search_index.analyze_understated(cursor, ["orgs_location"], 2)
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'orgs_location'")
        assert cursor.fetchone()[0] == 3


@pytest.mark.parametrize("text", ["25:00", "24:30", "09:60", "9", "-1:00"])
def test_unreadable_times_are_refused_not_wrapped(text):
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text)


def test_midnight_written_as_24_00_is_read():
    assert parse_time("24:00") == dt.time(0, 0)
    assert parse_time("09:30:00") == dt.time(9, 30)

"""The simple CSV template for coalitions that keep spreadsheets: one row per
location and service (repeat the organisation's columns on each of its rows).

Each row becomes HSDS rows (an organization, a location, a service, the link
between them, their attributes), so the template goes through the same
importer, validation and error report as an HSDS file. Ids are optional:
without them, stable ids are derived from the organisation's name, the
location's address (or city, or name) and the service's name, so a corrected
spreadsheet imported again updates the same objects instead of adding copies.

Unlike an HSDS file, the template's coordinates are the true ones: for a
protected location (visibility approximate or city) the public position is
derived from them as everywhere else.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from orgs import models as m
from orgs.gazetteer import normalise
from orgs.hsds import vocab
from orgs.hsds.tabular import Row, Source, Tables
from orgs.hsds.vocab import derived_id
from orgs.models.base import validate_point_in_range

COLUMNS = [
    # organisation (repeat on each of its rows)
    "organisation_id",
    "organisation_name",
    "organisation_description",
    "organisation_website",
    "organisation_email",
    "legal_form",
    "ogrn",
    "inn",
    "coalition",
    "coalition_role",
    # location (leave empty for a service with no place to visit)
    "location_id",
    "location_name",
    "address",
    "city",
    "region",
    "country",
    "latitude",
    "longitude",
    "visibility",
    "timezone",
    "location_phone",
    "hours",
    "languages",
    # service
    "service_id",
    "service_name",
    "service_description",
    "categories",
    "target_groups",
    "formats",
    "free",
    "min_age",
    "max_age",
    "service_phone",
    "service_email",
    "service_url",
    "area",
]
REQUIRED = ("organisation_name", "service_name")
MARKER = {"organisation_name", "service_name"}

DAYS = {
    **{d: i for i, d in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
    **{d: i for i, d in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
}
_HOURS_PART = re.compile(r"^\s*(\w\w)(?:\s*-\s*(\w\w))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_SPLIT = re.compile(r"[;,]")


def is_template(text: str) -> bool:
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    return {h.strip() for h in header} >= MARKER


def header_line() -> str:
    return ",".join(COLUMNS) + "\n"


class TemplateRowError(ValueError):
    pass


def parse_hours(text: str) -> list[tuple[int, str, str]]:
    """ "Mo-Fr 09:00-18:00; Sa 10:00-14:00" (or Пн-Пт) -> (weekday, opens, closes)."""
    found: list[tuple[int, str, str]] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        match = _HOURS_PART.match(part.lower())
        if match is None or match.group(1) not in DAYS or (match.group(2) and match.group(2) not in DAYS):
            raise TemplateRowError(
                f"hours: cannot read {part.strip()!r}; write e.g. 'Mo-Fr 09:00-18:00; Sa 10:00-14:00'"
            )
        first = DAYS[match.group(1)]
        last = DAYS[match.group(2)] if match.group(2) else first
        opens, closes = (f"{int(t.split(':')[0]):02d}:{t.split(':')[1]}" for t in (match.group(3), match.group(4)))
        day = first
        while True:
            found.append((day, opens, closes))
            if day == last:
                break
            day = (day + 1) % 7
    return found


def _list(text: str) -> list[str]:
    return [p.strip() for p in _SPLIT.split(text) if p.strip()]


class _Lookups:
    """Categories, target groups and coalitions by slug or name (read once)."""

    def __init__(self) -> None:
        self.categories: dict[str, str] = {}
        for cat in m.Category.objects.all():
            for key in (cat.slug, cat.name_ru, cat.name_en, cat.name_uk):
                if key:
                    self.categories.setdefault(normalise(key), str(cat.uuid))
        self.groups: dict[str, str] = {}
        for group in m.TargetGroup.objects.all():
            for key in (group.slug, group.name_ru, group.name_en, group.name_uk):
                if key:
                    self.groups.setdefault(normalise(key), str(group.uuid))
        self.networks = {n.slug: n for n in m.Network.objects.all()}


def tables_from_template(text: str, file: str, tables: Tables) -> Tables:
    lookups = _Lookups()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    for name in header:
        if name not in COLUMNS:
            tables.note("warning", Source(file, 1), f"column {name!r} is not a template column; ignored")
    line = 2
    for raw in reader:
        start, line = line, reader.line_num + 1
        cells = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(cells.values()):
            continue
        try:
            _add_row(cells, Source(file, start), tables, lookups)
        except TemplateRowError as exc:
            tables.note("error", Source(file, start), str(exc))
    return tables


def _add_row(c: dict[str, str], src: Source, tables: Tables, lookups: _Lookups) -> None:
    for name in REQUIRED:
        if not c.get(name):
            raise TemplateRowError(f"{name} is required")
    # Everything the template adds beyond plain HSDS is checked first, so a bad
    # row adds nothing at all.
    categories = []
    for name in _list(c.get("categories", "")):
        term = lookups.categories.get(normalise(name))
        if term is None:
            raise TemplateRowError(f"categories: unknown category {name!r}; see /api/v1/categories for the slugs")
        categories.append(term)
    groups = []
    for name in _list(c.get("target_groups", "")):
        term = lookups.groups.get(normalise(name))
        if term is None:
            raise TemplateRowError(f"target_groups: unknown target group {name!r}; see /api/v1/target-groups")
        groups.append(term)
    formats = _list(c.get("formats", "")) or [m.ServiceFormat.IN_PERSON]
    for fmt in formats:
        if fmt not in m.ServiceFormat.values:
            raise TemplateRowError(f"formats: {fmt!r} is not one of in_person, online, phone")
    free = c.get("free", "").lower()
    if free not in {"", "yes", "no", "true", "false", "да", "нет", "1", "0"}:
        raise TemplateRowError("free: write yes or no")
    visibility = c.get("visibility") or m.Visibility.EXACT
    if visibility not in m.Visibility.values:
        raise TemplateRowError("visibility: write exact, approximate or city")
    hours = parse_hours(c.get("hours", ""))
    network = None
    if c.get("coalition"):
        network = lookups.networks.get(c["coalition"])
        if network is None:
            raise TemplateRowError(f"coalition: unknown coalition {c['coalition']!r}; see /api/v1/networks")
        role = c.get("coalition_role") or (network.roles[0] if network.roles else "participant")
        if role not in network.roles:
            raise TemplateRowError(f"coalition_role: {network.slug} has the roles {', '.join(network.roles)}")
    numbers: dict[str, Any] = {}
    for name in ("latitude", "longitude", "min_age", "max_age"):
        if c.get(name):
            try:
                numbers[name] = float(c[name].replace(",", "."))
            except ValueError:
                raise TemplateRowError(f"{name}: {c[name]!r} is not a number") from None
    if ("latitude" in numbers) != ("longitude" in numbers):
        raise TemplateRowError("latitude and longitude go together: give both or neither")
    if "latitude" in numbers:
        # Out of range is a typo in the row, not a reason to fall back to the town centre
        # and publish that as the exact place: the row stops here (NaN fails the range too).
        try:
            validate_point_in_range(Point(numbers["longitude"], numbers["latitude"], srid=4326))
        except ValidationError as exc:
            raise TemplateRowError(f"latitude, longitude: {' '.join(exc.messages)}") from None

    org_id = c.get("organisation_id") or derived_id("template", "organisation", normalise(c["organisation_name"]))
    org: dict[str, Any] = {
        "id": org_id,
        "name": c["organisation_name"],
        "description": c.get("organisation_description", ""),
    }
    _put(org, "website", c.get("organisation_website"))
    _put(org, "email", c.get("organisation_email"))
    _put(org, "legal_status", c.get("legal_form"))
    _put(org, "tax_id", c.get("inn"))
    tables.add(Row("organization", org, src))
    if c.get("ogrn"):
        tables.add(
            Row(
                "organization_identifier",
                {
                    "id": derived_id("identifier", org_id, "RU-OGRN", c["ogrn"]),
                    "organization_id": org_id,
                    "identifier_scheme": "RU-OGRN",
                    "identifier_type": "ОГРН",
                    "identifier": c["ogrn"],
                },
                src,
            )
        )
    if network is not None:
        _attribute(tables, src, org_id, "organization", vocab.coalition_term_id(network.slug), role)

    location_id = None
    if c.get("address") or c.get("city") or "latitude" in numbers:
        place_key = c.get("address") or c.get("location_name") or c.get("city") or f"{numbers.get('latitude')}"
        location_id = c.get("location_id") or derived_id("template", "location", org_id, normalise(place_key))
        loc: dict[str, Any] = {"id": location_id, "location_type": "physical", "organization_id": org_id}
        _put(loc, "name", c.get("location_name"))
        if "latitude" in numbers:
            loc["latitude"], loc["longitude"] = numbers["latitude"], numbers["longitude"]
        tables.add(Row("location", loc, src, true_position=True))
        tables.add(
            Row(
                "address",
                {
                    "id": derived_id("address", location_id),
                    "location_id": location_id,
                    "address_1": c.get("address", ""),
                    "city": c.get("city", ""),
                    "state_province": c.get("region", ""),
                    "postal_code": "",
                    "country": (c.get("country") or "RU").upper(),
                    "address_type": "physical",
                },
                src,
            )
        )
        if c.get("location_phone"):
            tables.add(
                Row(
                    "phone",
                    {"id": derived_id("phone", location_id), "location_id": location_id, "number": c["location_phone"]},
                    src,
                )
            )
        for code in _list(c.get("languages", "")):
            tables.add(
                Row(
                    "language",
                    {"id": derived_id("language", location_id, code), "location_id": location_id, "code": code},
                    src,
                )
            )
        for day, opens, closes in hours:
            tables.add(
                Row(
                    "schedule",
                    {
                        "id": derived_id("schedule", location_id, day, opens, closes),
                        "location_id": location_id,
                        "freq": "WEEKLY",
                        "byday": ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day],
                        "opens_at": opens,
                        "closes_at": closes,
                    },
                    src,
                )
            )
        _attribute(tables, src, location_id, "location", vocab.VISIBILITY.id, visibility)
        if c.get("timezone"):
            _attribute(tables, src, location_id, "location", vocab.TIME_ZONE.id, c["timezone"])

    service_id = c.get("service_id") or derived_id("template", "service", org_id, normalise(c["service_name"]))
    svc: dict[str, Any] = {"id": service_id, "organization_id": org_id, "name": c["service_name"], "status": "active"}
    _put(svc, "description", c.get("service_description"))
    _put(svc, "url", c.get("service_url"))
    _put(svc, "email", c.get("service_email"))
    if "min_age" in numbers:
        svc["minimum_age"] = numbers["min_age"]
    if "max_age" in numbers:
        svc["maximum_age"] = numbers["max_age"]
    tables.add(Row("service", svc, src))
    if c.get("service_phone"):
        tables.add(
            Row(
                "phone",
                {"id": derived_id("phone", service_id), "service_id": service_id, "number": c["service_phone"]},
                src,
            )
        )
    paid = free in {"no", "false", "нет", "0"}
    cost: dict[str, Any] = {"id": derived_id("cost", service_id), "service_id": service_id}
    cost.update({"option": "Paid"} if paid else {"option": "Free of charge", "amount": 0})
    tables.add(Row("cost_option", cost, src))
    for term in categories + groups:
        _attribute(tables, src, service_id, "service", term, None)
    for fmt in formats:
        _attribute(tables, src, service_id, "service", vocab.SERVICE_FORMAT.id, fmt)
    if c.get("area"):
        area_id = derived_id("service_area", service_id)
        tables.add(Row("service_area", {"id": area_id, "service_id": service_id, "name": c["area"]}, src))
        _attribute(tables, src, area_id, "service_area", vocab.SERVICE_AREA.id, c["area"])
    if location_id is not None:
        tables.add(
            Row(
                "service_at_location",
                {
                    "id": derived_id("template", "link", service_id, location_id),
                    "service_id": service_id,
                    "location_id": location_id,
                },
                src,
            )
        )


def _put(obj: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        obj[key] = value


def _attribute(tables: Tables, src: Source, link_id: str, entity: str, term_id: str, value: str | None) -> None:
    row: dict[str, Any] = {
        "id": derived_id("attribute", link_id, term_id, value or ""),
        "link_id": link_id,
        "link_entity": entity,
        "link_type": entity,
        "taxonomy_term_id": term_id,
    }
    if value:
        row["value"] = value
    tables.add(Row("attribute", row, src))

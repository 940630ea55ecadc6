"""Loading the seed data (``fixtures/seed.json``): services that upsert the
taxonomy, target groups, networks and seed organisations.

Idempotent by design: every object is matched by a stable key (a slug; for an
organisation's locations and services, the seed ``key`` recorded in their
``source`` as a tag, since those models have no slug) and written only when a
field differs, so a second load writes nothing and adds no history rows. The
loader adds and updates; it never deletes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import models, transaction

from orgs.models import (
    Category,
    Location,
    Membership,
    Network,
    Organisation,
    Place,
    Service,
    ServiceAtLocation,
    TargetGroup,
)
from orgs.search import index as search_index

DEFAULT_SEED_PATH = Path(settings.BASE_DIR) / "fixtures" / "seed.json"
SEED_KEY_TAG = "[seed-key: {key}]"

# Errors a person editing the seed file sees; they say what to fix.
ERROR_NOT_AN_OBJECT = "The seed file must hold one JSON object with categories, target_groups, networks, organisations."
ERROR_MISSING_KEY = "{where}: the required key {key!r} is missing; add it to the seed file."
ERROR_UNKNOWN_REF = "{where}: {kind} {slug!r} is not defined in the seed file or the database; define it first."
ERROR_DUPLICATE_KEY = (
    "{where}: the key {key!r} is used twice in one organisation; keys must be unique per organisation."
)

M = TypeVar("M", bound=models.Model)

# Points closer than this (degrees, about 1 mm) are the same point: PostGIS
# round-trips a double exactly, but the JSON may be re-typed by hand.
POINT_TOLERANCE_DEG = 1e-8


class SeedError(ValueError):
    """The seed file is malformed or refers to something it does not define."""


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def record(self, kind: str, state: str) -> None:
        {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}[state][kind] += 1

    def summary(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            parts = ", ".join(f"{kind} {n}" for kind, n in sorted(counter.items()) if n)
            total = sum(counter.values())
            return f"{total}" + (f" ({parts})" if parts else "")

        return f"created {fmt(self.created)}; updated {fmt(self.updated)}; unchanged {fmt(self.unchanged)}"


# --- entry points --------------------------------------------------------------


def seed_load(*, path: Path = DEFAULT_SEED_PATH) -> SeedReport:
    """Read the seed file and apply it in one transaction."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return seed_apply(data=data)


@transaction.atomic
def seed_apply(*, data: Any) -> SeedReport:
    """Upsert everything in the seed document. All or nothing: the deferred
    "a published organisation is findable" trigger checks each organisation at
    commit, after its locations and services exist."""
    if not isinstance(data, dict):
        raise SeedError(ERROR_NOT_AN_OBJECT)
    report = SeedReport()
    # One search-index refresh per organisation at the end, not one per row.
    with search_index.deferred():
        categories = {
            c.slug: c
            for c in (category_upsert(row=row, report=report) for row in _rows(data, "categories", where="categories"))
        }
        target_groups = {
            t.slug: t
            for t in (
                target_group_upsert(row=row, report=report)
                for row in _rows(data, "target_groups", where="target_groups")
            )
        }
        networks = {
            n.slug: n
            for n in (network_upsert(row=row, report=report) for row in _rows(data, "networks", where="networks"))
        }
        for row in _rows(data, "organisations", where="organisations"):
            organisation_upsert(
                row=row, categories=categories, target_groups=target_groups, networks=networks, report=report
            )
    return report


# --- one kind each ---------------------------------------------------------------


def category_upsert(*, row: dict[str, Any], report: SeedReport) -> Category:
    where = f"category {row.get('slug')!r}"
    parent_slug = row.get("parent")
    parent_id: int | None = None
    if parent_slug:
        parent = Category.objects.filter(slug=parent_slug).first()
        if parent is None:
            raise SeedError(ERROR_UNKNOWN_REF.format(where=where, kind="parent category", slug=parent_slug))
        parent_id = parent.pk
    values = {
        "parent_id": parent_id,
        "name_ru": _req(row, "name_ru", where),
        "name_en": _req(row, "name_en", where),
        "name_uk": row.get("name_uk", ""),
        "description": row.get("description", ""),
        "position": row.get("position", 0),
        "source": _req(row, "source", where),
    }
    slug = _req(row, "slug", where)
    obj, state = _upsert(Category.objects.filter(slug=slug).first(), Category, fixed={"slug": slug}, values=values)
    report.record("categories", state)
    return obj


def target_group_upsert(*, row: dict[str, Any], report: SeedReport) -> TargetGroup:
    where = f"target group {row.get('slug')!r}"
    values = {
        "name_ru": _req(row, "name_ru", where),
        "name_en": _req(row, "name_en", where),
        "name_uk": row.get("name_uk", ""),
        "position": row.get("position", 0),
        "source": _req(row, "source", where),
    }
    slug = _req(row, "slug", where)
    obj, state = _upsert(
        TargetGroup.objects.filter(slug=slug).first(), TargetGroup, fixed={"slug": slug}, values=values
    )
    report.record("target_groups", state)
    return obj


def network_upsert(*, row: dict[str, Any], report: SeedReport) -> Network:
    where = f"network {row.get('slug')!r}"
    values = {
        "name": _req(row, "name", where),
        "name_en": row.get("name_en", ""),
        "description": row.get("description", ""),
        "website": row.get("website", ""),
        "countries": list(row.get("countries", [])),
        "roles": list(_req(row, "roles", where)),
        "min_recommendations": row.get("min_recommendations", 0),
        "candidate_term_days": row.get("candidate_term_days"),
        "auto_match_experts": row.get("auto_match_experts", False),
        "eligibility": list(row.get("eligibility", [])),
        "contact_email": row.get("contact_email", ""),
        "source": _req(row, "source", where),
    }
    slug = _req(row, "slug", where)
    obj, state = _upsert(Network.objects.filter(slug=slug).first(), Network, fixed={"slug": slug}, values=values)
    report.record("networks", state)
    return obj


def organisation_upsert(
    *,
    row: dict[str, Any],
    categories: dict[str, Category],
    target_groups: dict[str, TargetGroup],
    networks: dict[str, Network],
    report: SeedReport,
) -> Organisation:
    """An organisation with its locations, services and memberships. Contacts
    (website, e-mail, phones, addresses) are written only if the seed has them."""
    where = f"organisation {row.get('slug')!r}"
    values = {
        "name": _req(row, "name", where),
        "description": row.get("description", ""),
        "description_en": row.get("description_en", ""),
        "description_uk": row.get("description_uk", ""),
        "legal_form": _req(row, "legal_form", where),
        "country": row.get("country", "RU"),
        "website": row.get("website", ""),
        "email": row.get("email", ""),
        "status": _req(row, "status", where),
        "source": _req(row, "source", where),
    }
    slug = _req(row, "slug", where)
    org, state = _upsert(
        Organisation.objects.filter(slug=slug).first(), Organisation, fixed={"slug": slug}, values=values
    )
    report.record("organisations", state)

    locations: dict[str, Location] = {}
    for loc_row in row.get("locations", []):
        key = _req(loc_row, "key", f"{where}, location")
        if key in locations:
            raise SeedError(ERROR_DUPLICATE_KEY.format(where=where, key=key))
        locations[key] = location_upsert(organisation=org, row=loc_row, report=report)

    seen_services: set[str] = set()
    for svc_row in row.get("services", []):
        key = _req(svc_row, "key", f"{where}, service")
        if key in seen_services:
            raise SeedError(ERROR_DUPLICATE_KEY.format(where=where, key=key))
        seen_services.add(key)
        service_upsert(
            organisation=org,
            row=svc_row,
            categories=categories,
            target_groups=target_groups,
            locations=locations,
            report=report,
        )

    for mem_row in row.get("memberships", []):
        membership_upsert(organisation=org, row=mem_row, networks=networks, report=report)
    return org


def location_upsert(*, organisation: Organisation, row: dict[str, Any], report: SeedReport) -> Location:
    where = f"organisation {organisation.slug!r}, location {row.get('key')!r}"
    tag = SEED_KEY_TAG.format(key=row["key"])
    point = None
    if "lat" in row or "lon" in row:
        point = Point(float(_req(row, "lon", where)), float(_req(row, "lat", where)), srid=4326)
    geonameid = row.get("geonameid")
    # Linked to the gazetteer town only if the gazetteer has been loaded.
    place_id = geonameid if geonameid and Place.objects.filter(pk=geonameid).exists() else None
    values = {
        "name": row.get("name", ""),
        "kind": row.get("kind", "physical"),
        "point": point,
        "visibility": _req(row, "visibility", where),
        "address": row.get("address", ""),
        "city": row.get("city", ""),
        "region": row.get("region", ""),
        "country": row.get("country", "RU"),
        "place_id": place_id,
        "timezone": _req(row, "timezone", where),
        "languages": list(row.get("languages", [])),
        "phone": row.get("phone", ""),
        "source": _tagged(_req(row, "source", where), tag),
    }
    existing = Location.objects.filter(organisation=organisation, source__contains=tag).first()
    obj, state = _upsert(existing, Location, fixed={"organisation": organisation}, values=values)
    report.record("locations", state)
    return obj


def service_upsert(
    *,
    organisation: Organisation,
    row: dict[str, Any],
    categories: dict[str, Category],
    target_groups: dict[str, TargetGroup],
    locations: dict[str, Location],
    report: SeedReport,
) -> Service:
    where = f"organisation {organisation.slug!r}, service {row.get('key')!r}"
    tag = SEED_KEY_TAG.format(key=row["key"])
    values = {
        "name": _req(row, "name", where),
        "description": row.get("description", ""),
        "formats": list(_req(row, "formats", where)),
        "is_free": row.get("is_free", True),
        "eligibility": row.get("eligibility", ""),
        "languages": list(row.get("languages", [])),
        "phone": row.get("phone", ""),
        "email": row.get("email", ""),
        "url": row.get("url", ""),
        "area_kind": _req(row, "area_kind", where),
        "area_country": row.get("area_country", ""),
        "area_region": row.get("area_region", ""),
        "source": _tagged(_req(row, "source", where), tag),
    }
    existing = Service.objects.filter(organisation=organisation, source__contains=tag).first()
    service, state = _upsert(existing, Service, fixed={"organisation": organisation}, values=values)

    wanted_categories = {
        _ref(categories, Category, slug, where, "category").pk for slug in _req(row, "categories", where)
    }
    wanted_groups = {
        _ref(target_groups, TargetGroup, slug, where, "target group").pk for slug in row.get("target_groups", [])
    }
    m2m_changed = False
    if set(service.categories.values_list("pk", flat=True)) != wanted_categories:
        service.categories.set(wanted_categories)
        m2m_changed = True
    if set(service.target_groups.values_list("pk", flat=True)) != wanted_groups:
        service.target_groups.set(wanted_groups)
        m2m_changed = True
    report.record("services", "updated" if m2m_changed and state == "unchanged" else state)

    for loc_key in row.get("locations", []):
        location = locations.get(loc_key)
        if location is None:
            raise SeedError(ERROR_UNKNOWN_REF.format(where=where, kind="location key", slug=loc_key))
        if not ServiceAtLocation.objects.filter(service=service, location=location).exists():
            link = ServiceAtLocation(service=service, location=location)
            link.full_clean()
            link.save()
            report.created["service_links"] += 1
        else:
            report.unchanged["service_links"] += 1
    return service


def membership_upsert(
    *, organisation: Organisation, row: dict[str, Any], networks: dict[str, Network], report: SeedReport
) -> Membership:
    where = f"organisation {organisation.slug!r}, membership"
    network = _ref(networks, Network, _req(row, "network", where), where, "network")
    since = row.get("since")
    until = row.get("until")
    values = {
        "role": _req(row, "role", where),
        "status": _req(row, "status", where),
        "since": date.fromisoformat(since) if since else None,
        "until": date.fromisoformat(until) if until else None,
        "note": row.get("note", ""),
        "source": _req(row, "source", where),
        # Imported from the coalition's own documents: a founding member.
        "founding": row.get("role") == "member" and row.get("status") == "active",
    }
    existing = Membership.objects.filter(organisation=organisation, network=network).first()
    obj, state = _upsert(existing, Membership, fixed={"organisation": organisation, "network": network}, values=values)
    report.record("memberships", state)
    return obj


# --- helpers ---------------------------------------------------------------------


def _upsert(existing: M | None, model: type[M], *, fixed: dict[str, Any], values: dict[str, Any]) -> tuple[M, str]:
    """Create the object (``fixed`` + ``values``) or update the ``values`` that
    differ; ``full_clean()`` before every save, and no save when nothing differs.
    Returns the object and "created", "updated" or "unchanged"."""
    if existing is None:
        obj = model(**fixed, **values)
        _validate(obj)
        obj.save()
        return obj, "created"
    changed = [name for name, value in values.items() if not _same(getattr(existing, name), value)]
    if not changed:
        return existing, "unchanged"
    for name in changed:
        setattr(existing, name, values[name])
    _validate(existing)
    existing.save()
    return existing, "updated"


def _validate(obj: models.Model) -> None:
    obj.full_clean()


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, GEOSGeometry) or isinstance(wanted, GEOSGeometry):
        if current is None or wanted is None:
            return current is wanted
        return bool(current.srid == wanted.srid and current.equals_exact(wanted, POINT_TOLERANCE_DEG))
    return bool(current == wanted)


def _tagged(source: str, tag: str) -> str:
    return f"{source.rstrip()}\n{tag}"


def _req(row: dict[str, Any], key: str, where: str) -> Any:
    if key not in row:
        raise SeedError(ERROR_MISSING_KEY.format(where=where, key=key))
    return row[key]


def _rows(data: dict[str, Any], key: str, *, where: str) -> list[dict[str, Any]]:
    rows = _req(data, key, where)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SeedError(ERROR_NOT_AN_OBJECT)
    return rows


def _ref(known: dict[str, M], model: type[M], slug: str, where: str, kind: str) -> M:
    """An object defined in this seed file, or already in the database."""
    if slug in known:
        return known[slug]
    obj = model._default_manager.filter(slug=slug).first()
    if obj is None:
        raise SeedError(ERROR_UNKNOWN_REF.format(where=where, kind=kind, slug=slug))
    known[slug] = obj
    return obj

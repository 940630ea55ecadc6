"""The directory as HSDS 3 objects: what the HSDS API serves and the export writes.

Only public facts: a location's coordinates are its ``public_position``
(blurred for approximate and city visibility) and its street address its
``public_address`` (given only when the visibility is exact); experts,
registrants, internal notes and sources never appear; a 12-digit ИНН and a
15-digit ОГРНИП (a person's) and personal identifiers of other countries are
left out (``Organisation.public_inn``, ``public_ogrn``, ``public_identifiers``).
The rules are the models' (orgs/models/directory.py), shared with the API and
the pages.

Callers pass objects fetched by ``orgs.hsds.selectors`` (everything nested is
prefetched) and a ``Vocabulary`` (the small taxonomy tables, read once), so
serializing a page costs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from orgs import models as m
from orgs.hsds import vocab
from orgs.hsds.vocab import derived_id


def timestamp(value: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds (the precision an import restores)."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _put(obj: dict[str, Any], key: str, value: Any) -> None:
    """Set optional fields only when they have a value (HSDS has no nulls)."""
    if value not in (None, "", []):
        obj[key] = value


@dataclass
class Vocabulary:
    """The taxonomy tables, read once per request or export (they are small)."""

    categories: dict[int, m.Category] = field(default_factory=dict)
    target_groups: dict[int, m.TargetGroup] = field(default_factory=dict)
    networks: dict[int, m.Network] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Vocabulary:
        return cls(
            categories={c.pk: c for c in m.Category.objects.all()},
            target_groups={t.pk: t for t in m.TargetGroup.objects.all()},
            networks={n.pk: n for n in m.Network.objects.all()},
        )

    # --- taxonomy terms ---

    def category_term(self, cat: m.Category) -> dict[str, Any]:
        term: dict[str, Any] = {
            "id": str(cat.uuid),
            "code": cat.slug,
            "name": cat.name_ru,
            "description": cat.description,
            "taxonomy": vocab.CATEGORIES.name,
            "taxonomy_id": vocab.CATEGORIES.id,
            "language": "ru",
        }
        parent = self.categories.get(cat.parent_id) if cat.parent_id else None
        if parent is not None:
            term["parent_id"] = str(parent.uuid)
        return term

    def target_group_term(self, group: m.TargetGroup) -> dict[str, Any]:
        return {
            "id": str(group.uuid),
            "code": group.slug,
            "name": group.name_ru,
            "description": group.name_en,
            "taxonomy": vocab.TARGET_GROUPS.name,
            "taxonomy_id": vocab.TARGET_GROUPS.id,
            "language": "ru",
        }

    def coalition_term(self, network: m.Network) -> dict[str, Any]:
        return {
            "id": vocab.coalition_term_id(network.slug),
            "code": network.slug,
            "name": network.name,
            "description": network.description,
            "taxonomy": vocab.COALITIONS.name,
            "taxonomy_id": vocab.COALITIONS.id,
            "language": "ru",
        }

    def terms(self) -> list[dict[str, Any]]:
        """Every term of the project's taxonomies, in a stable order."""
        found = [self.category_term(c) for c in self.categories.values()]
        found += [self.target_group_term(t) for t in self.target_groups.values()]
        found += [self.coalition_term(n) for n in self.networks.values()]
        found += [t.as_hsds() for t in vocab.ATTRIBUTE_TERMS]
        return sorted(found, key=lambda t: t["id"])


def _attribute(
    *, link_id: str, link_entity: str, term: dict[str, Any], value: str | None = None, key: str = ""
) -> dict[str, Any]:
    attr: dict[str, Any] = {
        "id": derived_id("attribute", link_id, term["id"], key or value or ""),
        "link_id": link_id,
        "link_type": link_entity,
        "link_entity": link_entity,
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    _put(attr, "value", value)
    return attr


def _language(owner_key: str, owner_id: str, code: str) -> dict[str, Any]:
    return {"id": derived_id("language", owner_id, code), owner_key: owner_id, "code": code}


# --- organizations ------------------------------------------------------------------


def organization(org: m.Organisation, voc: Vocabulary, *, full: bool) -> dict[str, Any]:
    oid = str(org.uuid)
    obj: dict[str, Any] = {"id": oid, "name": org.name, "description": org.description}
    _put(obj, "email", org.email)
    _put(obj, "website", org.website)
    _put(obj, "tax_id", org.public_inn)
    with translation.override("en"):
        obj["legal_status"] = str(m.LegalForm(org.legal_form).label)
    if not full:
        return obj
    obj["locations"] = [location(loc, full=True) for loc in _sorted(org.locations.all())]
    identifiers = []
    ogrn = org.public_ogrn
    if ogrn:
        identifiers.append(
            {
                "id": derived_id("identifier", oid, "RU-OGRN", ogrn),
                "organization_id": oid,
                "identifier_scheme": "RU-OGRN",
                "identifier_type": "ОГРН",
                "identifier": ogrn,
            }
        )
    for ident in org.public_identifiers:
        identifiers.append(
            {
                "id": derived_id("identifier", oid, ident.scheme, ident.identifier),
                "organization_id": oid,
                "identifier_scheme": ident.scheme,
                "identifier_type": ident.scheme,
                "identifier": ident.identifier,
            }
        )
    obj["organization_identifiers"] = sorted(identifiers, key=lambda i: i["id"])
    memberships = getattr(org, "active_memberships", None)
    if memberships is None:
        memberships = org.memberships.filter(status=m.MembershipStatus.ACTIVE).select_related("network")
    attributes = []
    for membership in memberships:
        network = voc.networks.get(membership.network_id) or membership.network
        attributes.append(
            _attribute(
                link_id=oid,
                link_entity="organization",
                term=voc.coalition_term(network),
                value=vocab.membership_value(membership.role, membership.since),
                key=network.slug,
            )
        )
    obj["attributes"] = sorted(attributes, key=lambda a: a["id"])
    return obj


# --- locations ---------------------------------------------------------------------


def location(loc: m.Location, *, full: bool) -> dict[str, Any]:
    lid = str(loc.uuid)
    physical = loc.kind == m.LocationKind.PHYSICAL
    obj: dict[str, Any] = {
        "id": lid,
        "location_type": "physical" if physical else "virtual",
        "organization_id": str(loc.organisation.uuid),
    }
    _put(obj, "name", loc.name)
    position = loc.public_position
    if position is not None:
        # The public position only: for protected locations, the blurred point.
        obj["latitude"] = position.lat
        obj["longitude"] = position.lon
    if not full:
        return obj
    obj["languages"] = [_language("location_id", lid, code) for code in loc.languages]
    address = loc.public_address
    if address or loc.city or loc.region:
        obj["addresses"] = [
            {
                "id": derived_id("address", lid),
                "location_id": lid,
                "address_1": address,
                "city": loc.city,
                "region": loc.region,
                "state_province": loc.region,
                "postal_code": "",
                "country": loc.country,
                "address_type": "physical" if physical else "postal",
            }
        ]
    if loc.phone:
        obj["phones"] = [{"id": derived_id("phone", lid), "location_id": lid, "number": loc.phone}]
    if loc.accessibility:
        obj["accessibility"] = [
            {"id": derived_id("accessibility", lid), "location_id": lid, "description": loc.accessibility}
        ]
    obj["schedules"] = [_opening(lid, h) for h in loc.hours.all()]
    attributes = [
        _attribute(link_id=lid, link_entity="location", term=vocab.VISIBILITY.as_hsds(), value=loc.visibility),
        _attribute(link_id=lid, link_entity="location", term=vocab.TIME_ZONE.as_hsds(), value=loc.timezone),
    ]
    obj["attributes"] = sorted(attributes, key=lambda a: a["id"])
    return obj


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _opening(location_id: str, hours: m.OpeningHours) -> dict[str, Any]:
    opens, closes = hours.opens.strftime("%H:%M"), hours.closes.strftime("%H:%M")
    return {
        "id": derived_id("schedule", location_id, hours.weekday, opens, closes),
        "location_id": location_id,
        "freq": "WEEKLY",
        "wkst": "MO",
        "byday": WEEKDAYS[hours.weekday],
        "opens_at": opens,
        "closes_at": closes,
    }


# --- services ---------------------------------------------------------------------


def service(svc: m.Service, voc: Vocabulary, *, full: bool, nested_locations: bool = True) -> dict[str, Any]:
    sid = str(svc.uuid)
    obj: dict[str, Any] = {
        "id": sid,
        "organization_id": str(svc.organisation.uuid),
        "name": svc.name,
        "status": "active",
    }
    _put(obj, "description", svc.description)
    _put(obj, "url", svc.url)
    _put(obj, "email", svc.email)
    _put(obj, "eligibility_description", svc.eligibility)
    _put(obj, "minimum_age", svc.min_age)
    _put(obj, "maximum_age", svc.max_age)
    obj["last_modified"] = timestamp(svc.updated_at)
    obj["organization"] = organization(svc.organisation, voc, full=False)
    if not full:
        return obj
    if svc.phone:
        obj["phones"] = [{"id": derived_id("phone", sid), "service_id": sid, "number": svc.phone}]
    area = service_area(svc)
    obj["service_areas"] = [area] if area else []
    links = _sorted(svc.at_locations.all())
    obj["service_at_locations"] = [
        service_at_location(link, voc, full=nested_locations, with_service=False) for link in links
    ]
    obj["languages"] = [_language("service_id", sid, code) for code in svc.languages]
    obj["cost_options"] = [_cost_option(svc)]
    attributes = [
        _attribute(link_id=sid, link_entity="service", term=voc.category_term(voc.categories.get(c.pk, c)))
        for c in svc.categories.all()
    ]
    attributes += [
        _attribute(link_id=sid, link_entity="service", term=voc.target_group_term(voc.target_groups.get(t.pk, t)))
        for t in svc.target_groups.all()
    ]
    attributes += [
        _attribute(link_id=sid, link_entity="service", term=vocab.SERVICE_FORMAT.as_hsds(), value=f)
        for f in svc.formats
    ]
    obj["attributes"] = sorted(attributes, key=lambda a: a["id"])
    return obj


def _cost_option(svc: m.Service) -> dict[str, Any]:
    sid = str(svc.uuid)
    if svc.is_free:
        return {"id": derived_id("cost", sid), "service_id": sid, "option": "Free of charge", "amount": 0}
    return {
        "id": derived_id("cost", sid),
        "service_id": sid,
        "option": "Paid",
        "amount_description": "Paid; ask the service about the price.",
    }


def service_area(svc: m.Service) -> dict[str, Any] | None:
    """The service's area, or None for "only at its locations" (HSDS's default reading)."""
    sid = str(svc.uuid)
    kind = svc.area_kind
    if kind == m.AreaKind.LOCATIONS:
        return None
    area: dict[str, Any] = {"id": derived_id("service_area", sid), "service_id": sid}
    value: str
    if kind == m.AreaKind.ANYWHERE:
        area["name"], value = "Anywhere", "anywhere"
    elif kind == m.AreaKind.COUNTRY:
        area["name"], value = svc.area_country, f"country:{svc.area_country}"
    elif kind == m.AreaKind.REGION:
        area["name"], value = svc.area_region, f"region:{svc.area_region}"
    elif kind == m.AreaKind.CITY and svc.area_place is not None:
        place = svc.area_place
        area["name"], value = (place.name_ru or place.name), f"city:{place.geonameid}"
    elif kind == m.AreaKind.RADIUS:
        area["name"], value = f"Within {svc.area_radius_km} km of its locations", f"radius:{svc.area_radius_km}"
    elif kind == m.AreaKind.POLYGON and svc.area_polygon is not None:
        area["name"], value = "Drawn area", "polygon"
        area["extent"] = json.dumps(json.loads(svc.area_polygon.json), separators=(",", ":"))
        area["extent_type"] = "geojson"
    else:
        return None
    area["attributes"] = [
        _attribute(link_id=area["id"], link_entity="service_area", term=vocab.SERVICE_AREA.as_hsds(), value=value)
    ]
    return area


# --- service at location -----------------------------------------------------------


def service_at_location(
    link: m.ServiceAtLocation, voc: Vocabulary, *, full: bool, with_service: bool = True
) -> dict[str, Any]:
    """``full``: the location fully nested (HSDS's full service_at_location);
    otherwise the list form, with the location's and the service's one-to-one fields."""
    obj: dict[str, Any] = {
        "id": str(link.uuid),
        "service_id": str(link.service.uuid),
        "location_id": str(link.location.uuid),
    }
    if full:
        obj["location"] = location(link.location, full=True)
        return obj
    obj["location"] = location(link.location, full=False)
    if with_service:
        obj["service"] = service(link.service, voc, full=False)
    return obj


def _sorted(objs: Any) -> list[Any]:
    return sorted(objs, key=lambda o: str(o.uuid))

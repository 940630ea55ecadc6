"""Stable HSDS ids and the project's own taxonomies.

Organisations, locations, services, service-at-locations, categories and
target groups carry their own ``uuid``. Everything else HSDS wants an id for
(an address, a phone, a schedule row, a language, an attribute, a coalition…)
gets a UUID derived (version 5) from its owner's id and what it is, so the
same data always has the same ids: an export is reproducible, and importing
it twice finds the same objects.

The project's fields that HSDS has no field for travel as HSDS attributes
whose taxonomy terms are defined here (and documented in docs/hsds.md):

- ``visibility`` on a location: exact, approximate or city. For approximate
  and city the coordinates in the file are the *public* (blurred) position.
- ``time_zone`` on a location: an IANA name (HSDS schedules only know offsets).
- ``service_format`` on a service: in_person, online, phone (one attribute each).
- ``service_area`` on a service area: anywhere, country:RU, region:RU.60,
  city:<GeoNames id>, radius:<km>, polygon.
- a term per coalition (taxonomy "coalitions") on an organisation: the value
  is the role, with the date it started when known ("member since 2021-03-01").
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

# Never change: every derived id depends on it.
NAMESPACE = uuid.UUID("6f1d3c1e-8a54-4c1b-9a55-2f0c5b1e7a10")


def derived_id(*parts: object) -> str:
    """A stable UUID for a thing that has no id of its own, from its owner and kind."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class Taxonomy:
    key: str
    name: str
    description: str

    @functools.cached_property
    def id(self) -> str:  # a hash: computed once (the importer asks for it on every attribute row)
        return derived_id("taxonomy", self.key)

    def as_hsds(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "description": self.description, "version": "1"}


CATEGORIES = Taxonomy(
    "categories",
    "Help Locator: categories of help",
    "What a service offers; a two-level tree from the coalitions' own documents.",
)
TARGET_GROUPS = Taxonomy(
    "target-groups",
    "Help Locator: target groups",
    "Who a service is for.",
)
COALITIONS = Taxonomy(
    "coalitions",
    "Help Locator: coalitions",
    "Networks and alliances of organisations. An attribute with one of these terms on an organization says that it "
    "is an active participant; its value is the role (member, candidate, partner, participant), followed by "
    "' since YYYY-MM-DD' when the start date is known.",
)
PROJECT = Taxonomy(
    "attributes",
    "Help Locator: directory attributes",
    "Facts of the Help Locator directory that HSDS has no field for (see docs/hsds.md).",
)
TAXONOMIES = (CATEGORIES, TARGET_GROUPS, COALITIONS, PROJECT)


@dataclass(frozen=True)
class AttributeTerm:
    code: str
    name: str
    description: str
    link_entity: str

    @functools.cached_property
    def id(self) -> str:
        return derived_id("term", PROJECT.key, self.code)

    def as_hsds(self) -> dict[str, str]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "taxonomy": PROJECT.name,
            "taxonomy_id": PROJECT.id,
            "language": "en",
        }


VISIBILITY = AttributeTerm(
    "visibility",
    "Visibility of a location",
    "exact: the coordinates and address are the real ones. approximate: the coordinates are a fixed point 1-2 km "
    "from the real place and the street address is withheld. city: the coordinates are the centre of the town and "
    "the street address is withheld. Used to protect shelters and harm-reduction points.",
    "location",
)
TIME_ZONE = AttributeTerm(
    "time_zone",
    "Time zone of a location",
    "The IANA time zone (e.g. Europe/Moscow) in which the location's opening hours are given.",
    "location",
)
SERVICE_FORMAT = AttributeTerm(
    "service_format",
    "How a service is delivered",
    "in_person, online or phone; one attribute per format.",
    "service",
)
SERVICE_AREA = AttributeTerm(
    "service_area",
    "Kind of service area",
    "anywhere; country:<ISO code>; region:<country>.<GeoNames admin1 code>; city:<GeoNames id>; "
    "radius:<km around the service's locations>; polygon (the extent is GeoJSON).",
    "service_area",
)
ATTRIBUTE_TERMS = (VISIBILITY, TIME_ZONE, SERVICE_FORMAT, SERVICE_AREA)
ATTRIBUTE_TERMS_BY_ID = {t.id: t for t in ATTRIBUTE_TERMS}


def coalition_term_id(slug: str) -> str:
    return derived_id("term", COALITIONS.key, slug)


def membership_value(role: str, since: object | None) -> str:
    return f"{role} since {since}" if since else role


def parse_membership_value(value: str) -> tuple[str, str | None]:
    role, _, since = value.strip().partition(" since ")
    return role.strip(), (since.strip() or None)

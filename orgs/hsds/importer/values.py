"""Reading values out of HSDS rows, and comparing them with what the directory
holds: pure functions, no database (slugs, legal forms, identifier schemes,
times, costs, areas, positions)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import random
import zoneinfo
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models
from django.utils.text import slugify

from orgs import geo
from orgs import models as m
from orgs.gazetteer import transliterate_ru
from orgs.hsds.tabular import Row

COORD_TOLERANCE = 1e-7  # degrees (~1 cm): the same position

DEFAULT_TIMEZONES = {
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "BY": "Europe/Minsk",
    "MD": "Europe/Chisinau",
    "KZ": "Asia/Almaty",
    "UZ": "Asia/Tashkent",
    "KG": "Asia/Bishkek",
    "TJ": "Asia/Dushanbe",
    "TM": "Asia/Ashgabat",
    "AZ": "Asia/Baku",
    "AM": "Asia/Yerevan",
    "GE": "Asia/Tbilisi",
    "EE": "Europe/Tallinn",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
}
PAID_WORDS = ("paid", "fee", "платн")
# Choices.values builds its list on every call.
VISIBILITIES = frozenset(m.Visibility.values)
SERVICE_FORMATS = frozenset(m.ServiceFormat.values)


@functools.cache
def time_zones() -> frozenset[str]:
    # zoneinfo.available_timezones() walks the zone files on every call.
    return frozenset(zoneinfo.available_timezones())


def django_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(str(msg) for msg in msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(str(msg) for msg in exc.messages)


def db_message(exc: DatabaseError) -> str:
    return str(exc).strip().splitlines()[0][:300]


def same(current: Any, wanted: Any) -> bool:
    if isinstance(current, GEOSGeometry) or isinstance(wanted, GEOSGeometry):
        if current is None or wanted is None:
            return current is wanted
        if isinstance(current, Point) and isinstance(wanted, Point):
            return abs(current.x - wanted.x) <= COORD_TOLERANCE and abs(current.y - wanted.y) <= COORD_TOLERANCE
        return bool(current.equals_exact(wanted, COORD_TOLERANCE))
    if isinstance(current, models.Model) or isinstance(wanted, models.Model):
        return getattr(current, "pk", None) == getattr(wanted, "pk", None)
    if isinstance(current, list) and isinstance(wanted, list) and all(isinstance(v, str) for v in current + wanted):
        # Lists of codes (languages): HSDS carries them as separate rows, in no set order.
        return sorted(current) == sorted(wanted)
    return bool(current == wanted)


def unique_slug(name: str, taken: set[str], limit: int = 80) -> str:
    base = slugify(transliterate_ru(name))[: limit - 8] or "item"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def legal_form(text: str) -> str:
    lowered = text.strip().lower()
    for form in m.LegalForm:
        if lowered in {form.value, str(form.label).lower()}:
            return form.value
    from django.utils import translation

    with translation.override("en"):
        for form in m.LegalForm:
            if lowered == str(form.label).lower():
                return form.value
    return m.LegalForm.OTHER.value


def identifier_scheme(row: Row) -> str:
    scheme = str(row.data.get("identifier_scheme") or row.data.get("identifier_type") or "").strip()
    upper = scheme.upper()
    if upper in {"RU-OGRN", "OGRN", "ОГРН", "RU-OGRNIP", "OGRNIP", "ОГРНИП"}:
        return "RU-OGRN"
    if upper in {"RU-INN", "INN", "ИНН"}:
        return "RU-INN"
    return scheme


def first_country(locations: list[Row], addresses: dict[str, list[Row]]) -> str | None:
    for loc in locations:
        for address in addresses.get(loc.id, []):
            country = str(address.data.get("country", "")).strip().upper()
            if len(country) == 2 and country.isalpha():
                return country
    return None


def pick_address(rows: list[Row]) -> Row | None:
    for row in rows:
        if row.data.get("address_type") == "physical":
            return row
    return rows[0] if rows else None


def parse_time(text: str) -> dt.time:
    parts = text.strip().split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError(text)
        hour, minute = int(parts[0]), int(parts[1])
        # "24:00" is how schedules write closing at midnight; any other hour past 23
        # ("25:00") is a typo, refused rather than wrapped round to the small hours.
        return dt.time(0, 0) if (hour, minute) == (24, 0) else dt.time(hour, minute)
    except ValueError:
        raise ValueError(f"not a time: {text!r}") from None


def is_free(cost: dict[str, Any]) -> bool:
    if "amount" in cost:
        return float(cost["amount"]) == 0
    option = str(cost.get("option", "")).lower()
    return not any(word in option for word in PAID_WORDS)


def polygon_from_geojson(extent: str) -> MultiPolygon | None:
    try:
        geometry = GEOSGeometry(json.dumps(json.loads(extent)))
    except (ValueError, GEOSException, TypeError):
        return None
    geometry.srid = 4326
    if isinstance(geometry, Polygon):
        return MultiPolygon(geometry, srid=4326)
    if isinstance(geometry, MultiPolygon):
        return geometry
    return None


def area_fields(kind: str, **values: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "area_kind": kind,
        "area_country": "",
        "area_region": "",
        "area_place_id": None,
        "area_radius_km": None,
        "area_polygon": None,
    }
    fields.update(values)
    return fields


def derive_public_point(location: m.Location) -> None:
    """From a true point (the template, or a town's centre): blurred as on every save."""
    location.public_point = geo.public_point_for(location)


def unblur(public: Point, seed: int, radius_m: float) -> Point:
    """A point whose blur (``orgs.geo.blurred`` with this seed) is ``public``:
    the blur is a fixed offset, so a few fixed-point steps find it exactly.
    The steps run on plain floats (a GEOS point per step cost milliseconds):
    the same bearing and distance as ``geo.blurred`` draws, and
    ``geo.destination``'s formula."""
    rng = random.Random(seed)  # noqa: S311 - as geo.blurred: deterministic by design
    bearing = math.radians(rng.uniform(0, 360))
    d = rng.uniform(radius_m / 2, radius_m) / geo.EARTH_RADIUS_M
    px, py = public.x, public.y
    x, y = px, py
    for _ in range(8):
        lat1, lon1 = math.radians(y), math.radians(x)
        lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing))
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
        )
        moved_x, moved_y = (math.degrees(lon2) + 540) % 360 - 180, math.degrees(lat2)
        x, y = x + (px - moved_x), y + (py - moved_y)
    return Point(x, y, srid=4326)

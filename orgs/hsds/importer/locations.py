"""HSDS locations with their addresses, phones, languages, accessibility and
weekly schedules become locations and opening hours; the true and public
points follow the location's visibility."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D

from orgs import geo
from orgs import models as m
from orgs.gazetteer import normalise
from orgs.hsds import vocab
from orgs.hsds.importer.bulk import any_of, by_uuid, copy_rows
from orgs.hsds.importer.run import ImportRun, Plan
from orgs.hsds.importer.values import (
    DEFAULT_TIMEZONES,
    VISIBILITIES,
    derive_public_point,
    parse_time,
    pick_address,
    same,
    time_zones,
    unblur,
)
from orgs.hsds.serialize import WEEKDAYS
from orgs.hsds.tabular import Row


class Locations(ImportRun):
    """Locations and their opening hours."""

    def locations_(self) -> None:
        addresses = self.children("address", "location_id")
        phones = self.children("phone", "location_id")
        languages = self.children("language", "location_id")
        access = self.children("accessibility", "location_id")
        existing = by_uuid(m.Location.objects.all(), (r.id for r in self.valid("location")))
        plans = []
        hours_wanted: dict[str, list[tuple[int, dt.time, dt.time]]] = {}
        for row in self.valid("location"):
            d = row.data
            kind = d["location_type"]
            if kind == "postal":
                self.skip(row, "a postal address is not a place where help is given; skipped")
                continue
            current = existing.get(row.id)
            org = self.owner_for(row, current, "location")
            if org is None:
                continue
            address = pick_address(addresses.get(row.id, []))
            update: dict[str, Any] = {}
            if "name" in d:
                update["name"] = str(d["name"])
            if address is not None:
                a = address.data
                parts = [str(a.get("address_1", "")).strip(), str(a.get("address_2", "")).strip()]
                update["address"] = ", ".join(p for p in parts if p)
                update["city"] = str(a.get("city", "")).strip()
                update["region"] = str(a.get("state_province") or a.get("region") or "").strip()
                country = str(a.get("country", "")).strip().upper()
                if len(country) == 2 and country.isalpha():
                    update["country"] = country
                elif country:
                    self.warn(address, f"country {country!r} is not a two-letter ISO code; not kept")
            phone_rows = phones.get(row.id, [])
            if phone_rows:
                update["phone"] = str(phone_rows[0].data["number"]).strip()
            codes = [str(r.data.get("code", "")).strip().lower() for r in languages.get(row.id, [])]
            if codes:
                update["languages"] = list(dict.fromkeys(c for c in codes if c))
            access_rows = access.get(row.id, [])
            if access_rows:
                update["accessibility"] = "\n".join(
                    " ".join(str(r.data.get(k, "")) for k in ("description", "details") if r.data.get(k)).strip()
                    for r in access_rows
                ).strip()
            visibility = m.Visibility.EXACT.value
            for attr, value in self.attribute_values(row.id, vocab.VISIBILITY):
                if value in VISIBILITIES:
                    visibility = value
                else:
                    self.warn(attr, f"visibility {value!r} is not exact, approximate or city; taken as exact")
            tz = None
            for attr, value in self.attribute_values(row.id, vocab.TIME_ZONE):
                if value in time_zones():
                    tz = value
                else:
                    self.warn(attr, f"time zone {value!r} is unknown; use an IANA name such as Europe/Moscow")
            true_position = False
            place_obj = None
            if kind == "virtual":
                update.update(
                    {"kind": m.LocationKind.VIRTUAL, "point": None, "public_point": None, "visibility": visibility}
                )
            else:
                position = self._position(row, update, visibility, current)
                if position is None:
                    continue
                true_position = position.pop("_true", False)
                place_obj = position.pop("place", None)
                update.update(position)
                update["kind"] = m.LocationKind.PHYSICAL
            if tz:
                update["timezone"] = tz
            place = place_obj if kind != "virtual" else None
            create = {
                "organisation": org,
                "timezone": (place.timezone if place is not None and place.timezone else None)
                or DEFAULT_TIMEZONES.get(update.get("country", org.country), "UTC"),
                "country": org.country,
                "source": f"Imported from HSDS ({row.source.file}) on {self.now:%Y-%m-%d}.",
                **update,
            }
            if "blur_seed" in update:
                create["blur_seed"] = update["blur_seed"]
            update.pop("blur_seed", None)
            prepare = derive_public_point if kind != "virtual" and true_position else None
            plans.append(Plan(row, row.id, create=create, update=update, prepare=prepare))
            hours = self._hours(row)
            if hours is not None:
                hours_wanted[row.id] = hours
        self.locations.update(self.apply(m.Location, plans, "locations", existing))
        for loc in self.locations.values():
            self.present_orgs.add(loc.organisation_id)
        self._write_hours(hours_wanted)
        for entity in ("location", "address", "accessibility"):
            self.step(entity)

    def _position(
        self, row: Row, update: dict[str, Any], visibility: str, current: m.Location | None
    ) -> dict[str, Any] | None:
        """The true and public points of a physical location, or None (skipped)."""
        d = row.data
        given: Point | None = None
        if "latitude" in d or "longitude" in d:
            lat, lon = d.get("latitude"), d.get("longitude")
            if lat is None or lon is None:
                self.warn(row, "latitude and longitude go together; the one given was not kept")
            elif not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180) or not all(map(math.isfinite, (lat, lon))):
                self.warn(row, f"latitude {lat} / longitude {lon} are out of range; not kept")
            else:
                given = Point(float(lon), float(lat), srid=4326)
        place = None
        if given is None:
            if current is not None and current.point is not None:
                return {}  # nothing new about the position
            place = self._place(update.get("city", ""), update.get("country", ""))
            if place is None:
                self.skip(
                    row,
                    "no usable coordinates and its town is not in the offline gazetteer, so it cannot be placed "
                    "on the map; add latitude and longitude and import again",
                )
                return None
            self.warn(
                row, f"no coordinates: placed at the centre of {place.name_ru or place.name}; correct it in the admin"
            )
            given = Point(place.point.x, place.point.y, srid=4326)
            return {"point": given, "visibility": visibility, "place_id": place.pk, "place": place, "_true": True}
        result: dict[str, Any] = {"visibility": visibility}
        if row.true_position or visibility == m.Visibility.EXACT:
            if current is not None and current.visibility == visibility and same(current.point, given):
                return result
            result["point"] = given
            result["_true"] = True
            return result
        # An HSDS file's coordinates of a protected location are its public
        # position (as this directory exports it): keep them as the public
        # point and derive a stand-in true point that blurs to it, so every
        # later save shows the same position and nothing closer is ever known.
        if current is not None and current.visibility == visibility and same(current.public_point, given):
            return result
        seed = current.blur_seed if current is not None else m.new_blur_seed()
        if visibility == m.Visibility.CITY:
            place = self._nearest_place(given)
            point = given if place is not None else unblur(given, seed, 5 * settings.LOCATION_BLUR_M)
        else:
            point = unblur(given, seed, settings.LOCATION_BLUR_M)
        result.update({"point": point, "public_point": given, "blur_seed": seed})
        if place is not None:
            result["place_id"] = place.pk
            result["place"] = place
        return result

    def _place(self, city: str, country: str) -> m.Place | None:
        if not city:
            return None
        qs = m.Place.objects.filter(names__contains=[normalise(city)])
        if country:
            qs = qs.filter(country_code=country)
        return qs.order_by("-population", "geonameid").first()

    def _nearest_place(self, point: Point) -> m.Place | None:
        from django.contrib.gis.db.models.functions import GeometryDistance

        return (
            m.Place.objects.filter(point__dwithin=(point, D(m=geo.CITY_SNAP_M)))
            .order_by(GeometryDistance("point", point), "-population")
            .first()
        )

    def _hours(self, row: Row) -> list[tuple[int, dt.time, dt.time]] | None:
        schedules = self.children("schedule", "location_id").get(row.id, [])
        if not schedules:
            return None
        found: set[tuple[int, dt.time, dt.time]] = set()
        for s in schedules:
            d = s.data
            if not (d.get("byday") and d.get("opens_at") and d.get("closes_at")):
                self.warn(s, "only weekly opening hours (byday, opens_at, closes_at) are kept; this schedule was not")
                continue
            if d.get("freq", "WEEKLY") != "WEEKLY":
                self.warn(s, "only weekly schedules are kept")
                continue
            try:
                opens, closes = parse_time(str(d["opens_at"])), parse_time(str(d["closes_at"]))
            except ValueError:
                self.error(s, "opens_at and closes_at must be times such as 09:00")
                continue
            if opens == closes:
                self.error(s, "opens_at and closes_at are the same time")
                continue
            days = [x.strip().upper()[-2:] for x in str(d["byday"]).split(",") if x.strip()]
            if any(day not in WEEKDAYS for day in days):
                self.error(s, f"byday {d['byday']!r}: use MO, TU, WE, TH, FR, SA, SU")
                continue
            found.update((WEEKDAYS.index(day), opens, closes) for day in days)
        return sorted(found)

    def _write_hours(self, wanted: dict[str, list[tuple[int, dt.time, dt.time]]]) -> None:
        """The file's weekly hours replace a location's hours when they differ
        (a location the file gives no hours for keeps its own)."""
        locs = {u: self.locations[u] for u in wanted if u in self.locations}
        current: dict[int, set[tuple[int, dt.time, dt.time]]] = defaultdict(set)
        hours = m.OpeningHours.objects.filter(any_of(m.OpeningHours, "location_id", (loc.pk for loc in locs.values())))
        for location_id, weekday, opens, closes in hours.values_list("location_id", "weekday", "opens", "closes"):
            current[location_id].add((weekday, opens, closes))
        replace: list[int] = []
        new: list[tuple[Any, ...]] = []
        for u, loc in locs.items():
            if set(wanted[u]) == current[loc.pk]:
                continue
            replace.append(loc.pk)
            self.touched.add(loc.organisation_id)
            if loc.pk not in self.created_pks["locations"]:
                self.report.updated["opening_hours"] += 1
            new += [(loc.pk, w, o, c) for w, o, c in wanted[u]]
        if replace:
            m.OpeningHours.objects.filter(any_of(m.OpeningHours, "location_id", replace)).delete()
            copy_rows(m.OpeningHours, ["location", "weekday", "opens", "closes"], new)
        self.step("schedule")

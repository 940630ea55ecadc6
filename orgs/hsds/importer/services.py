"""HSDS services with their phones, languages, cost options, areas and
attributes become services with their categories and target groups."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from orgs import models as m
from orgs.hsds import vocab
from orgs.hsds.importer.bulk import any_of, by_uuid, copy_rows, copy_update
from orgs.hsds.importer.run import ImportRun, Plan
from orgs.hsds.importer.values import SERVICE_FORMATS, area_fields, is_free, polygon_from_geojson
from orgs.hsds.tabular import Row


class Services(ImportRun):
    """Services and their categories and target groups."""

    def services_(self) -> None:
        phones = self.children("phone", "service_id")
        languages = self.children("language", "service_id")
        costs = self.children("cost_option", "service_id")
        areas = self.children("service_area", "service_id")
        links = self.children("service_at_location", "service_id")
        existing = by_uuid(m.Service.objects.all(), (r.id for r in self.valid("service")))
        term_ids = {
            a.data["taxonomy_term_id"]
            for a in self.valid("attribute")
            if a.data.get("link_entity") in (None, "service")
        }
        self._db_terms(term_ids)
        plans = []
        relations: dict[str, tuple[set[int] | None, set[int] | None]] = {}
        for row in self.valid("service"):
            d = row.data
            if d["status"] != "active":
                self.skip(row, f"status {d['status']!r}: only active services are listed; skipped")
                continue
            current = existing.get(row.id)
            org = self.owner_for(row, current, "service")
            if org is None:
                continue
            update: dict[str, Any] = {"name": str(d["name"]).strip()}
            for key, name in (
                ("description", "description"),
                ("url", "url"),
                ("email", "email"),
                ("eligibility_description", "eligibility"),
            ):
                if key in d:
                    update[name] = str(d[key]).strip()
            for key, name in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
                if key in d:
                    value = d[key]
                    if not float(value).is_integer():
                        self.error(row, f"{key} must be a whole number of years")
                        break
                    update[name] = int(value)
            if row.id in self.failed["service"]:
                continue
            if (
                update.get("min_age") is not None
                and update.get("max_age") is not None
                and update["min_age"] > update["max_age"]
            ):
                self.error(row, "minimum_age is above maximum_age")
                continue
            phone_rows = phones.get(row.id, [])
            if phone_rows:
                update["phone"] = str(phone_rows[0].data["number"]).strip()
            codes = [str(r.data.get("code", "")).strip().lower() for r in languages.get(row.id, [])]
            if codes:
                update["languages"] = list(dict.fromkeys(c for c in codes if c))
            cost_rows = costs.get(row.id, [])
            if cost_rows:
                update["is_free"] = all(is_free(r.data) for r in cost_rows)
            elif d.get("fees_description") or d.get("fees"):
                update["is_free"] = False
            area = self._area(areas.get(row.id, []))
            if area is not None:
                update.update(area)
            formats, categories, groups = self._service_terms(row)
            if formats:
                update["formats"] = formats
            elif current is None:
                update["formats"] = self._infer_formats(row, links.get(row.id, []), update)
            create = {
                "organisation": org,
                "source": f"Imported from HSDS ({row.source.file}) on {self.now:%Y-%m-%d}.",
                **update,
            }
            plans.append(Plan(row, row.id, create=create, update=update, after=self._keep_modified(row, current)))
            relations[row.id] = (categories, groups)
        self.services.update(self.apply(m.Service, plans, "services", existing))
        self._write_relations(relations)
        for svc in self.services.values():
            if svc.is_remote:
                self.present_orgs.add(svc.organisation_id)
        for entity in ("service", "phone", "language", "cost_option", "service_area"):
            self.step(entity)

    def _keep_modified(self, row: Row, current: m.Service | None) -> Callable[[Any], None] | None:
        """A new service keeps the file's last_modified (so a re-export is identical)."""
        if current is not None or not row.data.get("last_modified"):
            return None
        try:
            stamp = dt.datetime.fromisoformat(str(row.data["last_modified"]).replace("Z", "+00:00"))
        except ValueError:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)

        def after(svc: Any) -> None:
            if svc.updated_at != stamp:
                self._stamps.append((svc.pk, stamp))

        return after

    def _db_terms(self, term_ids: set[str]) -> None:
        wanted = [t for t in term_ids if t not in self.categories and t not in self.groups]
        self.categories.update(by_uuid(m.Category.objects.all(), wanted))
        self.groups.update(by_uuid(m.TargetGroup.objects.all(), wanted))

    def _service_terms(self, row: Row) -> tuple[list[str], set[int] | None, set[int] | None]:
        formats: list[str] = []
        categories: set[int] = set()
        groups: set[int] = set()
        seen_category = seen_group = False
        for attr in self.attributes(row.id):
            term = str(attr.data["taxonomy_term_id"])
            if term == vocab.SERVICE_FORMAT.id:
                value = str(attr.data.get("value", ""))
                if value in SERVICE_FORMATS:
                    formats.append(value)
                else:
                    self.warn(attr, f"service format {value!r} is not in_person, online or phone; not kept")
            elif term in self.categories:
                categories.add(self.categories[term].pk)
                seen_category = True
            elif term in self.groups:
                groups.add(self.groups[term].pk)
                seen_group = True
            elif term in vocab.ATTRIBUTE_TERMS_BY_ID:
                self.warn(attr, f"{vocab.ATTRIBUTE_TERMS_BY_ID[term].code} does not apply to a service; not kept")
            else:
                self.warn(attr, f"taxonomy term {term} is neither in this file nor in the directory; not kept")
        return sorted(set(formats)), (categories if seen_category else None), (groups if seen_group else None)

    def _infer_formats(self, row: Row, links: list[Row], update: dict[str, Any]) -> list[str]:
        formats = set()
        if links:
            formats.add(m.ServiceFormat.IN_PERSON.value)
        if update.get("phone"):
            formats.add(m.ServiceFormat.PHONE.value)
        if update.get("url") and not links:
            formats.add(m.ServiceFormat.ONLINE.value)
        return sorted(formats) or [m.ServiceFormat.IN_PERSON.value]

    def _area(self, rows: list[Row]) -> dict[str, Any] | None:
        for area in rows:
            for attr in self.attributes(area.id):
                if attr.data["taxonomy_term_id"] != vocab.SERVICE_AREA.id:
                    continue
                parsed = self._area_value(attr, str(attr.data.get("value", "")), area)
                if parsed is not None:
                    return parsed
            if str(area.data.get("extent_type", "")).lower() == "geojson" and area.data.get("extent"):
                polygon = polygon_from_geojson(str(area.data["extent"]))
                if polygon is not None:
                    return area_fields(m.AreaKind.POLYGON, area_polygon=polygon)
                self.warn(area, "extent is not a GeoJSON polygon; the service is kept at its locations")
            else:
                self.warn(area, "a service area given by name only is not kept; the service is kept at its locations")
        return None

    def _area_value(self, attr: Row, value: str, area: Row) -> dict[str, Any] | None:
        kind, _, arg = value.partition(":")
        if kind == "anywhere":
            return area_fields(m.AreaKind.ANYWHERE)
        if kind == "locations":
            return area_fields(m.AreaKind.LOCATIONS)
        if kind == "country" and len(arg) == 2 and arg.isalpha():
            return area_fields(m.AreaKind.COUNTRY, area_country=arg.upper())
        if kind == "region" and arg[:2].isalpha() and arg[2:3] == ".":
            return area_fields(m.AreaKind.REGION, area_region=arg)
        if kind == "city" and arg.isdigit():
            place = m.Place.objects.filter(pk=int(arg)).first()
            if place is not None:
                return area_fields(m.AreaKind.CITY, area_place_id=place.pk)
            self.warn(attr, f"city {arg} is not in the offline gazetteer (load_gazetteer); area not kept")
            return None
        if kind == "radius" and arg.isdigit() and int(arg) >= 1:
            return area_fields(m.AreaKind.RADIUS, area_radius_km=int(arg))
        if kind == "polygon":
            polygon = polygon_from_geojson(str(area.data.get("extent", "")))
            if polygon is not None:
                return area_fields(m.AreaKind.POLYGON, area_polygon=polygon)
        self.warn(attr, f"service area {value!r} is not understood; see docs/hsds.md")
        return None

    def _write_relations(self, relations: dict[str, tuple[set[int] | None, set[int] | None]]) -> None:
        services = {u: s for u, s in self.services.items() if u in relations}
        ids = [s.pk for s in services.values()]
        relation_tables: list[tuple[int, Any, str]] = [
            (0, m.Service.categories.through, "category_id"),
            (1, m.Service.target_groups.through, "targetgroup_id"),
        ]
        for position, through, column in relation_tables:
            current: dict[int, set[int]] = defaultdict(set)
            for sid, tid in through.objects.filter(any_of(through, "service_id", ids)).values_list(
                "service_id", column
            ):
                current[sid].add(tid)
            drop, add = [], []
            for u, svc in services.items():
                wanted = relations[u][position]
                if wanted is None or wanted == current[svc.pk]:
                    continue
                drop.append(svc.pk)
                self.touched.add(svc.organisation_id)
                add += [(svc.pk, t) for t in sorted(wanted)]
                if svc.pk not in self.created_pks["services"]:
                    self.report.updated["service_" + ("categories" if position == 0 else "target_groups")] += 1
            if drop:
                through.objects.filter(any_of(through, "service_id", drop)).delete()
                copy_rows(through, ["service", column.removesuffix("_id")], add)
        # Restore the file's last_modified on services created now (bulk_create stamps "now").
        if self._stamps:
            objs = []
            for pk, stamp in self._stamps:
                svc = m.Service(pk=pk)
                svc.updated_at = stamp
                objs.append(svc)
            copy_update(m.Service, objs, ["updated_at"])
            by_pk = dict(self._stamps)
            for svc in self.services.values():
                if svc.pk in by_pk:
                    svc.updated_at = by_pk[svc.pk]

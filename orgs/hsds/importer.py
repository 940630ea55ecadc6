"""Importing HSDS data (and the coalition template): an upsert by HSDS id.

The service ``hsds_import`` reads the tables of ``orgs.hsds.tabular`` in
dependency order (taxonomy terms, organizations and their identifiers,
locations, services, the links between them, coalition memberships), checks
every row against the HSDS tabular schema and the directory's own rules, and
writes in bulk. Objects are matched by their HSDS id (our ``uuid``); a field
is written only when it differs, so importing the same file twice writes
nothing and adds no history.

What is reported, each with its file, line and reason:

- errors: a row that breaks the HSDS schema or a rule of the directory (no
  name, a malformed id or e-mail, an age range upside down, an ОГРН another
  organisation has…). The row is not imported; the other rows are, unless
  ``atomic``, where one error imports nothing at all.
- warnings: what the directory cannot hold, while the rest of the row is
  imported: a reference to something neither in the file nor in the
  directory, coordinates out of range, HSDS fields with no place here
  (contacts, programs, funding…), a postal or inactive entry.

New organisations are *pending* (they wait for a moderator like any
registration) unless ``publish`` says the source is trusted; an existing
organisation keeps its status. Nothing is geocoded over the network: a
location without coordinates is placed at its town from the offline
gazetteer, or skipped with a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import operator
import random
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.contrib.gis.measure import D
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES
from django.db import DatabaseError, connection, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from orgs import geo
from orgs import models as m
from orgs.gazetteer import normalise, transliterate_ru
from orgs.hsds import spec, vocab
from orgs.hsds.serialize import WEEKDAYS
from orgs.hsds.tabular import Row, Source, Tables, collector_paused
from orgs.search import index as search_index
from orgs.selectors import category_descendant_ids
from orgs.validators import inn_is_valid, ogrn_is_valid

ERROR, WARNING = "error", "warning"
BATCH = 500
CHANGE_REASON = "HSDS import"
COORD_TOLERANCE = 1e-7  # degrees (~1 cm): the same position

# HSDS tables the directory has no place for, and why.
IGNORED_TABLES = {
    "program": "programs are not kept",
    "contact": "named contacts are people's personal data and are not kept",
    "funding": "funding is not kept",
    "required_document": "required documents are not kept",
    "metadata": "change metadata is not kept (the directory records its own history)",
    "meta_table_description": "table descriptions are not kept",
}
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
def _time_zones() -> frozenset[str]:
    # zoneinfo.available_timezones() walks the zone files on every call.
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Issue:
    level: str
    source: Source
    entity: str
    id: str
    reason: str

    def __str__(self) -> str:
        what = f"{self.entity} {self.id}".strip()
        return f"{self.source}: {what}: {self.reason}" if what else f"{self.source}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = False
    rolled_back: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            parts = ", ".join(f"{k} {n}" for k, n in sorted(counter.items()) if n)
            return f"{sum(counter.values())}" + (f" ({parts})" if parts else "")

        mode = "dry run, nothing written: would have " if self.dry_run else ""
        if self.rolled_back and not self.dry_run:
            mode = "rolled back (--atomic and errors), nothing written: would have "
        return (
            f"{self.rows} rows; {mode}created {fmt(self.created)}; updated {fmt(self.updated)}; "
            f"unchanged {fmt(self.unchanged)}; skipped {fmt(self.skipped)}; "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )


@dataclass
class _Plan:
    """One object to write: matched by ``uuid``; ``create`` builds a new one,
    ``update`` holds the fields to compare with an existing one."""

    row: Row
    uuid: str
    create: dict[str, Any]
    update: dict[str, Any]
    after: Callable[[Any], None] | None = None
    # Derives fields from the others just before validation (a location's public point).
    prepare: Callable[[Any], None] | None = None


def hsds_import(
    *,
    tables: Tables,
    dry_run: bool = False,
    atomic: bool = False,
    publish: bool = False,
    user: User | None = None,
    progress: bool = False,
) -> ImportReport:
    """Import HSDS tables (see the module docstring). One transaction: with
    ``dry_run`` it is rolled back at the end, so the report says exactly what
    would change; with ``atomic`` it is rolled back when any row has an error."""
    report = ImportReport(rows=tables.count(), dry_run=dry_run, atomic=atomic)
    started = timezone.now()
    try:
        with collector_paused(), transaction.atomic():
            importer = _Importer(tables, report, publish=publish, user=user, progress=progress)
            with search_index.deferred():
                importer.run()
            if dry_run or (atomic and report.errors):
                transaction.set_rollback(True)
                report.rolled_back = True
            else:
                # The search rows, map clusters and search documents of the
                # organisations that changed, set-based in one pass.
                search_index.refresh_many(importer.touched)
    except DatabaseError as exc:  # a deferred constraint checked at commit
        report.errors.append(Issue(ERROR, Source("(database)"), "", "", f"the database refused the import: {exc}"))
        report.rolled_back = True
    report.seconds = (timezone.now() - started).total_seconds()
    return report


class _Importer:
    def __init__(self, tables: Tables, report: ImportReport, *, publish: bool, user: User | None, progress: bool):
        self.tables = tables
        self.report = report
        self.publish = publish
        self.user = user
        self.bar = tqdm(total=tables.count(), unit="row", disable=not progress, desc="import", leave=False)
        self.failed: dict[str, set[str]] = defaultdict(set)  # entity -> ids of rows in the file that failed
        self._valid: dict[str, list[Row]] = {}
        self._index: dict[tuple[str, str], dict[str, list[Row]]] = {}
        self.orgs: dict[str, m.Organisation] = {}
        self.locations: dict[str, m.Location] = {}
        self.services: dict[str, m.Service] = {}
        self.categories: dict[str, m.Category] = {}
        self.groups: dict[str, m.TargetGroup] = {}
        self.coalition_terms: dict[str, Row] = {}
        self.new_orgs: set[str] = set()
        self.present_orgs: set[int] = set()  # organisations with a location or a remote service
        self.touched: set[int] = set()  # organisations whose search rows must be refreshed
        self.link_orgs: dict[int, int] = {}
        self.now = timezone.now()
        self._stamps: list[tuple[int, dt.datetime]] = []
        self.created_pks: dict[str, set[int]] = defaultdict(set)

    # --- reporting ----------------------------------------------------------

    def error(self, row: Row | Source, reason: str, entity: str = "", oid: str = "") -> None:
        if isinstance(row, Row):
            entity, oid, src = row.entity, row.id, row.source
            self.failed[row.entity].add(row.id)
        else:
            src = row
        self.report.errors.append(Issue(ERROR, src, entity, oid, reason))

    def warn(self, row: Row | Source, reason: str, entity: str = "", oid: str = "") -> None:
        if isinstance(row, Row):
            entity, oid, src = row.entity, row.id, row.source
        else:
            src = row
        self.report.warnings.append(Issue(WARNING, src, entity, oid, reason))

    def skip(self, row: Row, reason: str) -> None:
        self.warn(row, reason)
        self.report.skipped[row.entity] += 1

    # --- rows ---------------------------------------------------------------

    def valid(self, entity: str) -> list[Row]:
        """The rows of a table that pass the strict HSDS row schema."""
        if entity not in self._valid:
            checker = spec.row_checker(entity)
            good = []
            for row in self.tables.of(entity):
                problems = checker.errors(row.data)
                if problems:
                    self.error(row, "; ".join(problems[:5]))
                else:
                    good.append(row)
            self._valid[entity] = good
        return self._valid[entity]

    def children(self, entity: str, column: str) -> dict[str, list[Row]]:
        key = (entity, column)
        if key not in self._index:
            index: dict[str, list[Row]] = defaultdict(list)
            for row in self.valid(entity):
                parent = row.data.get(column)
                if parent:
                    index[str(parent)].append(row)
            self._index[key] = index
        return self._index[key]

    def attributes(self, link_id: str) -> list[Row]:
        return self.children("attribute", "link_id").get(link_id, [])

    def attribute_values(self, link_id: str, term: vocab.AttributeTerm) -> list[tuple[Row, str]]:
        return [
            (a, str(a.data.get("value", ""))) for a in self.attributes(link_id) if a.data["taxonomy_term_id"] == term.id
        ]

    def missing(self, row: Row, entity: str, ref: str, what: str) -> None:
        """A reference that does not resolve: an error when the row it names
        failed, otherwise a warning (neither in the file nor in the directory)."""
        if ref in self.failed[entity]:
            self.error(row, f"its {what} {ref} was not imported (see the error above)")
            self.report.skipped[row.entity] += 1
        else:
            self.skip(row, f"its {what} {ref} is neither in this file nor in the directory; skipped")

    # --- the run --------------------------------------------------------------

    def run(self) -> None:
        for level, src, message in self.tables.notes:
            if level == ERROR:
                self.report.errors.append(Issue(ERROR, src, "", "", message))
            elif level == WARNING:
                self.report.warnings.append(Issue(WARNING, src, "", "", message))
        for entity, why in IGNORED_TABLES.items():
            rows = self.tables.of(entity)
            if rows:
                self.report.ignored[entity] += len(rows)
                self.warn(rows[0].source, f"{len(rows)} {entity} rows ignored: {why}")
                self.bar.update(len(rows))
        self.taxonomy_terms()
        self.organisations()
        self.identifiers()
        self.locations_()
        self.services_()
        self.links()
        self.memberships()
        self.publish_new()
        self.other_rows()
        self.bar.close()

    def step(self, entity: str) -> None:
        self.bar.update(len(self.tables.of(entity)))

    # --- writing ---------------------------------------------------------------

    def apply(
        self, model: type[models.Model], plans: list[_Plan], entity: str, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create or update by uuid; returns uuid -> object for the rows written or unchanged.
        ``existing`` (uuid -> object) is what the caller already read of them."""
        result: dict[str, Any] = {}
        if not plans:
            return result
        if existing is None:
            existing = _by_uuid(model._default_manager.all(), (p.uuid for p in plans))
        # Foreign keys are resolved by the importer (clean_fields would query each);
        # time zones are checked against a cached list (the model's validator reads the disk).
        fk_names = [f.name for f in model._meta.fields if f.is_relation] + (["timezone"] if model is m.Location else [])
        creates: list[tuple[_Plan, Any]] = []
        updates: list[tuple[_Plan, Any]] = []
        changed_fields: set[str] = set()
        for plan in plans:
            current = existing.get(plan.uuid)
            if current is None:
                obj = _new_object(model, {"uuid": plan.uuid, **plan.create})
                if plan.prepare:
                    plan.prepare(obj)
                if not self.clean(plan.row, obj, fk_names):
                    continue
                creates.append((plan, obj))
                continue
            diffs = [name for name, value in plan.update.items() if not _same(getattr(current, name), value)]
            if not diffs:
                result[plan.uuid] = current
                self.report.unchanged[entity] += 1
                if plan.after:
                    plan.after(current)
                continue
            before = {name: getattr(current, name) for name in diffs}
            for name in diffs:
                setattr(current, name, plan.update[name])
            if plan.prepare:
                before.setdefault("public_point", current.public_point)
                plan.prepare(current)
                diffs.append("public_point")
            if not self.clean(plan.row, current, fk_names):
                for name, value in before.items():
                    setattr(current, name, value)
                continue
            if any(f.name == "updated_at" for f in model._meta.fields):
                current.updated_at = self.now
                diffs.append("updated_at")
            changed_fields.update(diffs)
            updates.append((plan, current))
        self._bulk(model, creates, entity, create=True, result=result)
        self._bulk(model, updates, entity, create=False, result=result, fields=sorted(changed_fields))
        return result

    def clean(self, row: Row, obj: models.Model, exclude: list[str]) -> bool:
        problem = _field_checks(type(obj), tuple(exclude)).problem(obj)
        if problem is not None:
            self.error(row, _django_message(problem))
            return False
        return True

    def _bulk(
        self,
        model: type[models.Model],
        items: list[tuple[_Plan, Any]],
        entity: str,
        *,
        create: bool,
        result: dict[str, Any],
        fields: list[str] | None = None,
    ) -> None:
        if not items:
            return
        history = hasattr(model, "history")
        try:
            with transaction.atomic():
                self._write(model, [obj for _, obj in items], create=create, history=history, fields=fields)
            done = items
        except DatabaseError:
            # Find the rows the database refuses, one savepoint each; the others go in.
            done = []
            for plan, obj in items:
                if create:
                    obj.pk = None
                    obj._state.adding = True
                try:
                    with transaction.atomic():
                        self._write(model, [obj], create=create, history=history, fields=fields)
                    done.append((plan, obj))
                except DatabaseError as exc:
                    self.error(plan.row, f"the database refused it: {_db_message(exc)}")
        for plan, obj in done:
            result[plan.uuid] = obj
            self._touch(obj)
            if create:
                self.created_pks[entity].add(obj.pk)
            (self.report.created if create else self.report.updated)[entity] += 1
            if plan.after:
                plan.after(obj)

    def _touch(self, obj: Any) -> None:
        if isinstance(obj, m.Organisation):
            self.touched.add(obj.pk)
        elif isinstance(obj, m.ServiceAtLocation):
            self.touched.add(self.link_orgs[obj.service_id])
        elif hasattr(obj, "organisation_id"):
            self.touched.add(obj.organisation_id)

    def _write(
        self, model: type[models.Model], objs: list[Any], *, create: bool, history: bool, fields: list[str] | None
    ) -> None:
        if create:
            _copy_create(model, objs)
        else:
            _copy_update(model, objs, fields or [])
        if history:
            self._history(model, [obj.pk for obj in objs], "+" if create else "~")

    def _history(self, model: type[models.Model], pks: list[int], kind: str) -> None:
        """History records of the rows just written, copied by the database in
        one statement (simple_history's bulk helpers build every record in
        Python, which took half of an import's time). Many-to-many history
        (a service's categories) is not recorded for imports."""
        history_model = model.history.model  # type: ignore[attr-defined]
        own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
        columns = [f.column for f in history_model._meta.fields if f.column not in own]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = (
            f"INSERT INTO {connection.ops.quote_name(history_model._meta.db_table)} "  # noqa: S608 - names from models
            f"({quoted}, history_date, history_type, history_user_id, history_change_reason) "
            f"SELECT {quoted}, %s, %s, %s, %s FROM {connection.ops.quote_name(model._meta.db_table)} "
            "WHERE id = ANY(%s)"
        )
        user_id = self.user.pk if self.user is not None else None
        with connection.cursor() as cursor:
            cursor.execute(sql, [timezone.now(), kind, user_id, CHANGE_REASON, pks])

    # --- taxonomy terms -> categories, target groups, coalitions ---------------------

    def taxonomy_terms(self) -> None:
        cat_plans: list[_Plan] = []
        group_plans: list[_Plan] = []
        rows = self.valid("taxonomy_term")
        by_slug_cat = {c.slug: c for c in m.Category.objects.all()}
        by_slug_group = {g.slug: g for g in m.TargetGroup.objects.all()}
        cat_uuids = {str(c.uuid) for c in by_slug_cat.values()}
        group_uuids = {str(g.uuid) for g in by_slug_group.values()}
        taken = set(by_slug_cat)
        for row in rows:
            d = row.data
            taxonomy = str(d.get("taxonomy_id", ""))
            if taxonomy == vocab.PROJECT.id or row.id in vocab.ATTRIBUTE_TERMS_BY_ID:
                continue  # the directory's own fixed vocabulary
            if taxonomy == vocab.COALITIONS.id:
                self.coalition_terms[row.id] = row
                continue
            code = str(d.get("code") or "")
            name = str(d["name"]).strip()
            if taxonomy == vocab.TARGET_GROUPS.id:
                known = by_slug_group.get(code)
                if row.id not in group_uuids and known is not None:
                    self.groups[row.id] = known  # the same group under another id
                    self.report.unchanged["target_groups"] += 1
                    continue
                slug = slugify(code)[:80] or _slug(name, set(by_slug_group))
                # A target group's term carries its English name as the description (see serialize).
                english_name = str(d.get("description") or "").strip()
                values = {"name_ru": name, **({"name_en": english_name} if english_name else {})}
                create = {"slug": slug, "name_en": name, **values}
                group_plans.append(_Plan(row, row.id, create=create, update=values))
                continue
            known_cat = by_slug_cat.get(code) if code else None
            if row.id not in cat_uuids and known_cat is not None:
                self.categories[row.id] = known_cat
                self.report.unchanged["categories"] += 1
                continue
            slug = (
                slugify(code)[:80]
                if code and slugify(code) and slugify(code) not in taken
                else _slug(name or code, taken)
            )
            taken.add(slug)
            english = str(d.get("language", "")).lower() in {"en", "eng"}
            values = {"name_en" if english else "name_ru": name, "description": str(d.get("description", ""))}
            create = {
                "slug": slug,
                "name_ru": name,
                "name_en": name,
                "description": values["description"],
                "source": f"HSDS taxonomy term {row.id} ({d.get('taxonomy') or d.get('taxonomy_id') or 'no taxonomy'})",
            }
            cat_plans.append(_Plan(row, row.id, create=create, update=values))
        self.categories.update(self.apply(m.Category, cat_plans, "categories"))
        self.groups.update(self.apply(m.TargetGroup, group_plans, "target_groups"))
        self._category_parents(cat_plans)
        self.step("taxonomy_term")
        self.step("taxonomy")

    def _category_parents(self, plans: list[_Plan]) -> None:
        parent_ids = {str(p.row.data["parent_id"]) for p in plans if p.row.data.get("parent_id")}
        known = _by_uuid(m.Category.objects.all(), parent_ids)
        known.update({k: v for k, v in self.categories.items() if k in parent_ids})
        changed = []
        for plan in plans:
            cat = self.categories.get(plan.uuid)
            if cat is None:
                continue
            ref = plan.row.data.get("parent_id")
            if not ref:
                continue  # no parent given: the current place in the tree stays
            parent = known.get(str(ref))
            if parent is None:
                self.warn(
                    plan.row, f"its parent term {ref} is neither in this file nor in the directory; kept at the top"
                )
                continue
            if parent.pk == cat.pk or parent.parent_id == cat.pk:
                self.error(plan.row, f"parent {ref} would make a loop in the category tree")
                continue
            if cat.parent_id != parent.pk:
                cat.parent_id = parent.pk
                changed.append(cat)
        if changed:
            m.Category.objects.bulk_update(changed, ["parent"], batch_size=BATCH)
            # A category moved in the tree changes the search facets of the services below it.
            below = category_descendant_ids(c.pk for c in changed)
            self.touched.update(
                m.Service.objects.filter(categories__in=below).values_list("organisation_id", flat=True).distinct()
            )

    def term_category(self, term_id: str) -> m.Category | None:
        return self.categories.get(term_id)

    # --- organizations ------------------------------------------------------------

    def organisations(self) -> None:
        rows = self.valid("organization")
        identifiers = self.children("organization_identifier", "organization_id")
        addresses_by_location = self.children("address", "location_id")
        locations_by_org = self.children("location", "organization_id")
        slugs = set(m.Organisation.objects.values_list("slug", flat=True))
        # Organisations that will likely be findable (checked again in publish_new).
        findable = {
            str(r.data.get("organization_id")) for r in self.valid("location") if r.data["location_type"] != "postal"
        }
        findable |= {str(r.data.get("organization_id")) for r in self.valid("service")}
        plans = []
        for row in rows:
            d = row.data
            update: dict[str, Any] = {"name": str(d["name"]).strip(), "description": str(d.get("description", ""))}
            for key, name in (("email", "email"), ("website", "website")):
                if key in d:
                    update[name] = str(d[key]).strip()
            if "legal_status" in d:
                update["legal_form"] = _legal_form(str(d["legal_status"]))
            if d.get("tax_id"):
                tax = str(d["tax_id"]).strip()
                if inn_is_valid(tax):
                    update["inn"] = tax
                else:
                    self.warn(row, f"tax_id {tax!r} is not a valid ИНН; not kept")
            for ident in identifiers.get(row.id, []):
                scheme = _scheme(ident)
                value = str(ident.data["identifier"]).strip()
                if scheme == "RU-OGRN":
                    if ogrn_is_valid(value):
                        update["ogrn"] = value
                    else:
                        self.error(
                            ident, f"ОГРН {value!r} is not valid (13 digits, or 15 for ОГРНИП, right check digit)"
                        )
                elif scheme == "RU-INN":
                    if inn_is_valid(value):
                        update["inn"] = value
                    else:
                        self.error(ident, f"ИНН {value!r} is not valid (10 digits, or 12, right check digit)")
            country = _first_country(locations_by_org.get(row.id, []), addresses_by_location)
            create = {
                **{"legal_form": m.LegalForm.OTHER},
                **update,
                "country": country or "RU",
                "slug": _slug(update["name"], slugs, limit=100),
                "status": m.PublicationStatus.PUBLISHED
                if self.publish and row.id in findable
                else m.PublicationStatus.PENDING,
                "source": f"Imported from HSDS ({row.source.file}) on {self.now:%Y-%m-%d}.",
            }
            slugs.add(create["slug"])
            plans.append(_Plan(row, row.id, create=create, update=update))
        plans = self._unique_identifiers(plans)
        existing = _by_uuid(m.Organisation.objects.all(), (p.uuid for p in plans))
        self.orgs.update(self.apply(m.Organisation, plans, "organisations", existing))
        self.new_orgs = set(self.orgs) - set(existing)
        self.step("organization")

    def _unique_identifiers(self, plans: list[_Plan]) -> list[_Plan]:
        """An ОГРН is unique: refuse one that another organisation (in the
        directory or earlier in this file) already has."""
        wanted = {p.update["ogrn"]: p for p in reversed(plans) if p.update.get("ogrn")}
        owners = dict(m.Organisation.objects.filter(ogrn__in=list(wanted)).values_list("ogrn", "uuid"))
        seen: dict[str, str] = {}
        kept = []
        for plan in plans:
            ogrn = plan.update.get("ogrn")
            owner = owners.get(ogrn) if ogrn else None
            if ogrn and ((owner is not None and str(owner) != plan.uuid) or seen.get(ogrn, plan.uuid) != plan.uuid):
                self.error(plan.row, f"ОГРН {ogrn} belongs to another organisation; ask to merge them instead")
                continue
            if ogrn:
                seen[ogrn] = plan.uuid
            kept.append(plan)
        return kept

    def identifiers(self) -> None:
        """Registry identifiers other than ОГРН/ИНН (those are fields of the organisation)."""
        rows = [r for r in self.valid("organization_identifier") if _scheme(r) not in {"RU-OGRN", "RU-INN"}]
        wanted: dict[tuple[str, str], tuple[Row, m.Organisation]] = {}
        for row in rows:
            org_ref = str(row.data.get("organization_id", ""))
            org = self.orgs.get(org_ref)
            if org is None:
                if org_ref and org_ref not in self.failed["organization"]:
                    org = m.Organisation.objects.filter(uuid=org_ref).first()
                if org is None:
                    self.missing(row, "organization", org_ref or "(none)", "organization")
                    continue
            scheme = _scheme(row)[:60]
            wanted[(scheme, str(row.data["identifier"]).strip()[:60])] = (row, org)
        existing = {
            (i.scheme, i.identifier): i
            for i in m.OrganisationIdentifier.objects.filter(identifier__in=[k[1] for k in wanted])
        }
        new = []
        for (scheme, identifier), (row, org) in wanted.items():
            current = existing.get((scheme, identifier))
            if current is not None:
                if current.organisation_id != org.pk:
                    self.error(row, f"{scheme} {identifier} belongs to another organisation")
                else:
                    self.report.unchanged["identifiers"] += 1
                continue
            country = scheme[:2] if len(scheme) > 2 and scheme[2] == "-" and scheme[:2].isalpha() else ""
            obj = m.OrganisationIdentifier(
                organisation=org, scheme=scheme, identifier=identifier, country=country.upper()
            )
            if self.clean(row, obj, ["organisation"]):
                new.append((row, obj))
        if new:
            m.OrganisationIdentifier.objects.bulk_create([o for _, o in new], batch_size=BATCH)
            self.report.created["identifiers"] += len(new)
        self.step("organization_identifier")

    def resolve_org(self, row: Row, ref: str) -> m.Organisation | None:
        org = self.orgs.get(ref)
        if org is None and ref and ref not in self.failed["organization"]:
            org = self._db_orgs().get(ref)
        if org is None:
            self.missing(row, "organization", ref or "(none)", "organization")
        return org

    def owner(self, obj: m.Location | m.Service) -> m.Organisation:
        """The organisation of a location or service already in the directory."""
        if not hasattr(self, "_owners"):
            self._owners = {org.pk: org for org in self.orgs.values()}
        if obj.organisation_id not in self._owners:
            self._owners[obj.organisation_id] = obj.organisation
        return self._owners[obj.organisation_id]

    def owner_for(self, row: Row, current: m.Location | m.Service | None, what: str) -> m.Organisation | None:
        """The organisation a location or service row belongs to: the one it
        names, or, when it names none, the one it already has in the directory.
        None (with the row's error recorded) when that organisation is unknown
        or the row would move the object to another organisation."""
        ref = row.data.get("organization_id")
        org = self.resolve_org(row, str(ref or "")) if ref or current is None else self.owner(current)
        if org is not None and current is not None and current.organisation_id != org.pk:
            self.error(row, f"this {what} belongs to another organisation in the directory")
            return None
        return org

    def _db_orgs(self) -> dict[str, m.Organisation]:
        if not hasattr(self, "_db_org_cache"):
            refs = {str(r.data.get("organization_id")) for e in ("location", "service") for r in self.valid(e)}
            refs -= set(self.orgs)
            self._db_org_cache = _by_uuid(m.Organisation.objects.all(), refs - {"None"})
        return self._db_org_cache

    # --- locations ------------------------------------------------------------------

    def locations_(self) -> None:
        addresses = self.children("address", "location_id")
        phones = self.children("phone", "location_id")
        languages = self.children("language", "location_id")
        access = self.children("accessibility", "location_id")
        existing = _by_uuid(m.Location.objects.all(), (r.id for r in self.valid("location")))
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
            address = _pick_address(addresses.get(row.id, []))
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
                if value in _time_zones():
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
            prepare = _derive_public_point if kind != "virtual" and true_position else None
            plans.append(_Plan(row, row.id, create=create, update=update, prepare=prepare))
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
            if current is not None and current.visibility == visibility and _same(current.point, given):
                return result
            result["point"] = given
            result["_true"] = True
            return result
        # An HSDS file's coordinates of a protected location are its public
        # position (as this directory exports it): keep them as the public
        # point and derive a stand-in true point that blurs to it, so every
        # later save shows the same position and nothing closer is ever known.
        if current is not None and current.visibility == visibility and _same(current.public_point, given):
            return result
        seed = current.blur_seed if current is not None else m.new_blur_seed()
        if visibility == m.Visibility.CITY:
            place = self._nearest_place(given)
            point = given if place is not None else _unblur(given, seed, 5 * settings.LOCATION_BLUR_M)
        else:
            point = _unblur(given, seed, settings.LOCATION_BLUR_M)
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
                opens, closes = _time(str(d["opens_at"])), _time(str(d["closes_at"]))
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
        hours = m.OpeningHours.objects.filter(_any(m.OpeningHours, "location_id", (loc.pk for loc in locs.values())))
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
            m.OpeningHours.objects.filter(_any(m.OpeningHours, "location_id", replace)).delete()
            _copy_rows(m.OpeningHours, ["location", "weekday", "opens", "closes"], new)
        self.step("schedule")

    # --- services ---------------------------------------------------------------------

    def services_(self) -> None:
        phones = self.children("phone", "service_id")
        languages = self.children("language", "service_id")
        costs = self.children("cost_option", "service_id")
        areas = self.children("service_area", "service_id")
        links = self.children("service_at_location", "service_id")
        existing = _by_uuid(m.Service.objects.all(), (r.id for r in self.valid("service")))
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
                update["is_free"] = all(_is_free(r.data) for r in cost_rows)
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
            plans.append(_Plan(row, row.id, create=create, update=update, after=self._keep_modified(row, current)))
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
        self.categories.update(_by_uuid(m.Category.objects.all(), wanted))
        self.groups.update(_by_uuid(m.TargetGroup.objects.all(), wanted))

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
                polygon = _polygon(str(area.data["extent"]))
                if polygon is not None:
                    return _area_fields(m.AreaKind.POLYGON, area_polygon=polygon)
                self.warn(area, "extent is not a GeoJSON polygon; the service is kept at its locations")
            else:
                self.warn(area, "a service area given by name only is not kept; the service is kept at its locations")
        return None

    def _area_value(self, attr: Row, value: str, area: Row) -> dict[str, Any] | None:
        kind, _, arg = value.partition(":")
        if kind == "anywhere":
            return _area_fields(m.AreaKind.ANYWHERE)
        if kind == "locations":
            return _area_fields(m.AreaKind.LOCATIONS)
        if kind == "country" and len(arg) == 2 and arg.isalpha():
            return _area_fields(m.AreaKind.COUNTRY, area_country=arg.upper())
        if kind == "region" and arg[:2].isalpha() and arg[2:3] == ".":
            return _area_fields(m.AreaKind.REGION, area_region=arg)
        if kind == "city" and arg.isdigit():
            place = m.Place.objects.filter(pk=int(arg)).first()
            if place is not None:
                return _area_fields(m.AreaKind.CITY, area_place_id=place.pk)
            self.warn(attr, f"city {arg} is not in the offline gazetteer (load_gazetteer); area not kept")
            return None
        if kind == "radius" and arg.isdigit() and int(arg) >= 1:
            return _area_fields(m.AreaKind.RADIUS, area_radius_km=int(arg))
        if kind == "polygon":
            polygon = _polygon(str(area.data.get("extent", "")))
            if polygon is not None:
                return _area_fields(m.AreaKind.POLYGON, area_polygon=polygon)
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
            for sid, tid in through.objects.filter(_any(through, "service_id", ids)).values_list("service_id", column):
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
                through.objects.filter(_any(through, "service_id", drop)).delete()
                _copy_rows(through, ["service", column.removesuffix("_id")], add)
        # Restore the file's last_modified on services created now (bulk_create stamps "now").
        if self._stamps:
            objs = []
            for pk, stamp in self._stamps:
                svc = m.Service(pk=pk)
                svc.updated_at = stamp
                objs.append(svc)
            _copy_update(m.Service, objs, ["updated_at"])
            by_pk = dict(self._stamps)
            for svc in self.services.values():
                if svc.pk in by_pk:
                    svc.updated_at = by_pk[svc.pk]

    # --- service at location -----------------------------------------------------------

    def links(self) -> None:
        rows = self.valid("service_at_location")
        db_locations = _by_uuid(
            m.Location.objects.all(), {str(r.data.get("location_id")) for r in rows} - set(self.locations)
        )
        db_services = _by_uuid(
            m.Service.objects.all(), {str(r.data.get("service_id")) for r in rows} - set(self.services)
        )
        pairs = {
            (link.service_id, link.location_id): link
            for link in m.ServiceAtLocation.objects.filter(
                _any(
                    m.ServiceAtLocation, "service_id", (s.pk for s in [*self.services.values(), *db_services.values()])
                )
            )
        }
        plans = []
        for row in rows:
            sref, lref = str(row.data.get("service_id", "")), str(row.data.get("location_id", ""))
            svc = self.services.get(sref) or db_services.get(sref)
            loc = self.locations.get(lref) or db_locations.get(lref)
            if svc is None:
                self.missing(row, "service", sref or "(none)", "service")
                continue
            if loc is None:
                self.missing(row, "location", lref or "(none)", "location")
                continue
            if svc.organisation_id != loc.organisation_id:
                self.error(row, "its service and its location belong to different organisations")
                continue
            same_pair = pairs.get((svc.pk, loc.pk))
            if same_pair is not None and str(same_pair.uuid) != row.id:
                self.report.unchanged["service_at_locations"] += 1  # the same link under another id
                continue
            ids = {"service_id": svc.pk, "location_id": loc.pk}
            plans.append(_Plan(row, row.id, create=ids, update=ids))
            self.link_orgs[svc.pk] = svc.organisation_id
        self.apply(m.ServiceAtLocation, plans, "service_at_locations")
        self.step("service_at_location")

    # --- coalition memberships (organization attributes) -------------------------------------

    def memberships(self) -> None:
        networks = {vocab.coalition_term_id(n.slug): n for n in m.Network.objects.all()}
        wanted: dict[tuple[int, str], tuple[Row, m.Organisation, str, str, str | None]] = {}
        for org_uuid, org in self.orgs.items():
            for attr in self.attributes(org_uuid):
                term = str(attr.data["taxonomy_term_id"])
                if term in self.categories or term in self.groups:
                    continue
                if term not in networks and term not in self.coalition_terms:
                    if term in vocab.ATTRIBUTE_TERMS_BY_ID:
                        self.warn(attr, f"{vocab.ATTRIBUTE_TERMS_BY_ID[term].code} does not apply to an organization")
                    else:
                        self.warn(attr, f"taxonomy term {term} is neither in this file nor in the directory; not kept")
                    continue
                role, since = vocab.parse_membership_value(str(attr.data.get("value", "")))
                if role not in m.MembershipRole.values:
                    self.error(attr, f"role {role!r} is not member, candidate, partner or participant")
                    continue
                wanted[(org.pk, term)] = (attr, org, term, role, since)
        # Coalitions named only in the file are created (their roles from the file).
        for term, row in self.coalition_terms.items():
            if term in networks:
                continue
            roles = sorted({w[3] for w in wanted.values() if w[2] == term})
            slug = slugify(str(row.data.get("code") or "")) or _slug(str(row.data["name"]), set())
            network = m.Network.objects.filter(slug=slug).first()
            if network is None:
                network = m.Network(
                    slug=slug,
                    name=str(row.data["name"]),
                    description=str(row.data.get("description", "")),
                    roles=roles or ["participant"],
                    source=f"HSDS taxonomy term {term}",
                )
                if not self.clean(row, network, []):
                    continue
                network.save()
                self.report.created["networks"] += 1
            networks[term] = network
        existing = {
            (ms.organisation_id, ms.network_id): ms
            for ms in m.Membership.objects.filter(_any(m.Membership, "organisation_id", (k[0] for k in wanted)))
        }
        new, changed = [], []
        for (_org_pk, term), (attr, org, _t, role, since_text) in wanted.items():
            network = networks[term]
            if role not in network.roles:
                self.error(attr, f"coalition {network.slug} has no role {role!r} (it has {', '.join(network.roles)})")
                continue
            try:
                since_date = dt.date.fromisoformat(since_text) if since_text else None
            except ValueError:
                self.error(attr, f"'since {since_text}' is not a date (YYYY-MM-DD)")
                continue
            current = existing.get((org.pk, network.pk))
            if current is None:
                status = m.MembershipStatus.ACTIVE if self.publish else m.MembershipStatus.APPLIED
                if status == m.MembershipStatus.ACTIVE and role == m.MembershipRole.CANDIDATE and since_date is None:
                    self.warn(attr, "a candidate needs the date its term started; kept as an application")
                    status = m.MembershipStatus.APPLIED
                new.append(
                    m.Membership(
                        organisation=org,
                        network=network,
                        role=role,
                        since=since_date,
                        status=status,
                        source=f"Imported from HSDS on {self.now:%Y-%m-%d}.",
                    )
                )
            elif current.role != role or (since_date is not None and current.since != since_date):
                current.role, current.since = role, since_date or current.since
                current.updated_at = self.now
                changed.append(current)
            else:
                self.report.unchanged["memberships"] += 1
        if new:
            self._write(m.Membership, new, create=True, history=True, fields=None)
            self.report.created["memberships"] += len(new)
        if changed:
            self._write(m.Membership, changed, create=False, history=True, fields=["role", "since", "updated_at"])
            self.report.updated["memberships"] += len(changed)
        self.touched.update(ms.organisation_id for ms in [*new, *changed])
        self.step("attribute")

    # --- publication -------------------------------------------------------------------

    def publish_new(self) -> None:
        """With ``publish``, the organisations created now were published; one
        that cannot be found after all (no location, no online or phone
        service) goes back to pending, as a published listing must be findable."""
        if not self.publish:
            return
        lacking = []
        for u in self.new_orgs:
            org = self.orgs[u]
            if org.status == m.PublicationStatus.PUBLISHED and org.pk not in self.present_orgs:
                org.status = m.PublicationStatus.PENDING
                lacking.append(org)
                self.warn(
                    Source("(import)"), "no location and no online or phone service; left pending", "organization", u
                )
        if lacking:
            self._write(m.Organisation, lacking, create=False, history=True, fields=["status"])

    def other_rows(self) -> None:
        for entity in ("taxonomy",):
            self.valid(entity)
        # Phones that belong to nothing kept here (a contact's, an organisation's).
        for row in self.valid("phone"):
            if not (row.data.get("location_id") or row.data.get("service_id")):
                self.report.ignored["phone"] += 1


# --- helpers --------------------------------------------------------------------------


def _django_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(str(msg) for msg in msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(str(msg) for msg in exc.messages)


def _db_message(exc: DatabaseError) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _same(current: Any, wanted: Any) -> bool:
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


def _slug(name: str, taken: set[str], limit: int = 80) -> str:
    base = slugify(transliterate_ru(name))[: limit - 8] or "item"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _legal_form(text: str) -> str:
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


def _scheme(row: Row) -> str:
    scheme = str(row.data.get("identifier_scheme") or row.data.get("identifier_type") or "").strip()
    upper = scheme.upper()
    if upper in {"RU-OGRN", "OGRN", "ОГРН", "RU-OGRNIP", "OGRNIP", "ОГРНИП"}:
        return "RU-OGRN"
    if upper in {"RU-INN", "INN", "ИНН"}:
        return "RU-INN"
    return scheme


def _first_country(locations: list[Row], addresses: dict[str, list[Row]]) -> str | None:
    for loc in locations:
        for address in addresses.get(loc.id, []):
            country = str(address.data.get("country", "")).strip().upper()
            if len(country) == 2 and country.isalpha():
                return country
    return None


def _pick_address(rows: list[Row]) -> Row | None:
    for row in rows:
        if row.data.get("address_type") == "physical":
            return row
    return rows[0] if rows else None


def _time(text: str) -> dt.time:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError(text)
    return dt.time(int(parts[0]) % 24, int(parts[1]))


def _is_free(cost: dict[str, Any]) -> bool:
    if "amount" in cost:
        return float(cost["amount"]) == 0
    option = str(cost.get("option", "")).lower()
    return not any(word in option for word in PAID_WORDS)


def _polygon(extent: str) -> MultiPolygon | None:
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


def _area_fields(kind: str, **values: Any) -> dict[str, Any]:
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


def _derive_public_point(location: m.Location) -> None:
    """From a true point (the template, or a town's centre): blurred as on every save."""
    location.public_point = geo.public_point_for(location)


def _unblur(public: Point, seed: int, radius_m: float) -> Point:
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


def _uuids(values: Iterable[str]) -> list[str]:
    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return found


def _any(model: type[models.Model], column: str, values: Iterable[Any], sql_type: str = "bigint") -> RawSQL:
    """A filter ``column = ANY(array)``: one parameter however many values
    (``__in`` binds one each, and building that statement cost more than
    running it), and a plan that stays linear however stale the table's
    statistics (an index scan, or a hashed lookup in the array)."""
    quote = connection.ops.quote_name
    sql = f"{quote(model._meta.db_table)}.{quote(column)} = ANY(%s::{sql_type}[])"
    return RawSQL(sql, [list(values)], output_field=models.BooleanField())  # noqa: S611 - names from the model


def _by_uuid(queryset: models.QuerySet[Any], uuids: Iterable[str]) -> dict[str, Any]:
    """uuid -> object for these uuids (malformed ones match nothing), in one query."""
    wanted = _uuids(set(uuids))
    if not wanted:
        return {}
    rows = queryset.filter(_any(queryset.model, "uuid", wanted, "uuid"))
    return {str(getattr(obj, "uuid")): obj for obj in rows}  # noqa: B009 - every model imported here has one


# --- writing with COPY ------------------------------------------------------------------------


def _copy_values(fields: list[models.Field[Any, Any]], add: bool) -> Callable[[Any], list[Any]]:
    """A function giving an object's column values for COPY, as bulk_create and
    bulk_update would send them: auto_now stamps set on creation (one for the
    whole batch), a geometry as hex EWKB, anything else that is not a plain
    value prepared by its field."""
    plain = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.BooleanField,
        models.FloatField,
        models.UUIDField,
    )
    now = timezone.now()
    getters: list[Callable[[Any], Any]] = []
    for f in fields:
        if isinstance(f, plain) or (f.is_relation and f.concrete):
            getters.append(operator.attrgetter(f.attname))  # the value is its own database value
        elif add and isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            getters.append(functools.partial(_stamped, f.attname, now))  # one "now" for the batch
        elif isinstance(f, GeometryField):
            getters.append(functools.partial(_geometry, f))
        elif add:
            getters.append(functools.partial(_prepared_on_create, f))
        else:
            getters.append(functools.partial(_prepared, f))
    return lambda obj: [get(obj) for get in getters]


def _stamped(attname: str, now: dt.datetime, obj: Any) -> dt.datetime:
    setattr(obj, attname, now)
    return now


def _geometry(field: GeometryField, obj: Any) -> Any:
    """A geometry as hex EWKB, which a geometry or geography column reads as it is."""
    value = getattr(obj, field.attname)
    if value is None or value.srid is None:
        return _prepared(field, obj)
    return value.hexewkb.decode()


def _copy_rows(model: type[models.Model], names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain rows (ids, numbers, times) into a model's table through COPY: its id from its sequence."""
    if not rows:
        return
    columns = ", ".join(_column(model._meta.get_field(name)) for name in names)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _prepared_on_create(field: models.Field[Any, Any], obj: Any) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _prepared(field: models.Field[Any, Any], obj: Any) -> Any:
    return field.get_db_prep_save(getattr(obj, field.attname), connection)


def _column(f: Any) -> str:
    return connection.ops.quote_name(str(f.column))


def _copy_create(model: type[models.Model], objs: list[Any]) -> None:
    """bulk_create through COPY (psycopg 3): the primary keys are drawn from
    the table's sequence first, so the objects know them, as after bulk_create.
    A row the database refuses fails the whole COPY (the caller then finds it)."""
    if not objs:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        values = _copy_values(fields, add=True)
        columns = ", ".join(_column(f) for f in fields)
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for obj in objs:
                copy.write_row(values(obj))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _copy_update(model: type[models.Model], objs: list[Any], names: list[str]) -> None:
    """bulk_update through COPY: the new values into a temporary table shaped
    like the model's, then one UPDATE … FROM (Django's bulk_update sends a CASE
    per column with a branch per row, which grows with the square of a batch)."""
    if not objs or not names:
        return
    meta = model._meta
    fields: list[Any] = [meta.pk, *(meta.get_field(name) for name in names)]
    quote = connection.ops.quote_name
    table, temp = quote(meta.db_table), quote(f"hsds_import_{meta.db_table}")
    columns = ", ".join(_column(f) for f in fields)
    assignments = ", ".join(f"{_column(f)} = u.{_column(f)}" for f in fields[1:])
    values = _copy_values(fields, add=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with connection.wrap_database_errors, cursor.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(values(obj))
        pk = _column(meta.pk)
        search_index.analyze_understated(cursor, [meta.db_table], len(objs))
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {temp} u WHERE t.{pk} = u.{pk}")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")


# --- building and checking objects ---------------------------------------------------------------


@functools.cache
def _model_fields(model: type[models.Model]) -> tuple[list[Any], dict[str, int]]:
    fields = list(model._meta.concrete_fields)
    where = {f.name: i for i, f in enumerate(fields)} | {f.attname: i for i, f in enumerate(fields)}
    return fields, where


def _new_object(model: type[models.Model], values: dict[str, Any]) -> Any:
    """``model(**values)`` through the constructor's positional path (every
    column given, defaults filled in here), which is several times quicker
    than its keyword path. A related object given for a foreign key is kept
    on the object, as the keyword path does."""
    fields, where = _model_fields(model)
    args: list[Any] = [None] * len(fields)
    given = [False] * len(fields)
    related: list[tuple[Any, Any]] = []
    for name, value in values.items():
        i = where[name]
        f = fields[i]
        if f.is_relation and name == f.name and value is not None:
            related.append((f, value))
            value = value.pk
        args[i], given[i] = value, True
    for i, f in enumerate(fields):
        if not given[i]:
            args[i] = f.get_default()
    obj = model(*args)
    for f, value in related:
        f.set_cached_value(obj, value)
    return obj


# --- checking fields ---------------------------------------------------------------------------


class _FieldChecks:
    """``Model.clean_fields()`` with the same errors, faster: a value that
    plainly passes (a text, a known choice, an integer, a geometry) is checked
    by the field's validators alone, without the field's conversion and its
    generic checks; a value of a field with few distinct values (a list of
    formats) is checked once. Anything else, and every value that fails, goes
    through the field's own ``clean()``, so the messages are Django's."""

    MEMO_LIMIT = 10_000

    def __init__(self, model: type[models.Model], exclude: tuple[str, ...]) -> None:
        self.fields: list[tuple[models.Field[Any, Any], Callable[[Any], bool] | None, set[tuple[str, ...]] | None]]
        self.fields = []
        for f in model._meta.fields:
            if f.name in exclude or getattr(f, "generated", False):
                continue
            quick = _quick_check(f)
            memo: set[tuple[str, ...]] | None = None
            if quick is None and isinstance(f, ArrayField):
                memo = set()  # values that passed (clean() returns a list as it is)
            self.fields.append((f, quick, memo))

    def problem(self, obj: models.Model) -> ValidationError | None:
        errors: dict[str, Any] = {}
        for f, quick, memo in self.fields:
            raw = getattr(obj, f.attname)
            if f.blank and _is_empty(raw):
                continue
            if quick is not None and quick(raw):
                continue
            if type(raw) is str and isinstance(f, models.UUIDField):
                try:  # what UUIDField.to_python does with a text
                    setattr(obj, f.attname, uuid.UUID(raw))
                    continue
                except ValueError:
                    pass
            key = _memo_key(raw) if memo is not None else None
            if memo is not None and key in memo:
                continue
            try:
                cleaned = f.clean(raw, obj)
            except ValidationError as exc:
                errors[f.name] = exc.error_list
                continue
            setattr(obj, f.attname, cleaned)
            if memo is not None and key is not None and len(memo) < self.MEMO_LIMIT:
                memo.add(key)
        return ValidationError(errors) if errors else None


@functools.cache
def _field_checks(model: type[models.Model], exclude: tuple[str, ...]) -> _FieldChecks:
    return _FieldChecks(model, exclude)


_SCALARS = (GEOSGeometry, int, float, uuid.UUID, dt.date, dt.time)


def _is_empty(value: Any) -> bool:
    """``value in Field.empty_values`` (None, "", [], (), {}), without comparing
    a geometry with each of them (GEOS tries to read "" as a geometry)."""
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, dict)):
        return not value
    if isinstance(value, _SCALARS):
        return False
    return value in EMPTY_VALUES  # a file with no name, say


def _quick_check(f: models.Field[Any, Any]) -> Callable[[Any], bool] | None:
    """For a text, integer, boolean, uuid or geometry field: a test that a value
    passes ``f.clean()`` unchanged (False: let the field decide); None for other fields."""
    validators = list(f.validators)
    blank, editable = f.blank, f.editable  # Field.validate() checks nothing on a field that is not editable
    if isinstance(f, models.BooleanField):
        return lambda v: type(v) is bool
    if isinstance(f, models.UUIDField) and not validators:
        return lambda v: isinstance(v, uuid.UUID)
    if isinstance(f, GeometryField) and not f.choices:
        # The field converts nothing; a geometry only meets its validators (and null/blank, handled before).
        return lambda v: isinstance(v, GEOSGeometry) and _passes(validators, v)
    if isinstance(f, models.IntegerField) and not f.choices:

        def integer(v: Any) -> bool:
            return type(v) is int and _passes(validators, v)

        return integer
    if isinstance(f, (models.CharField, models.TextField)):
        choices = {str(value) for value, _label in f.flatchoices} if f.choices else None

        def text(v: Any) -> bool:
            if type(v) is not str:
                if not isinstance(v, str):
                    return False
                v = str(v)  # a choice's enum member: its value
            if editable:
                if not (v or blank):
                    return False
                if choices is not None and v not in choices:
                    return False
            return _passes(validators, v)

        return text
    return None


def _passes(validators: list[Any], value: Any) -> bool:
    try:
        for validator in validators:
            validator(value)
    except ValidationError:
        return False
    return True


def _memo_key(value: Any) -> tuple[str, ...] | None:
    """A short list of texts (formats, languages) as a set member."""
    if isinstance(value, list) and len(value) <= 10 and all(type(v) is str for v in value):
        return tuple(value)
    return None

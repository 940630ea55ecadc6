"""The state of one import and what every step shares: reporting a row's
problems, the valid rows of a table and their children, matching rows with
existing records by HSDS id, checking objects with Django's own field checks,
and writing them with their history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from orgs import models as m
from orgs.hsds import spec, vocab
from orgs.hsds.importer.bulk import by_uuid, copy_create, copy_update
from orgs.hsds.importer.report import ERROR, WARNING, ImportReport, Issue
from orgs.hsds.importer.values import db_message, django_message, same
from orgs.hsds.tabular import Row, Source, Tables

BATCH = 500
CHANGE_REASON = "HSDS import"
# HSDS tables the directory has no place for, and why.
IGNORED_TABLES = {
    "program": "programs are not kept",
    "contact": "named contacts are people's personal data and are not kept",
    "funding": "funding is not kept",
    "required_document": "required documents are not kept",
    "metadata": "change metadata is not kept (the directory records its own history)",
    "meta_table_description": "table descriptions are not kept",
}


@dataclass
class Plan:
    """One object to write: matched by ``uuid``; ``create`` builds a new one,
    ``update`` holds the fields to compare with an existing one."""

    row: Row
    uuid: str
    create: dict[str, Any]
    update: dict[str, Any]
    after: Callable[[Any], None] | None = None
    # Derives fields from the others just before validation (a location's public point).
    prepare: Callable[[Any], None] | None = None


class ImportRun:
    """One import: its tables, its report and what it has written so far."""

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

    def step(self, entity: str) -> None:
        self.bar.update(len(self.tables.of(entity)))

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
            self._db_org_cache = by_uuid(m.Organisation.objects.all(), refs - {"None"})
        return self._db_org_cache

    def apply(
        self, model: type[models.Model], plans: list[Plan], entity: str, existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create or update by uuid; returns uuid -> object for the rows written or unchanged.
        ``existing`` (uuid -> object) is what the caller already read of them."""
        result: dict[str, Any] = {}
        if not plans:
            return result
        if existing is None:
            existing = by_uuid(model._default_manager.all(), (p.uuid for p in plans))
        # Foreign keys are resolved by the importer (clean_fields would query each);
        # time zones are checked against a cached list (the model's validator reads the disk).
        fk_names = [f.name for f in model._meta.fields if f.is_relation] + (["timezone"] if model is m.Location else [])
        creates: list[tuple[Plan, Any]] = []
        updates: list[tuple[Plan, Any]] = []
        changed_fields: set[str] = set()
        for plan in plans:
            current = existing.get(plan.uuid)
            if current is None:
                obj = model(uuid=plan.uuid, **plan.create)
                if plan.prepare:
                    plan.prepare(obj)
                if not self.clean(plan.row, obj, fk_names):
                    continue
                creates.append((plan, obj))
                continue
            diffs = [name for name, value in plan.update.items() if not same(getattr(current, name), value)]
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
        """Django's own field checks (``clean_fields``), so the report carries
        its messages; the caller excludes what it has checked itself."""
        try:
            obj.clean_fields(exclude=exclude)
        except ValidationError as exc:
            self.error(row, django_message(exc))
            return False
        return True

    def _bulk(
        self,
        model: type[models.Model],
        items: list[tuple[Plan, Any]],
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
                try:
                    with transaction.atomic():
                        self._write(model, [obj], create=create, history=history, fields=fields)
                    done.append((plan, obj))
                except DatabaseError as exc:
                    self.error(plan.row, f"the database refused it: {db_message(exc)}")
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
            copy_create(model, objs)
        else:
            copy_update(model, objs, fields or [])
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

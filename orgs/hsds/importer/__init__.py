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

from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.utils import timezone

from orgs.hsds.importer.links import Links
from orgs.hsds.importer.locations import Locations
from orgs.hsds.importer.memberships import Memberships
from orgs.hsds.importer.organisations import Organisations
from orgs.hsds.importer.report import ERROR, WARNING, ImportReport, Issue
from orgs.hsds.importer.run import IGNORED_TABLES
from orgs.hsds.importer.services import Services
from orgs.hsds.importer.taxonomy import TaxonomyTerms
from orgs.hsds.tabular import Source, Tables, collector_paused
from orgs.search import index as search_index

__all__ = ["ERROR", "WARNING", "ImportReport", "Issue", "hsds_import"]


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


class _Importer(TaxonomyTerms, Organisations, Locations, Services, Links, Memberships):
    """The steps in dependency order: each reads what the ones before it wrote."""

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

    def other_rows(self) -> None:
        for entity in ("taxonomy",):
            self.valid(entity)
        # Phones that belong to nothing kept here (a contact's, an organisation's).
        for row in self.valid("phone"):
            if not (row.data.get("location_id") or row.data.get("service_id")):
                self.report.ignored["phone"] += 1

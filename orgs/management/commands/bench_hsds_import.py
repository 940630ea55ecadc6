"""manage.py bench_hsds_import: import speed on a generated HSDS CSV data package.

Generates a package of about ``--rows`` rows (organizations, their locations
with addresses, phones and hours, services with their cost options, links and
attributes, a category taxonomy), then times the whole pipeline a user runs
(read the files, check every row, write, refresh the search index): a first
import into the database, and a second one of the same files, which must
change nothing. Prints a table with rows per second against the target.

What an earlier run with the same seed left is removed first (untimed), so
the first import always creates everything.

Refuses any database whose name does not end in ``_bench`` (or a test
database): the synthetic organisations never reach the product's data.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from orgs.hsds import vocab
from orgs.hsds.exporter import CSV_TABLES
from orgs.hsds.importer import ImportReport, hsds_import
from orgs.hsds.tabular import Source, Tables, flatten, read_files, tables_from_files, write_csv_package
from orgs.search import index as search_index

TARGET_ROWS_PER_S = 5000
ROWS_PER_ORGANISATION = 18  # what generate() writes per organisation (checked by the test)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(rows: int, *, seed: int = 7) -> Tables:
    """About ``rows`` HSDS rows across the tables, deterministic for a seed."""
    rng = random.Random(seed)
    tables = Tables()
    categories = []
    for i in range(12):
        term = {
            "id": _uuid(rng),
            "code": f"bench-category-{i}",
            "name": f"Категория {i}",
            "description": "Synthetic benchmark category.",
            "taxonomy_id": vocab.CATEGORIES.id,
            "taxonomy": vocab.CATEGORIES.name,
        }
        flatten(term, "taxonomy_term", tables, Source("bench"), {})
        categories.append(term["id"])
    n_orgs = max(1, (rows - len(categories)) // ROWS_PER_ORGANISATION)
    for n in range(n_orgs):
        oid, lid = _uuid(rng), _uuid(rng)
        lat, lon = rng.uniform(43, 68), rng.uniform(20, 170)
        visibility = "approximate" if n % 10 == 0 else "exact"
        location = {
            "id": lid,
            "location_type": "physical",
            "organization_id": oid,
            "name": f"Отделение {n}",
            "latitude": round(lat, 6),
            "longitude": round(lon, 6),
            "addresses": [
                {
                    "id": vocab.derived_id("address", lid),
                    "address_1": f"ул. Синтетическая, {n % 200 + 1}",
                    "city": f"Город {n % 500}",
                    "state_province": "Область",
                    "postal_code": "",
                    "country": "RU",
                    "address_type": "physical",
                }
            ],
            "phones": [{"id": vocab.derived_id("phone", lid), "number": f"+7 900 {n:07d}"}],
            "schedules": [
                {
                    "id": vocab.derived_id("schedule", lid, d),
                    "freq": "WEEKLY",
                    "byday": d,
                    "opens_at": "09:00",
                    "closes_at": "18:00",
                }
                for d in ("MO", "TH")
            ],
            "attributes": [
                {
                    "id": vocab.derived_id("attribute", lid, "v"),
                    "taxonomy_term_id": vocab.VISIBILITY.id,
                    "value": visibility,
                },
                {
                    "id": vocab.derived_id("attribute", lid, "tz"),
                    "taxonomy_term_id": vocab.TIME_ZONE.id,
                    "value": "Europe/Moscow",
                },
            ],
        }
        organization = {
            "id": oid,
            "name": f"АНО «Синтетическая помощь {n}»",
            "description": "Synthetic benchmark organisation.",
            "email": f"org{n}@bench.example",
            "locations": [location],
        }
        flatten(organization, "organization", tables, Source("bench"), {})
        for k in range(2):
            sid = _uuid(rng)
            service = {
                "id": sid,
                "organization_id": oid,
                "name": f"Консультация {k}",
                "status": "active",
                "description": "Synthetic benchmark service.",
                "service_at_locations": [{"id": _uuid(rng), "location_id": lid}],
                "cost_options": [{"id": vocab.derived_id("cost", sid), "option": "Free of charge", "amount": 0}],
                "attributes": [
                    {"id": vocab.derived_id("attribute", sid, "c"), "taxonomy_term_id": rng.choice(categories)},
                    {
                        "id": vocab.derived_id("attribute", sid, "f"),
                        "taxonomy_term_id": vocab.SERVICE_FORMAT.id,
                        "value": "in_person",
                    },
                ],
            }
            flatten(service, "service", tables, Source("bench"), {})
    return tables


# What an import writes for the synthetic organisations, children first (their
# foreign keys are checked at commit; the cascade is Django's, not the database's).
_SERVICES = "(SELECT id FROM orgs_service WHERE organisation_id = ANY(%(ids)s))"
_LOCATIONS = "(SELECT id FROM orgs_location WHERE organisation_id = ANY(%(ids)s))"
_REMOVE = (
    "DELETE FROM orgs_searchentry WHERE organisation_id = ANY(%(ids)s)",
    "DELETE FROM orgs_remoteentry WHERE organisation_id = ANY(%(ids)s)",
    f"DELETE FROM orgs_serviceatlocation WHERE service_id IN {_SERVICES}",
    f"DELETE FROM orgs_service_categories WHERE service_id IN {_SERVICES}",
    f"DELETE FROM orgs_service_target_groups WHERE service_id IN {_SERVICES}",
    f"DELETE FROM orgs_openinghours WHERE location_id IN {_LOCATIONS}",
    "DELETE FROM orgs_historicalservice WHERE organisation_id = ANY(%(ids)s)",
    "DELETE FROM orgs_historicallocation WHERE organisation_id = ANY(%(ids)s)",
    "DELETE FROM orgs_historicalorganisation WHERE id = ANY(%(ids)s)",
    "DELETE FROM orgs_service WHERE organisation_id = ANY(%(ids)s)",
    "DELETE FROM orgs_location WHERE organisation_id = ANY(%(ids)s)",
    "DELETE FROM orgs_organisation WHERE id = ANY(%(ids)s)",
    "DELETE FROM orgs_category WHERE uuid = ANY(%(terms)s::uuid[])",
)


def remove_previous_run(tables: Tables) -> int:
    """Delete the organisations and categories of ``tables`` (and all an import
    wrote for them) from the benchmark database, then recompute the derived
    search tables. Returns how many organisations there were."""
    uuids = [row.id for row in tables.of("organization")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM orgs_organisation WHERE uuid = ANY(%s::uuid[])", [uuids])
        ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return 0
        terms = [row.id for row in tables.of("taxonomy_term")]
        for sql in _REMOVE:
            cursor.execute(sql, {"ids": ids, "terms": terms})
    search_index.rebuild()
    return len(ids)


def database_allowed(name: str) -> bool:
    return name.endswith("_bench") or name.startswith("test_")


class Command(BaseCommand):
    help = "Time HSDS import on a generated CSV data package (database name must end in _bench)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="Rows in the generated package (default 100000).")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        name = str(connection.settings_dict["NAME"])
        if not database_allowed(name):
            raise CommandError(
                f"Refusing to write synthetic organisations into {name!r}: use a database whose name ends in "
                "_bench, e.g. DATABASE_URL=postgis://postgres@127.0.0.1:54329/helplocator_bench "
                "(createdb and migrate it first)."
            )
        if options["rows"] < ROWS_PER_ORGANISATION:
            raise CommandError(f"--rows must be at least {ROWS_PER_ORGANISATION}.")
        started = time.perf_counter()
        tables = generate(options["rows"], seed=options["seed"])
        generated_s = time.perf_counter() - started
        removed = remove_previous_run(tables)
        if removed:
            self.stdout.write(f"Removed the {removed:,} organisations of an earlier run with this seed.")
        with tempfile.TemporaryDirectory(prefix="hsds-bench-") as tmp:
            package = Path(tmp) / "package"
            started = time.perf_counter()
            write_csv_package(tables, package, CSV_TABLES)
            generated_s += time.perf_counter() - started
            runs = [("first import", self._timed(package)), ("same files again", self._timed(package))]
        rows = runs[0][1][0].rows
        self.stdout.write(f"Generated a CSV package of {rows:,} rows in {generated_s:.1f} s (database {name}).")
        header = (
            f"| {'run':<18} | {'rows':>8} | {'seconds':>8} | {'rows/s':>8} | {'created':>8} | {'updated':>8} "
            f"| errors | target {TARGET_ROWS_PER_S}/s |"
        )
        self.stdout.write(header)
        self.stdout.write("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
        for label, (report, seconds) in runs:
            rate = report.rows / seconds if seconds else 0.0
            verdict = "PASS" if rate >= TARGET_ROWS_PER_S and not report.errors else "FAIL"
            self.stdout.write(
                f"| {label:<18} | {report.rows:>8,} | {seconds:>8.2f} | {rate:>8,.0f} | "
                f"{sum(report.created.values()):>8,} | {sum(report.updated.values()):>8,} | {len(report.errors):>6} | "
                f"{verdict:<13} |"
            )

        for label, (report, _seconds) in runs:
            for issue in report.errors[:5]:
                self.stdout.write(f"{label}: {issue}")

    def _timed(self, package: Path) -> tuple[ImportReport, float]:
        started = time.perf_counter()
        report = hsds_import(tables=tables_from_files(read_files(package)), publish=True)
        return report, time.perf_counter() - started

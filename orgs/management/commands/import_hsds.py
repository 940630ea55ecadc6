"""manage.py import_hsds: load an HSDS JSON file, a CSV data package (a
directory or a .zip) or the coalition CSV template; an upsert by HSDS id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.hsds.importer import hsds_import
from orgs.hsds.tabular import read_files, tables_from_files

MAX_LISTED = 200


class Command(BaseCommand):
    help = (
        "Import HSDS 3 data: a JSON file (an object, a page, a list, NDJSON, the tabular JSON), a CSV data package "
        "(directory or .zip) or the coalition CSV template. Objects are matched by HSDS id; running it twice changes "
        "nothing. New organisations are pending until a moderator publishes them (--publish for a trusted source)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A .json/.ndjson/.csv file, a .zip, or a directory of CSV files.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--atomic", action="store_true", help="One bad row and nothing at all is imported.")
        parser.add_argument(
            "--publish", action="store_true", help="Publish new organisations (and activate their coalition roles)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            files = read_files(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"{path}: cannot read it ({exc}).") from exc
        tables = tables_from_files(files)
        report = hsds_import(
            tables=tables,
            dry_run=options["dry_run"],
            atomic=options["atomic"],
            publish=options["publish"],
            progress=options["verbosity"] > 0,
        )
        for label, issues in (("ERROR", report.errors), ("warning", report.warnings)):
            for issue in issues[:MAX_LISTED]:
                self.stderr.write(f"{label} {issue}")
            if len(issues) > MAX_LISTED:
                self.stderr.write(f"… and {len(issues) - MAX_LISTED} more ({label.lower()}s)")
        rate = report.rows / report.seconds if report.seconds else 0.0
        line = f"{path}: {report.summary()} in {report.seconds:.1f} s ({rate:,.0f} rows/s)"
        if report.errors:
            raise CommandError(line)
        self.stdout.write(self.style.SUCCESS(line))

"""manage.py export_hsds: the published directory as HSDS 3 JSON and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from orgs.hsds.exporter import export_directory


class Command(BaseCommand):
    help = (
        "Export the published directory as HSDS 3: hsds.json (taxonomies, terms, fully nested organizations and "
        "services) and csv/ (the tabular data package with datapackage.json). Public data only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=Path("hsds-export"), help="Directory (default hsds-export).")
        parser.add_argument(
            "--format", choices=["json", "csv", "both"], default="both", help="What to write (default both)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        formats = ("json", "csv") if options["format"] == "both" else (options["format"],)
        result = export_directory(directory=options["output"], formats=formats, progress=options["verbosity"] > 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {result.organizations} organizations and {result.services} services to {options['output']}: "
                + ", ".join(str(p.relative_to(options["output"])) for p in result.files)
            )
        )

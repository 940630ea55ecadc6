"""manage.py build_basemap: the product's own vector basemap (orgs/basemap/build.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from orgs.basemap.build import DEFAULT_MAX_ZOOM, Options, build


class Command(BaseCommand):
    help = "Build the basemap archive (PMTiles) from Natural Earth and the gazetteer; skipped when up to date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None, help="default: settings.MAP_BASEMAP_BUILT")
        parser.add_argument("--max-zoom", type=int, default=DEFAULT_MAX_ZOOM)
        parser.add_argument("--force", action="store_true", help="build even when the inputs are unchanged")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["output"] or Path(settings.MAP_BASEMAP_BUILT)
        started = time.monotonic()
        result = build(Options(path=path, max_zoom=options["max_zoom"]), force=options["force"])
        if not result.built:
            self.stdout.write(f"Basemap up to date: {path} ({result.size:,} bytes).")
            return
        zooms = ", ".join(f"z{z}: {n}" for z, n in result.per_zoom.items())
        self.stdout.write(
            f"Built {path}: {result.tiles:,} tiles ({zooms}), {result.size:,} bytes"
            f" in {time.monotonic() - started:.1f} s."
        )

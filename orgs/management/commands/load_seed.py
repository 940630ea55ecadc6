from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orgs.press.topics import press_topics_seed
from orgs.seed import DEFAULT_SEED_PATH, SeedError, seed_load


class Command(BaseCommand):
    help = "Load fixtures/seed.json (categories, target groups, networks, seed organisations) idempotently."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--file", type=Path, default=DEFAULT_SEED_PATH, help="Seed JSON file to load.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            report = seed_load(path=path)
        except FileNotFoundError as exc:
            raise CommandError(f"No seed file at {path}; pass --file PATH.") from exc
        except (json.JSONDecodeError, SeedError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Seed {path}: {report.summary()}"))
        # The coalitions' press topics (fixtures/press_topics.json), kept apart from the
        # listings; only coalitions without topics get them, so coordinators' edits stay.
        topics = press_topics_seed()
        self.stdout.write(self.style.SUCCESS(f"Press topics: {topics} coalition(s) given their seed topics."))

"""Recompute the nearest-search rows and map clusters from the directory (after
a bulk load or a restore; ordinary writes keep them in step by themselves)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from orgs.search import index as search_index


class Command(BaseCommand):
    help = "Rebuild the nearest-search table and the precomputed map clusters."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reorder-only",
            action="store_true",
            help="Only rewrite the search rows in index-friendly order (the weekly job), without recomputing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["reorder_only"]:
            with transaction.atomic():
                rows = search_index.rebuild()
            self.stdout.write(f"search rows: {rows}")
        search_index.reorder()
        self.stdout.write("search rows reordered")

"""Recompute the stored coverage (how far each town is from help): the
scheduled job, and after bulk changes the incremental updates do not cover
(a gazetteer or taxonomy reload)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from orgs.coverage.compute import refresh_all


class Command(BaseCommand):
    help = "Recompute the coverage of every gazetteer town for every category (where help is missing)."

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = refresh_all()
        from orgs.models import CoverageTown

        self.stdout.write(f"coverage: {CoverageTown.objects.count()} town rows in {seconds:.1f} s")

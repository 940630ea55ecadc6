"""Run daily (cron or a systemd timer): remind owners of listings not confirmed
for 6 months, mark listings not confirmed for 12 months as stale."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from orgs.services import verification_reminders


class Command(BaseCommand):
    help = "E-mail owners whose listing needs confirming; mark year-old listings as not verified."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="", help="Public address for the links, e.g. https://help.example")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verification_reminders(base_url=options["base_url"])
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in result.items()))

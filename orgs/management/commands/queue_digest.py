"""Run daily (a systemd timer, or deploy/jobs.sh): e-mail each coordinator who
chose the digest what waits in their queue, when something new arrived."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from orgs.services import digest_send


class Command(BaseCommand):
    help = "E-mail the daily digest of their queue to coordinators who chose it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="", help="Public address for the links, e.g. https://help.example")

    def handle(self, *args: Any, **options: Any) -> None:
        result = digest_send(base_url=options["base_url"])
        self.stdout.write(f"sent: {result.sent}, nothing new: {result.nothing_new}")

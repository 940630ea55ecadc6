"""Run every few minutes (cron or a systemd timer): close journalists' requests
past their deadline, delete unconfirmed ones, expire experts' unanswered
invitations and ask the next expert.

    */5 * * * *  cd /srv/help-locator && .venv/bin/python manage.py press_housekeeping --base-url https://help.example

The pages also close an overdue request when it is opened, so a late run
never shows a journalist a stale state; but only this command moves a request
on to the next expert when nobody opens anything.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from orgs.press.housekeeping import press_housekeeping


class Command(BaseCommand):
    help = "Close press requests past their deadline; expire unanswered invitations and ask the next expert."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url", default="", help="Public address for the links in e-mails, e.g. https://help.example"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = press_housekeeping(base_url=options["base_url"])
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in result.items()))

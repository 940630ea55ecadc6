"""The first coordinator of a coalition on a new deployment, before any site
moderator can use the pages: ``manage.py appoint_coordinator <network-slug>
<email> --base-url https://help.example``.

It runs the same service as the coordinators page, acting as the system
(``by=None``): this command is the only caller allowed to do so, since whoever
runs it already holds the server.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orgs import models as m
from orgs import services


class Command(BaseCommand):
    help = "Appoint an existing account (by e-mail) as a coordinator of a coalition; the person is e-mailed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("network", help="The coalition's slug, e.g. stop-sed")
        parser.add_argument("email", help="The e-mail address of the person's account")
        parser.add_argument(
            "--base-url", default="", help="Public address for the mail's link, e.g. https://help.example"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network = m.Network.objects.filter(slug=options["network"]).first()
        if network is None:
            known = ", ".join(m.Network.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No coalition has the slug {options['network']!r}. Known: {known}.")
        try:
            coordinator = services.coordinator_appoint(
                by=None, network=network, email=options["email"], base_url=options["base_url"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(str(msg) for msg in exc.messages)) from exc
        self.stdout.write(f"{coordinator.user.email or coordinator.user.username} now coordinates {network.slug}.")

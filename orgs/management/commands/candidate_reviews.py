"""Run daily (cron or a systemd timer): remind a coalition's coordinators and
the organisation before a candidate's term ends; on the date the candidate
waits in the coordinators' queue for its review."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from orgs import models as m
from orgs.services import candidates_remind


class Command(BaseCommand):
    help = "E-mail reminders of candidates' terms ending soon; count the candidates waiting for their review."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="", help="Public address for the links, e.g. https://help.example")

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = candidates_remind(base_url=options["base_url"])
        due = m.Membership.objects.filter(
            role=m.MembershipRole.CANDIDATE, status=m.MembershipStatus.ACTIVE, until__lte=timezone.localdate()
        ).count()
        self.stdout.write(f"reminded: {reminded}, due for review: {due}")

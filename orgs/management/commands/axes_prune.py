"""Run hourly (a systemd timer, or deploy/jobs.sh): delete django-axes' records
of failed logins once their lockout is over.

Each record holds what was typed as the user name (often an e-mail address),
the client address and the browser's user agent. They are needed only while
they can still lock an account out: AXES_COOLOFF_TIME after the last failure
(an hour). django-axes itself deletes a user's expired records only when that
same user name is tried again, so without this they stay for ever.

    0 * * * *  cd /srv/help-locator && .venv/bin/python manage.py axes_prune
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management.base import BaseCommand
from django.utils import timezone


def axes_prune() -> int:
    """Delete the failed-login records past the cool-off; the number deleted."""
    cool_off = get_cool_off()
    if cool_off is None:  # pragma: no cover - a lockout for ever needs its records for ever
        return 0
    cutoff = timezone.now() - cool_off
    deleted = 0
    # The logs are off in settings (AXES_DISABLE_ACCESS_LOG); pruned too in case a deployment turns them on.
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _by_model = model.objects.filter(attempt_time__lt=cutoff).delete()
        deleted += count
    return deleted


class Command(BaseCommand):
    help = "Delete django-axes' failed-login records (user names, addresses, browsers) once their lockout is over."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = axes_prune()
        if options["verbosity"] > 1:
            self.stdout.write(f"deleted {deleted} login records past the cool-off")

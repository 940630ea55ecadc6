"""django-axes' records of failed logins (the typed user name, the client
address, the browser) are kept only while their lockout lasts: the hourly
``axes_prune`` job deletes the rest, and the deploy files schedule it. The
deploy docs keep literal values out of PostgreSQL's own log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def _attempt(username: str, age: dt.timedelta) -> AccessAttempt:
    attempt = AccessAttempt.objects.create(
        username=username, ip_address="203.0.113.5", user_agent="Mozilla", failures_since_start=5
    )
    # attempt_time is auto_now_add: set the past with an update.
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - age)
    return attempt


def test_records_past_the_cool_off_are_deleted_and_live_lockouts_kept(settings) -> None:
    settings.AXES_COOLOFF_TIME = 1
    _attempt("old@example.org", dt.timedelta(hours=1, minutes=1))
    _attempt("older@example.org", dt.timedelta(days=30))
    live = _attempt("now@example.org", dt.timedelta(minutes=59))
    call_command("axes_prune")
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [live.pk]


def test_the_prune_is_scheduled_under_systemd_and_compose() -> None:
    service = (ROOT / "deploy/systemd/help-locator-axes-prune.service").read_text()
    timer = (ROOT / "deploy/systemd/help-locator-axes-prune.timer").read_text()
    assert "manage.py axes_prune" in service and "OnCalendar=hourly" in timer
    assert "manage.py axes_prune" in (ROOT / "deploy/jobs.sh").read_text()
    readme = (ROOT / "docs" / "deploy.md").read_text()
    assert "help-locator-axes-prune.timer" in readme and "`manage.py axes_prune` hourly" in readme


def test_the_deploy_docs_keep_values_out_of_the_database_log() -> None:
    readme = (ROOT / "docs" / "deploy.md").read_text()
    assert "log_min_error_statement = panic" in readme and "log_error_verbosity = terse" in readme
    db = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["db"]
    assert "log_min_error_statement=panic" in db["command"] and "log_error_verbosity=terse" in db["command"]

"""Deliver queued e-mail (orgs/outbox.py) and delete old sent rows.

    .venv/bin/python manage.py send_outbox           # one pass (a timer or cron)
    .venv/bin/python manage.py send_outbox --loop    # poll every 5 s (the systemd service, ./dev run)

Any number may run at once, on any number of machines: each row is claimed
with a PostgreSQL row lock (SKIP LOCKED), so none is sent twice. A database
or SMTP outage only makes a pass fail; the loop keeps going.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from orgs import outbox

logger = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Send the queued e-mail (retrying with backoff) and delete sent rows past their retention."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep polling (until SIGTERM or Ctrl-C)")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes with --loop (5)")
        parser.add_argument("--limit", type=int, default=100, help="messages per batch (100)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["loop"]:
            self.stdout.write(json.dumps(self._pass(options["limit"], purge=True)))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        last_purge = 0.0
        while not stop.is_set():
            purge = time.monotonic() - last_purge >= PURGE_EVERY_SECONDS
            try:
                counts = self._pass(options["limit"], purge=purge, stop=stop)
            except DatabaseError as exc:
                # The database is down or restarting: try again next pass.
                logger.warning("send_outbox: pass failed: %s", type(exc).__name__)
                connections.close_all()
            else:
                if purge:
                    last_purge = time.monotonic()
                if any(counts.values()):
                    self.stdout.write(json.dumps(counts))
                    self.stdout.flush()
            stop.wait(options["interval"])

    def _pass(self, limit: int, *, purge: bool, stop: threading.Event | None = None) -> dict[str, int]:
        total = outbox.Delivery()
        while stop is None or not stop.is_set():
            batch = outbox.deliver_due(limit=limit)
            total.sent += batch.sent
            total.retried += batch.retried
            total.failed += batch.failed
            if batch.sent + batch.retried + batch.failed < limit:
                break
        deleted = outbox.purge() if purge else 0
        return {"sent": total.sent, "retried": total.retried, "failed": total.failed, "deleted": deleted}

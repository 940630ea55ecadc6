"""Outgoing mail through a table: queued in the caller's transaction, sent after commit.

``EMAIL_BACKEND = "orgs.outbox.OutboxBackend"`` makes every ``send_mail`` and
``EmailMessage.send`` (the services, the press desk, sign-up, Django's password
reset) only INSERT an ``OutgoingEmail`` row in the current transaction. So an
action that rolls back sends nothing, an action that commits has its mail
queued (a press disclosure is logged if and only if its mail is), and SMTP being
down never fails the action.

``deliver_due`` sends queued rows through the real backend
(``OUTBOX_DELIVERY_BACKEND``). Each row is claimed with ``SELECT ... FOR UPDATE
SKIP LOCKED`` and kept locked until its outcome is committed: the lock lives in
PostgreSQL, so any number of senders on any number of machines never send one
row twice. (A sender killed between the SMTP server's "250 OK" and its commit
sends that one message again on the next pass: at least once, never lost.)
It runs from ``manage.py send_outbox`` (a service in production, ``./dev run``)
and, for promptness, in a background thread after each commit that queued mail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections, transaction
from django.utils import timezone

from orgs.models import OutgoingEmail, OutgoingEmailStatus

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


class OutboxBackend(BaseEmailBackend):
    """Django's e-mail backend interface, writing rows instead of talking SMTP."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = [_row(message) for message in email_messages if message.recipients()]
        if not rows:
            return 0
        OutgoingEmail.objects.bulk_create(rows)
        if getattr(settings, "OUTBOX_SEND_ON_COMMIT", True):
            transaction.on_commit(kick)
        return len(rows)


def _row(message: EmailMessage) -> OutgoingEmail:
    if message.attachments:
        # Nothing in the project attaches files; refuse rather than drop them.
        raise ValueError("the outbox does not store attachments")
    html = ""
    for content, mimetype in getattr(message, "alternatives", None) or []:
        if mimetype == "text/html":
            html = str(content)
    return OutgoingEmail(
        subject=str(message.subject),
        body=str(message.body),
        html_body=html,
        from_email=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
        to=[str(a) for a in message.to],
        cc=[str(a) for a in message.cc],
        bcc=[str(a) for a in message.bcc],
        reply_to=[str(a) for a in message.reply_to],
        headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    )


def _message(row: OutgoingEmail, connection: Any) -> EmailMessage:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=list(row.to),
        cc=list(row.cc),
        bcc=list(row.bcc),
        reply_to=list(row.reply_to),
        headers=dict(row.headers),
        connection=connection,
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    return message


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... at most an hour."""
    return dt.timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def short_error(exc: BaseException) -> str:
    """What the admin and the logs may say about a failure: the exception's class
    and the SMTP codes (an SMTP server's text can quote recipients, so it is left out)."""
    parts = [type(exc).__name__]
    if isinstance(exc, smtplib.SMTPResponseException):
        parts.append(str(exc.smtp_code))
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts.append(",".join(sorted({str(code) for code, _msg in exc.recipients.values()})))
    elif isinstance(exc, OSError) and exc.errno is not None:
        parts.append(f"errno {exc.errno}")
    return " ".join(parts)[:200]


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _claim(now: dt.datetime) -> OutgoingEmail | None:
    return (
        OutgoingEmail.objects.select_for_update(skip_locked=True)
        .filter(status=OutgoingEmailStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .first()
    )


def deliver_due(*, limit: int = 100) -> Delivery:
    """Send up to ``limit`` due rows, one transaction (and one row lock) each, so a
    sent row is marked sent as soon as the server took it."""
    result = Delivery()
    connection = get_connection(settings.OUTBOX_DELIVERY_BACKEND, fail_silently=False)
    max_attempts = int(settings.OUTBOX_MAX_ATTEMPTS)
    server_down = False
    try:
        for _ in range(limit):
            with transaction.atomic():
                row = _claim(timezone.now())
                if row is None:
                    break
                try:
                    if _message(row, connection).send() != 1:
                        raise smtplib.SMTPException("not sent")
                except Exception as exc:
                    _close_quietly(connection)
                    server_down = _server_unreachable(exc)
                    row.attempts += 1
                    row.last_error = short_error(exc)
                    if row.attempts >= max_attempts:
                        row.status = OutgoingEmailStatus.FAILED
                        result.failed += 1
                    else:
                        row.next_attempt_at = timezone.now() + backoff(row.attempts)
                        result.retried += 1
                    logger.warning(
                        "outgoing e-mail %s not sent (attempt %s, %s): %s",
                        row.pk,
                        row.attempts,
                        row.status,
                        row.last_error,
                    )
                else:
                    row.attempts += 1
                    row.status = OutgoingEmailStatus.SENT
                    row.sent_at = timezone.now()
                    row.last_error = ""
                    result.sent += 1
                row.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
            if result.retried + result.failed and server_down:
                # The server itself is unreachable: trying the other rows now
                # would only wait out EMAIL_TIMEOUT once per row, each holding
                # a transaction. They are tried on the next pass.
                break
    finally:
        _close_quietly(connection)
    return result


def _server_unreachable(exc: BaseException) -> bool:
    """A failure of the mail server as a whole (no connection, a timeout, a 421
    "service not available"), as opposed to one message's (a refused recipient)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421 or isinstance(exc, smtplib.SMTPConnectError)
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return False
    return isinstance(exc, OSError)


def _close_quietly(connection: Any) -> None:
    # A broken SMTP session is dropped; the next send opens a fresh one.
    with contextlib.suppress(Exception):
        connection.close()


def purge(*, now: dt.datetime | None = None) -> int:
    """Delete sent rows older than OUTBOX_KEEP_SENT_DAYS and failed ones older than
    OUTBOX_KEEP_FAILED_DAYS: bodies carry personal data (an expert's contacts)."""
    now = now or timezone.now()
    sent = OutgoingEmail.objects.filter(
        status=OutgoingEmailStatus.SENT, sent_at__lt=now - dt.timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS)
    )
    failed = OutgoingEmail.objects.filter(
        status=OutgoingEmailStatus.FAILED,
        created_at__lt=now - dt.timedelta(days=settings.OUTBOX_KEEP_FAILED_DAYS),
    )
    return sent.delete()[0] + failed.delete()[0]


# --- the prompt attempt after commit ---------------------------------------------------------

_running = threading.Lock()
_wanted = threading.Event()


def kick() -> None:
    """Try the due rows now, in a daemon thread: the response never waits for SMTP.
    One thread per process at a time; a kick while it runs makes it pass again."""
    _wanted.set()
    if _running.acquire(blocking=False):
        threading.Thread(target=_drain, name="outbox-send", daemon=True).start()


def _drain() -> None:
    try:
        while _wanted.is_set():
            _wanted.clear()
            try:
                deliver_due(limit=int(settings.OUTBOX_KICK_LIMIT))
            except Exception as exc:  # the sender service retries; never crash the worker
                logger.warning("outbox: delivery after commit failed: %s", short_error(exc))
    finally:
        connections.close_all()
        _running.release()

"""The outgoing-mail table (orgs/outbox.py writes and delivers it)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class OutgoingEmailStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class OutgoingEmail(models.Model):
    """One message, written in the same transaction as the action that sends it
    and delivered after commit: a rolled-back action sends nothing, and SMTP
    being down never fails the action."""

    subject = models.TextField()
    body = models.TextField()
    html_body = models.TextField(blank=True, default="")
    from_email = models.CharField(max_length=254)
    to = ArrayField(models.CharField(max_length=254), default=list)
    cc = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    bcc = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    reply_to = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=OutgoingEmailStatus.choices, default=OutgoingEmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The exception's class and SMTP code only: never the body or the recipients.
    last_error = models.CharField(max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outgoing e-mail"
        indexes = [
            # The sender's claim: due queued rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                name="outgoing_email_due",
                condition=models.Q(status=OutgoingEmailStatus.QUEUED),
            ),
            models.Index(fields=["status", "sent_at"], name="outgoing_email_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.subject[:60]}"

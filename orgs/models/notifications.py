"""How a person hears about their work: a coordinator's choice between an
e-mail for each new item in the queue and a daily digest, and the language
of the mails the site sends them; and the corrections anyone may suggest to a
public listing, which wait in the owner's and the coordinator's queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models.base import TimeStamped
from orgs.models.directory import Organisation


class NotificationMode(models.TextChoices):
    EACH = "each", _("An e-mail for each new item")
    DIGEST = "digest", _("One digest a day")


class NotificationPreference(models.Model):
    """A person's choices; without a row: an e-mail for each item, in the site's language."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="notification_preference")
    mode = models.CharField(max_length=10, choices=NotificationMode.choices, default=NotificationMode.EACH)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    # What the next digest counts as new: items created after the last one went out.
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"


class CorrectionKind(models.TextChoices):
    CONTACT = "contact", _("Wrong phone, e-mail or website")
    PLACE = "place", _("Wrong address or hours")
    CLOSED = "closed", _("It has closed or no longer gives this help")
    OTHER = "other", _("Something else")


class Correction(TimeStamped):
    """A visitor's note that a public listing is wrong. Nothing about the visitor
    is kept beyond what they typed: no account, no address, no browser."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=10, choices=CorrectionKind.choices)
    text = models.TextField(max_length=2000)
    # Optional, given by the visitor for a reply; deleted with the correction.
    email = models.EmailField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["organisation"], name="correction_open", condition=Q(resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.kind}"

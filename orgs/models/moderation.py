"""What waits for a moderator: owners' change requests to published listings
and claims to manage an existing listing."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models.base import TimeStamped
from orgs.models.directory import Location, Organisation


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ModerationItem(TimeStamped):
    """Common shape of what waits for a moderator's decision."""

    status = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING, db_index=True)
    requested_by = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True


class ChangeRequest(ModerationItem):
    """An owner's change to a published listing that waits for approval: the
    name, the registry identifiers, a location's position or address.

    ``changes`` maps a field to {"old": …, "new": …}; a location change names
    its location. Two entries are more than one field: ``"identifiers"`` holds
    the whole list of other registry identifiers, old and new; ``"location"``
    holds a whole place: {"old": null, "new": {its fields}} to add one,
    {"old": {its fields}, "new": null} (naming the location) to remove it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="change_requests")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status=Decision.PENDING) | Q(status=Decision.WITHDRAWN) | Q(decided_at__isnull=False),
                name="change_request_decided_has_time",
            ),
        ]


class Claim(ModerationItem):
    """ "This is us — let us manage it": a partner asks to manage an existing listing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "requested_by"],
                condition=Q(status="pending"),
                name="claim_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status=Decision.PENDING) | Q(status=Decision.WITHDRAWN) | Q(decided_at__isnull=False),
                name="claim_decided_has_time",
            ),
        ]

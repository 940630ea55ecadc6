"""Who may edit a listing: partner accounts' access roles and the owners'
invitations to editors."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models.base import TimeStamped
from orgs.models.directory import Organisation


class AccessRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")


class OrganisationAccess(TimeStamped):
    """A partner account that may edit an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="organisation_access")
    role = models.CharField(max_length=20, choices=AccessRole.choices, default=AccessRole.OWNER)
    invited_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="organisation_access_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation} ({self.role})"


class EditorInvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Withdrawn")


class OrganisationInvitation(TimeStamped):
    """An owner's invitation to edit a listing, e-mailed as a signed, expiring
    link (``orgs.services.invitation_token``). The signature makes the link
    unforgeable; this row makes it single-use and lets the owner withdraw it
    before it expires, so a removed editor cannot come back with an old link.

    The address is the invitee's personal data: shown to the organisation's
    owners and site moderators only, never in a public output."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        max_length=20, choices=EditorInvitationStatus.choices, default=EditorInvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_address",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="invitation_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.status})"

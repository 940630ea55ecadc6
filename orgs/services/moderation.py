"""Moderators' and coordinators' decisions: publishing, rejecting or
suspending a listing, approving or rejecting a change request (and applying
it), and "this is us" claims. What waits for a decision is read by
``orgs.moderation``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services import decision_mail
from orgs.services.common import (
    NO_PRESENCE,
    NOT_COORDINATOR,
    _ensure_presence_without,
    _require,
    _save,
    has_presence,
)
from orgs.services.editing import _identifiers_replace
from orgs.services.locations import _from_json, _location_create, _snapshot_input

ALREADY_DECIDED = gettext_lazy("This has already been decided.")


def _decide(item: Any, *, user: User, approve: bool, reason: str) -> None:
    if item.status != m.Decision.PENDING:
        raise ValidationError(ALREADY_DECIDED)
    item.status = m.Decision.APPROVED if approve else m.Decision.REJECTED
    item.decided_by = user
    item.decided_at = timezone.now()
    item.reason = reason
    item.save()


@transaction.atomic
def organisation_moderate(
    *, user: User, organisation: m.Organisation, status: str, reason: str = "", base_url: str = ""
) -> m.Organisation:
    """Publish, reject or suspend a listing; the owners are e-mailed the decision, the reason
    and what to do next (with links when ``base_url``, the site's address, is known).
    Suspended and rejected listings leave every public output with this commit."""
    _require(permissions.can_decide_organisation(user, organisation), NOT_COORDINATOR)
    if status not in {m.PublicationStatus.PUBLISHED, m.PublicationStatus.REJECTED, m.PublicationStatus.SUSPENDED}:
        raise ValidationError({"status": [_("Choose publish, reject or suspend.")]})
    if status != m.PublicationStatus.PUBLISHED and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason: it is sent to the organisation.")]})
    org = m.Organisation.objects.select_for_update().get(pk=organisation.pk)
    if status == m.PublicationStatus.PUBLISHED and not has_presence(org):
        # The database refuses it too (a deferred trigger), but only at commit,
        # where it could only surface as a server error.
        raise ValidationError({"status": [NO_PRESENCE]})
    org.status = status
    org.moderation_reason = reason
    if status == m.PublicationStatus.PUBLISHED and org.last_verified_at is None:
        org.last_verified_at = timezone.localdate()
    _save(org, prefix="")
    decision_mail.organisation_decided(org, reason=reason, base_url=base_url)
    return org


@transaction.atomic
def change_request_decide(
    *, user: User, change_request: m.ChangeRequest, approve: bool, reason: str = "", base_url: str = ""
) -> m.ChangeRequest:
    _require(permissions.can_decide_organisation(user, change_request.organisation), NOT_COORDINATOR)
    cr = m.ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not approve and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason: it is sent to the organisation.")]})
    _decide(cr, user=user, approve=approve, reason=reason)
    if approve:
        _apply_change_request(cr)
    decision_mail.change_decided(cr, reason=reason, base_url=base_url)
    return cr


@transaction.atomic
def claim_decide(*, user: User, claim: m.Claim, approve: bool, reason: str = "", base_url: str = "") -> m.Claim:
    _require(permissions.can_decide_organisation(user, claim.organisation), NOT_COORDINATOR)
    claim = m.Claim.objects.select_for_update().get(pk=claim.pk)
    _decide(claim, user=user, approve=approve, reason=reason)
    if approve:
        m.OrganisationAccess.objects.get_or_create(
            organisation=claim.organisation, user=claim.requested_by, defaults={"role": m.AccessRole.OWNER}
        )
    decision_mail.claim_decided(claim, reason=reason, base_url=base_url)
    return claim


def _apply_change_request(cr: m.ChangeRequest) -> None:
    """What approving a change request does (the caller holds its row lock)."""
    org = cr.organisation
    changes = dict(cr.changes)
    if "location" in changes:
        proposal = changes["location"]
        if proposal.get("new") is not None:
            _location_create(org, _snapshot_input(proposal["new"]), prefix="")
        elif cr.location is not None:
            location = cr.location
            org = m.Organisation.objects.select_for_update().get(pk=org.pk)
            _ensure_presence_without(org, location)
            # The request outlives the place it names (deleting a place deletes its requests).
            cr.location = None
            cr.save(update_fields=["location"])
            location.delete()
        return
    if "identifiers" in changes:
        _identifiers_replace(org, changes.pop("identifiers")["new"])
    if not changes:
        return
    target: Any = cr.location if cr.location_id else org
    for field, change in changes.items():
        setattr(target, field, _from_json(field, change["new"]))
    _save(target, prefix="")

"""Moderators' and coordinators' decisions: publishing, rejecting or
suspending a listing, approving or rejecting a change request (and applying
it), and "this is us" claims. What waits for a decision is read by
``orgs.moderation``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import (
    NO_PRESENCE,
    NOT_ALLOWED,
    NOT_COORDINATOR,
    _decision_body,
    _ensure_presence_without,
    _notify,
    _owner_emails,
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
    _notify(
        to=_owner_emails(org),
        subject=_("Help Locator: %(name)s — %(status)s") % {"name": org.name, "status": org.get_status_display()},
        body=_moderation_body(org, reason=reason, base_url=base_url),
    )
    return org


def _moderation_body(org: m.Organisation, *, reason: str, base_url: str) -> str:
    """The decision, its reason, and the one thing the owner can do next."""
    base = base_url.rstrip("/")
    public = f"{base}{reverse('frontend:organisation', args=[org.slug])}" if base else ""
    manage = f"{base}{reverse('frontend:partner:organisation', args=[org.slug])}" if base else ""
    lines = [_decision_body(org.name, str(org.get_status_display()).lower(), reason)]
    if org.status == m.PublicationStatus.PUBLISHED:
        lines.append(_("People can now find it in the directory and on the map."))
        if public:
            lines.append(_("The listing: %(url)s") % {"url": public})
        lines.append(_("Keep it current: the site will ask you to confirm it from time to time."))
    else:
        lines.append(
            _(
                "It is not shown to the public now. Correct what the reason says on your listing's page, "
                "then write to the coordinators at %(email)s to have it checked again."
            )
            % {"email": settings.COORDINATORS_EMAIL}
        )
    if manage:
        lines.append(_("Your listing's page: %(url)s") % {"url": manage})
    return "\n\n".join(lines)


@transaction.atomic
def change_request_decide(
    *, user: User, change_request: m.ChangeRequest, approve: bool, reason: str = ""
) -> m.ChangeRequest:
    _require(permissions.can_decide_organisation(user, change_request.organisation), NOT_COORDINATOR)
    cr = m.ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not approve and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason: it is sent to the organisation.")]})
    _decide(cr, user=user, approve=approve, reason=reason)
    if approve:
        _apply_change_request(cr)
    _notify(
        to=[cr.requested_by.email, *_owner_emails(cr.organisation)],
        subject=_("Help Locator: your change to %(name)s was %(decision)s")
        % {"name": cr.organisation.name, "decision": cr.get_status_display()},
        body=_decision_body(cr.organisation.name, cr.get_status_display(), reason),
    )
    return cr


@transaction.atomic
def claim_create(*, user: User, organisation: m.Organisation, message: str = "") -> m.Claim:
    """ "This is us": ask to manage an existing listing."""
    _require(bool(user.is_authenticated and user.is_active), NOT_ALLOWED)
    claim = m.Claim(organisation=organisation, requested_by=user, message=message)
    _save(claim, prefix="", exclude=["decided_by"])
    return claim


@transaction.atomic
def claim_decide(*, user: User, claim: m.Claim, approve: bool, reason: str = "") -> m.Claim:
    _require(permissions.can_decide_organisation(user, claim.organisation), NOT_COORDINATOR)
    claim = m.Claim.objects.select_for_update().get(pk=claim.pk)
    _decide(claim, user=user, approve=approve, reason=reason)
    if approve:
        m.OrganisationAccess.objects.get_or_create(
            organisation=claim.organisation, user=claim.requested_by, defaults={"role": m.AccessRole.OWNER}
        )
    _notify(
        to=[claim.requested_by.email],
        subject=_("Help Locator: your request to manage %(name)s was %(decision)s")
        % {"name": claim.organisation.name, "decision": claim.get_status_display()},
        body=_decision_body(claim.organisation.name, claim.get_status_display(), reason),
    )
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

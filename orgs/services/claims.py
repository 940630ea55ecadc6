""" "This is us": a person asks to manage a listing that is already in the
directory. The decision is ``orgs.services.moderation.claim_decide``."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.locks import xact_lock
from orgs.services import notifications
from orgs.services.common import NOT_ALLOWED, _require, _save

CLAIM_MESSAGE_REQUIRED = gettext_lazy(
    "Say who you are in the organisation and how the moderator can check it (a phone number, a work e-mail)."
)
CLAIM_PENDING = gettext_lazy(
    "You have already asked to manage this listing: the request waits for a moderator. "
    "You will be told the decision by e-mail."
)
ALREADY_MANAGES = gettext_lazy("You already manage this listing: open it from your partner page.")


@transaction.atomic
def claim_create(*, user: User, organisation: m.Organisation, message: str = "", base_url: str = "") -> m.Claim:
    """Ask to manage ``organisation``; the coordinators who decide it are told.
    A second request while one waits is refused with ``CLAIM_PENDING`` (the
    unique index ``claim_one_pending_per_user`` is only the last line)."""
    _require(bool(user.is_authenticated and user.is_active), NOT_ALLOWED)
    message = message.strip()
    if not message:
        raise ValidationError({"message": [CLAIM_MESSAGE_REQUIRED]})
    # One request of this person's for this listing at a time: a double-submitted
    # form waits here and then finds the first request instead of the index's error.
    xact_lock("claim_create", f"{organisation.pk}:{user.pk}")
    if (
        permissions.is_owner(user, organisation)
        or m.OrganisationAccess.objects.filter(organisation=organisation, user=user).exists()
    ):
        raise ValidationError(ALREADY_MANAGES)
    if m.Claim.objects.filter(organisation=organisation, requested_by=user, status=m.Decision.PENDING).exists():
        raise ValidationError(CLAIM_PENDING)
    claim = m.Claim(organisation=organisation, requested_by=user, message=message)
    _save(claim, prefix="", exclude=["decided_by"])
    notifications.queue_item_added(
        kind=notifications.CLAIM,
        organisation=organisation,
        key=claim.pk,
        details=[notifications.Worded(notifications.ASKED_BY, email=user.email or user.username)],
        base_url=base_url,
    )
    return claim

"""A rejected listing, corrected by its team, goes back to the moderators."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services import notifications
from orgs.services.common import NOT_ALLOWED, _require, _save

NOT_REJECTED = gettext_lazy("Only a rejected listing is sent for checking again.")


@transaction.atomic
def organisation_resubmit(*, user: User, organisation: m.Organisation, base_url: str = "") -> m.Organisation:
    """Send a rejected listing back to the queue (pending); those who decide it
    are told. The rejection's reason stays on it, so the moderator sees what
    was to be corrected."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    org = m.Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.status != m.PublicationStatus.REJECTED:
        raise ValidationError({"status": [NOT_REJECTED]})
    org.status = m.PublicationStatus.PENDING
    _save(org, prefix="")
    notifications.queue_item_added(
        kind=notifications.REGISTRATION,
        organisation=org,
        key=org.slug,
        details=[notifications.Worded(notifications.SENT_BACK, reason=org.moderation_reason or "—")],
        base_url=base_url,
    )
    return org

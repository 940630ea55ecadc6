"""Restoring a recorded version of an organisation (django-simple-history
keeps the versions)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import NOT_ALLOWED, _require
from orgs.services.editing import GATED_ORGANISATION_FIELDS, OPEN_ORGANISATION_FIELDS, organisation_update

UNKNOWN_VERSION = gettext_lazy("That version does not belong to this organisation.")


@transaction.atomic
def organisation_restore(*, user: User, organisation: m.Organisation, history_id: int) -> m.Organisation:
    """Restore a recorded version of an organisation's own fields (an owner's
    restore of the name or identifiers still goes through moderation)."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    try:
        version = organisation.history.get(history_id=history_id)
    except m.Organisation.history.model.DoesNotExist as exc:
        raise ValidationError({"history_id": [UNKNOWN_VERSION]}) from exc
    changes = {
        f: getattr(version, f)
        for f in (*OPEN_ORGANISATION_FIELDS, *GATED_ORGANISATION_FIELDS)
        if getattr(version, f) != getattr(organisation, f)
    }
    organisation_update(user=user, organisation=organisation, changes=changes)
    organisation.refresh_from_db()
    return organisation

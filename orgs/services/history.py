"""Restoring a recorded version (django-simple-history keeps them) of an
organisation, one of its places or one of its services.

``version_changes`` says what a restore would change, field by field; the
confirmation page shows exactly that, and ``version_restore`` applies exactly
that through the ordinary edit services, so their rules hold: for a
published listing an owner's restore of its name, identifiers, or a place's
position, address or visibility waits for a moderator as a change request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import NOT_ALLOWED, _require
from orgs.services.editing import (
    GATED_ORGANISATION_FIELDS,
    OPEN_ORGANISATION_FIELDS,
    organisation_update,
    service_save,
)
from orgs.services.locations import GATED_LOCATION_FIELDS, OPEN_LOCATION_FIELDS, location_update

UNKNOWN_VERSION = gettext_lazy("That version does not belong to this organisation.")
GONE = gettext_lazy("That place or service has been removed since; add it again instead.")

# What a restore puts back, per kind of record. Hours of a place and the
# places a service is given at are not versioned, so a restore leaves them.
RESTORED_FIELDS: dict[str, tuple[str, ...]] = {
    "organisation": (*GATED_ORGANISATION_FIELDS, *OPEN_ORGANISATION_FIELDS),
    "location": (*GATED_LOCATION_FIELDS, *OPEN_LOCATION_FIELDS),
    "service": (
        "name",
        "description",
        "description_en",
        "description_uk",
        "formats",
        "is_free",
        "min_age",
        "max_age",
        "eligibility",
        "languages",
        "phone",
        "email",
        "url",
        "area_kind",
        "area_country",
        "area_region",
        "area_place",
        "area_radius_km",
        "categories",
        "target_groups",
    ),
}
MODELS: dict[str, type[Model]] = {"organisation": m.Organisation, "location": m.Location, "service": m.Service}


@dataclass(frozen=True)
class VersionChanges:
    kind: str
    version: Any  # the historical record
    current: Model
    # field -> (value now, value in the version), only where they differ
    changes: dict[str, tuple[Any, Any]]


def _values(kind: str, obj: Any, *, historical: bool) -> dict[str, Any]:
    values = {}
    for field in RESTORED_FIELDS[kind]:
        if field in ("categories", "target_groups"):
            related = "category" if field == "categories" else "targetgroup"
            if historical:
                values[field] = sorted(getattr(row, related).slug for row in getattr(obj, field).all())
            else:
                values[field] = sorted(getattr(obj, field).values_list("slug", flat=True))
        elif field == "area_place":
            values[field] = obj.area_place_id
        else:
            values[field] = getattr(obj, field)
    return values


def version_changes(*, organisation: m.Organisation, kind: str, history_id: int) -> VersionChanges:
    """What restoring this version of the organisation (``kind`` "organisation"),
    of one of its places ("location") or services ("service") would change."""
    model = MODELS.get(kind)
    if model is None:
        raise ValidationError({"history_id": [UNKNOWN_VERSION]})
    history = model.history  # type: ignore[attr-defined]
    scope = {"id": organisation.pk} if kind == "organisation" else {"organisation_id": organisation.pk}
    version = history.filter(history_id=history_id, **scope).first()
    if version is None:
        raise ValidationError({"history_id": [UNKNOWN_VERSION]})
    current = model._default_manager.filter(pk=version.id).first()
    if current is None:
        raise ValidationError({"history_id": [GONE]})
    then, now = _values(kind, version, historical=True), _values(kind, current, historical=False)
    changes = {f: (now[f], then[f]) for f in RESTORED_FIELDS[kind] if now[f] != then[f]}
    return VersionChanges(kind=kind, version=version, current=current, changes=changes)


@transaction.atomic
def version_restore(*, user: User, organisation: m.Organisation, kind: str, history_id: int) -> m.ChangeRequest | None:
    """Put back what ``version_changes`` lists. Returns the change request when
    part of it waits for a moderator."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    found = version_changes(organisation=organisation, kind=kind, history_id=history_id)
    wanted = {field: then for field, (_now, then) in found.changes.items()}
    if not wanted:
        return None
    before = set(organisation.change_requests.values_list("pk", flat=True))
    if kind == "organisation":
        organisation_update(user=user, organisation=organisation, changes=wanted)
    elif kind == "location":
        location_update(user=user, location=found.current, changes=wanted)  # type: ignore[arg-type]
    else:
        service_save(user=user, organisation=organisation, data=wanted, service=found.current)  # type: ignore[arg-type]
    return organisation.change_requests.exclude(pk__in=before).order_by("-pk").first()


def organisation_restore(*, user: User, organisation: m.Organisation, history_id: int) -> m.Organisation:
    """Restore a recorded version of an organisation's own fields (the API's restore)."""
    version_restore(user=user, organisation=organisation, kind="organisation", history_id=history_id)
    organisation.refresh_from_db()
    return organisation

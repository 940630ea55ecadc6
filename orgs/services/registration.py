"""A partner registers an organisation: the duplicate check (what the
registrant may be told), the registration itself, and its slug."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import duplicates
from orgs import models as m
from orgs.duplicates import Duplicate
from orgs.gazetteer import transliterate_ru
from orgs.locks import xact_lock
from orgs.search import index as search_index
from orgs.services import notifications
from orgs.services.common import (
    DUPLICATE_IDENTIFIER,
    NOT_ALLOWED,
    REGISTRATION_NO_PRESENCE,
    _point,
    _require,
    _save,
    has_presence,
)
from orgs.services.editing import OPEN_ORGANISATION_FIELDS, _identifiers_replace, _service_create
from orgs.services.locations import _location_create
from orgs.services.membership import membership_apply

SIMILAR_NAME = gettext_lazy(
    "A similarly named organisation is listed nearby. If it is yours, ask to manage it; "
    "if not, confirm that yours is a different organisation."
)


class DuplicateSuspected(ValidationError):
    """Raised before saving a registration that looks like an existing listing."""

    def __init__(self, duplicates: list[Duplicate], *, overridable: bool) -> None:
        super().__init__(SIMILAR_NAME if overridable else DUPLICATE_IDENTIFIER, code="duplicate")
        self.duplicates = duplicates
        self.overridable = overridable


def _unique_slug(name: str) -> str:
    base = slugify(transliterate_ru(name))[:100] or "organisation"
    # Two listings of one name registered at once would both pick the same
    # free slug, and the second would fail on the unique index at commit.
    xact_lock("organisation_slug", base)
    slug, n = base, 1
    while m.Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def organisation_duplicates(
    *,
    user: User,
    name: str,
    points: Sequence[Point] = (),
    ogrn: str | None = None,
    inn: str | None = None,
    identifiers: Sequence[Mapping[str, Any]] = (),
) -> list[Duplicate]:
    """The listings a registration looks like, as the registrant may be told
    (``orgs.duplicates.for_registrant``). A registry number that a listing the
    registrant may not see already holds is refused here, without naming it."""
    found, held = duplicates.for_registrant(
        user=user,
        name=name,
        points=points,
        identifiers=duplicates.Identifiers(ogrn=ogrn, inn=inn, others=identifiers),
    )
    if held is not None:
        raise ValidationError({held: [duplicates.IDENTIFIER_HELD % {"email": settings.COORDINATORS_EMAIL}]})
    return found


@transaction.atomic
def organisation_register(
    *, user: User, data: Mapping[str, Any], confirm_not_duplicate: bool = False
) -> m.Organisation:
    """A partner registers an organisation with its locations, services and
    coalition applications. It starts as pending and is public only once a
    moderator approves it. The registrant becomes its owner."""
    _require(bool(user.is_authenticated and user.is_active), NOT_ALLOWED)
    locations = list(data.get("locations", []))
    points = [p for p in (_point(loc) for loc in locations) if p is not None]
    # One registration of a person's at a time, so a double-submitted form
    # finds the first one (theirs, so it may be named) instead of saving twice.
    xact_lock("organisation_register", str(user.pk))
    found = organisation_duplicates(
        user=user,
        name=data["name"],
        points=points,
        ogrn=data.get("ogrn"),
        inn=data.get("inn"),
        identifiers=data.get("identifiers", []),
    )
    if any(d.reason == "identifier" for d in found):
        raise DuplicateSuspected([d for d in found if d.reason == "identifier"], overridable=False)
    if found and not confirm_not_duplicate:
        raise DuplicateSuspected(found, overridable=True)

    with search_index.deferred():
        org = m.Organisation(
            name=data["name"],
            slug=_unique_slug(data["name"]),
            status=m.PublicationStatus.PENDING,
            ogrn=data.get("ogrn") or None,
            inn=data.get("inn") or None,
            **{f: data[f] for f in OPEN_ORGANISATION_FIELDS if f in data},
        )
        _save(org, prefix="")
        m.OrganisationAccess.objects.create(organisation=org, user=user, role=m.AccessRole.OWNER)
        _identifiers_replace(org, data.get("identifiers", []))
        created_locations = [_location_create(org, loc, prefix=f"locations.{i}.") for i, loc in enumerate(locations)]
        for i, service in enumerate(data.get("services", [])):
            _service_create(org, service, created_locations, prefix=f"services.{i}.")
        for i, application in enumerate(data.get("networks", [])):
            try:
                network = m.Network.objects.get(slug=application["network"])
            except m.Network.DoesNotExist as exc:
                raise ValidationError({f"networks.{i}.network": [_("Unknown coalition.")]}) from exc
            membership_apply(user=user, organisation=org, network=network, role=application["role"])
        # A listing nobody could find could never be published: refused now,
        # with everything above rolled back, rather than at the moderator's desk.
        if not has_presence(org):
            raise ValidationError({"locations": [REGISTRATION_NO_PRESENCE]})
    notifications.queue_item_added(kind=notifications.REGISTRATION, organisation=org, key=org.slug)
    return org

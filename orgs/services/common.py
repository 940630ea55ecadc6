"""What every process in ``orgs.services`` shares: the permission check, the
decision e-mails, validation under a nested field path, and the rules more
than one process applies (a published listing's identity waits for a
moderator; a published listing stays findable).

The underscored helpers are private to this package: the web forms and the
API call the services, never these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions

NOT_ALLOWED = gettext_lazy("You may not change this organisation.")
NOT_COORDINATOR = gettext_lazy("Only a coordinator of this coalition or a site moderator may decide this.")
DUPLICATE_IDENTIFIER = gettext_lazy(
    "An organisation with this registry identifier is already listed. Ask to manage it instead."
)


def _require(condition: bool, message: str | Promise) -> None:
    if not condition:
        raise PermissionDenied(message)


def _notify(*, to: Iterable[str], subject: str, body: str) -> None:
    recipients = sorted({address for address in to if address})
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _decision_body(name: str, decision: str, reason: str) -> str:
    body = _("%(name)s: %(decision)s.") % {"name": name, "decision": decision}
    if reason.strip():
        body += "\n\n" + _("Reason: %(reason)s") % {"reason": reason}
    return body


def _owner_emails(organisation: m.Organisation) -> list[str]:
    return list(organisation.access.values_list("user__email", flat=True))


def _point(data: Mapping[str, Any]) -> Point | None:
    if data.get("lat") is None or data.get("lon") is None:
        return None
    return Point(float(data["lon"]), float(data["lat"]), srid=4326)


def _check(obj: Any, *, prefix: str, exclude: Sequence[str] = ()) -> None:
    """full_clean(), reporting errors under the nested field path."""
    try:
        obj.full_clean(exclude=list(exclude) or None)
    except ValidationError as exc:
        raise ValidationError({f"{prefix}{k}": v for k, v in exc.message_dict.items()}) from exc


def _save(obj: Any, *, prefix: str, exclude: Sequence[str] = ()) -> None:
    """full_clean() then save, reporting errors under the nested field path."""
    _check(obj, prefix=prefix, exclude=exclude)
    obj.save()


def waits_for_approval(user: User, org: m.Organisation) -> bool:
    """An owner's or editor's change to who a published listing is, or where, waits for a moderator."""
    return org.status == m.PublicationStatus.PUBLISHED and not permissions.is_moderator(user)


NO_PRESENCE = gettext_lazy(
    "A published listing needs at least one place or an online or phone service: add one before publishing."
)
# Said at registration, before anything is published: what to add, and why.
REGISTRATION_NO_PRESENCE = gettext_lazy(
    "People must be able to find you: add a place, or a service given online or by phone. "
    "A listing without either cannot be published."
)
LAST_PLACE = gettext_lazy(
    "This is the listing's only place and it has no online or phone service: people could no longer find it. "
    "Add another place or such a service first."
)


def has_presence(organisation: m.Organisation, *, without: m.Location | None = None) -> bool:
    """What the ``org_published_has_presence`` trigger requires of a published
    organisation: a place, or an online or phone service. With ``without``:
    whether that still holds once this place is gone."""
    places = organisation.locations.all()
    if without is not None:
        places = places.exclude(pk=without.pk)
    return (
        places.exists()
        or organisation.services.filter(formats__overlap=[m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE]).exists()
    )


def _ensure_presence_without(org: m.Organisation, location: m.Location) -> None:
    """Refuse to remove a published listing's last way to be found. The
    database refuses it too (a deferred trigger), but only at commit, where it
    could only surface as a server error. The caller holds the organisation's
    row lock, so concurrent removals each see the places the others leave."""
    if org.status == m.PublicationStatus.PUBLISHED and not has_presence(org, without=location):
        raise ValidationError({"location": [LAST_PLACE]})

"""Writes by partners, coordinators and moderators.

Every service is keyword-only, runs in one transaction (nothing is half-saved),
validates with ``full_clean()`` so the forms, the API and the database enforce
the same rules, and checks the caller's permission itself: the web forms and the
API are thin shells around these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import duplicates, permissions
from orgs import models as m
from orgs.duplicates import Duplicate
from orgs.gazetteer import transliterate_ru
from orgs.locks import xact_lock
from orgs.search import index as search_index

# Fields of a published organisation that change only after a moderator agrees:
# they decide who the listing says it is, and where people will go.
GATED_ORGANISATION_FIELDS = ("name", "ogrn", "inn")
GATED_LOCATION_FIELDS = ("point", "address", "city", "region", "country", "visibility", "kind")
OPEN_ORGANISATION_FIELDS = (
    "description",
    "description_en",
    "description_uk",
    "website",
    "email",
    "social_links",
    "legal_form",
    "country",
)
OPEN_LOCATION_FIELDS = ("name", "timezone", "accessibility", "languages", "phone")

VERIFY_SALT = "orgs.verify"
VERIFY_LINK_MAX_AGE = dt.timedelta(days=60)

NOT_ALLOWED = gettext_lazy("You may not change this organisation.")
NOT_COORDINATOR = gettext_lazy("Only a coordinator of this coalition or a site moderator may decide this.")
ALREADY_DECIDED = gettext_lazy("This has already been decided.")
DUPLICATE_IDENTIFIER = gettext_lazy(
    "An organisation with this registry identifier is already listed. Ask to manage it instead."
)
SIMILAR_NAME = gettext_lazy(
    "A similarly named organisation is listed nearby. If it is yours, ask to manage it; "
    "if not, confirm that yours is a different organisation."
)
NOT_A_MEMBER = gettext_lazy("Only active members of this coalition may recommend.")
OWN_RECOMMENDATION = gettext_lazy("An organisation cannot recommend itself.")
ROLE_NOT_OFFERED = gettext_lazy("This coalition does not have the role “%(role)s”.")
NOT_ENOUGH_RECOMMENDATIONS = gettext_lazy(
    "Membership needs at least %(needed)s recommendations from members; this application has %(have)s. "
    "It can be accepted as a candidate instead."
)
NO_CANDIDATE_TERM = gettext_lazy("This coalition has no candidate status.")
UNKNOWN_VERSION = gettext_lazy("That version does not belong to this organisation.")
REPEATED_IDENTIFIER = gettext_lazy("This number is already in the list: give each one once.")
NEEDS_POINT_OR_TOWN = gettext_lazy(
    "Give the place's point (lat and lon) or its town (place); for an online or phone-only place, set kind to virtual."
)
LAST_PLACE = gettext_lazy(
    "This is the listing's only place and it has no online or phone service: people could no longer find it. "
    "Add another place or such a service first."
)
REMOVAL_PENDING = gettext_lazy("Removing this place already waits for a moderator's approval.")
NOT_OWNER = gettext_lazy("Only an owner of this organisation or a site moderator may decide who edits it.")
ALREADY_HAS_ACCESS = gettext_lazy("This address can already edit the listing.")
TOO_MANY_INVITATIONS = gettext_lazy("%(n)s invitations already wait for an answer: withdraw some before inviting more.")
INVITATION_INVALID = gettext_lazy(
    "This invitation link is invalid, has expired or was withdrawn. Ask the organisation's owner for a new one."
)
INVITATION_OTHER_ADDRESS = gettext_lazy(
    "This invitation was sent to another e-mail address. Sign in with the account of that address "
    "(or create one with it), then open the link again."
)
INVITATION_DECIDED = gettext_lazy("This invitation was already accepted or withdrawn.")
ONLY_EDITORS_REMOVED = gettext_lazy("Only an invited editor can be removed here; an owner stays.")

INVITATION_SALT = "orgs.invitation"
INVITATION_MAX_AGE = dt.timedelta(days=14)
# Invitations waiting for an answer, per organisation: enough for a team, too
# few to make the site send mail for someone.
MAX_PENDING_INVITATIONS = 20


class DuplicateSuspected(ValidationError):
    """Raised before saving a registration that looks like an existing listing."""

    def __init__(self, duplicates: list[Duplicate], *, overridable: bool) -> None:
        super().__init__(SIMILAR_NAME if overridable else DUPLICATE_IDENTIFIER, code="duplicate")
        self.duplicates = duplicates
        self.overridable = overridable


# --- helpers -----------------------------------------------------------------------


def _require(condition: bool, message: str | Promise) -> None:
    if not condition:
        raise PermissionDenied(message)


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


def _notify(*, to: Iterable[str], subject: str, body: str) -> None:
    recipients = sorted({address for address in to if address})
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


NO_PRESENCE = gettext_lazy(
    "A published listing needs at least one place or an online or phone service: add one before publishing."
)


def has_presence(organisation: m.Organisation) -> bool:
    """What the ``org_published_has_presence`` trigger requires of a published organisation."""
    return (
        organisation.locations.exists()
        or organisation.services.filter(formats__overlap=[m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE]).exists()
    )


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


# --- duplicates ----------------------------------------------------------------------


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


# --- registration and editing --------------------------------------------------------


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
    return org


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


def _location_create(org: m.Organisation, data: Mapping[str, Any], *, prefix: str) -> m.Location:
    location, hours = _location_build(org, data, prefix=prefix)
    location.save()
    for interval in hours:
        interval.location = location
        interval.save()
    return location


def _location_build(
    org: m.Organisation, data: Mapping[str, Any], *, prefix: str
) -> tuple[m.Location, list[m.OpeningHours]]:
    """A new location and its opening hours, validated but not saved."""
    point = _point(data)
    place = None
    if data.get("place"):
        place = m.Place.objects.filter(pk=data["place"]).first()
        if place is None:
            raise ValidationError({f"{prefix}place": [_("Unknown town; choose one from the list.")]})
        point = point or Point(place.point.x, place.point.y, srid=4326)
    kind = data.get("kind") or (m.LocationKind.PHYSICAL if point else m.LocationKind.VIRTUAL)
    location = m.Location(
        organisation=org,
        kind=kind,
        point=point,
        place=place,
        visibility=data.get("visibility", m.Visibility.EXACT),
        address=data.get("address", ""),
        city=data.get("city") or (place.name_ru or place.name if place else ""),
        region=data.get("region", ""),
        country=data.get("country") or (place.country_code if place else org.country),
        timezone=data.get("timezone") or (place.timezone if place and place.timezone else "Europe/Moscow"),
        **{f: data[f] for f in ("name", "accessibility", "languages", "phone") if f in data},
    )
    _check(location, prefix=prefix)
    hours = [m.OpeningHours(location=location, **interval) for interval in data.get("hours", [])]
    for j, interval in enumerate(hours):
        _check(interval, prefix=f"{prefix}hours.{j}.", exclude=["location"])
    return location, hours


def _service_create(
    org: m.Organisation, data: Mapping[str, Any], locations: Sequence[m.Location], *, prefix: str
) -> m.Service:
    fields = {k: v for k, v in data.items() if k not in {"categories", "target_groups", "locations", "area_place"}}
    service = m.Service(organisation=org, **fields)
    _apply_area_place(service, data, prefix=prefix)
    _save(service, prefix=prefix)
    _service_relations(service, data, locations, prefix=prefix)
    return service


def _apply_area_place(service: m.Service, data: Mapping[str, Any], *, prefix: str) -> None:
    """The town a city-wide service covers, given by its gazetteer id."""
    if "area_place" not in data:
        return
    value = data["area_place"]
    if value in (None, ""):
        service.area_place = None
        return
    place = m.Place.objects.filter(pk=value).first()
    if place is None:
        raise ValidationError({f"{prefix}area_place": [_("Unknown town; choose one from the list.")]})
    service.area_place = place


def _service_relations(
    service: m.Service, data: Mapping[str, Any], locations: Sequence[m.Location], *, prefix: str
) -> None:
    if "categories" in data:
        cats = list(m.Category.objects.filter(slug__in=data["categories"]))
        if len(cats) != len(set(data["categories"])) or not cats:
            raise ValidationError({f"{prefix}categories": [_("Choose at least one category from the list.")]})
        service.categories.set(cats)
    if "target_groups" in data:
        groups = list(m.TargetGroup.objects.filter(slug__in=data["target_groups"]))
        if len(groups) != len(set(data["target_groups"])):
            raise ValidationError({f"{prefix}target_groups": [_("Unknown target group.")]})
        service.target_groups.set(groups)
    if "locations" in data:
        try:
            service.locations.set([locations[i] for i in data["locations"]])
        except (IndexError, TypeError) as exc:
            raise ValidationError({f"{prefix}locations": [_("Refers to a location that is not in the form.")]}) from exc


@transaction.atomic
def organisation_update(
    *, user: User, organisation: m.Organisation, changes: Mapping[str, Any]
) -> m.ChangeRequest | None:
    """Apply an owner's edits. Descriptions and contacts go live at once; for a
    published organisation, name and registry identifiers (ОГРН, ИНН and, as
    one list, ``identifiers`` of other countries) wait for approval as a change
    request (returned), validated now. Moderators' edits go live at once."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    org = m.Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = dict(changes)
    identifiers = changes.pop("identifiers", None)
    unknown = set(changes) - set(OPEN_ORGANISATION_FIELDS) - set(GATED_ORGANISATION_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    # An empty identifier is "none", stored as NULL (unique only when present).
    proposed = {f: (v or None) if f in ("ogrn", "inn") else v for f, v in changes.items()}
    gated: dict[str, Any] = {
        f: v for f, v in proposed.items() if f in GATED_ORGANISATION_FIELDS and getattr(org, f) != v
    }
    for number in ("ogrn", "inn"):
        # Refused at once, not left to a moderator: the number names another listing.
        if gated.get(number) and m.Organisation.objects.filter(**{number: gated[number]}).exclude(pk=org.pk).exists():
            raise ValidationError({number: [DUPLICATE_IDENTIFIER]})
    old_identifiers = _identifier_rows(org)
    new_identifiers = None if identifiers is None else _identifiers_clean(org, identifiers)
    for field in OPEN_ORGANISATION_FIELDS:
        if field in changes:
            setattr(org, field, changes[field])
    defer = waits_for_approval(user, org)
    if not defer:
        for field, value in gated.items():
            setattr(org, field, value)
    if defer and gated:
        # Validate the proposed values now, so a bad ОГРН is refused at once
        # rather than after a moderator's approval.
        probe = m.Organisation(**{**{f: getattr(org, f) for f in ("name", "slug", "ogrn", "inn")}, **gated})
        try:
            probe.clean_fields(exclude=[f.name for f in m.Organisation._meta.fields if f.name not in gated])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
    _save(org, prefix="")
    if new_identifiers is not None and new_identifiers != old_identifiers:
        if defer:
            gated["identifiers"] = new_identifiers
        else:
            _identifiers_replace(org, new_identifiers)
    if defer and gated:
        old = {f: old_identifiers if f == "identifiers" else getattr(org, f) for f in gated}
        return m.ChangeRequest.objects.create(
            organisation=org,
            requested_by=user,
            changes={f: {"old": old[f], "new": v} for f, v in gated.items()},
        )
    return None


def waits_for_approval(user: User, org: m.Organisation) -> bool:
    """An owner's or editor's change to who a published listing is, or where, waits for a moderator."""
    return org.status == m.PublicationStatus.PUBLISHED and not permissions.is_moderator(user)


# --- registry identifiers of other countries ------------------------------------------------


def _identifier_key(row: Mapping[str, str]) -> tuple[str, str, str]:
    return (row["scheme"], row["identifier"], row["country"])


def _identifier_rows(org: m.Organisation) -> list[dict[str, str]]:
    """The organisation's other identifiers as plain data, in a stable order."""
    rows = [{"scheme": i.scheme, "identifier": i.identifier, "country": i.country} for i in org.identifiers.all()]
    return sorted(rows, key=_identifier_key)


def _identifiers_clean(
    org: m.Organisation, items: Sequence[Mapping[str, Any]], *, prefix: str = "identifiers."
) -> list[dict[str, str]]:
    """The proposed list, normalised (trimmed, the scheme in capitals) and
    checked now: each field, no number twice, none that another listing holds."""
    errors: dict[str, list[Any]] = {}
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        row = {
            "scheme": str(item.get("scheme") or "").strip().upper(),
            "identifier": str(item.get("identifier") or "").strip(),
            "country": str(item.get("country") or "").strip().upper(),
        }
        try:
            m.OrganisationIdentifier(organisation=org, **row).clean_fields(exclude=["organisation"])
        except ValidationError as exc:
            errors.update({f"{prefix}{i}.{k}": v for k, v in exc.message_dict.items()})
            continue
        key = (row["scheme"].casefold(), row["identifier"].casefold())
        if key in seen:
            errors[f"{prefix}{i}.identifier"] = [REPEATED_IDENTIFIER]
            continue
        seen.add(key)
        taken = (
            m.OrganisationIdentifier.objects.filter(scheme__iexact=row["scheme"], identifier__iexact=row["identifier"])
            .exclude(organisation=org)
            .exists()
        )
        if taken:
            errors[f"{prefix}{i}.identifier"] = [DUPLICATE_IDENTIFIER]
            continue
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return sorted(rows, key=_identifier_key)


def _identifiers_replace(org: m.Organisation, items: Sequence[Mapping[str, Any]]) -> None:
    """Make the organisation's other identifiers exactly ``items`` (checked
    again: at a moderator's approval another listing may have taken one)."""
    rows = _identifiers_clean(org, items)
    org.identifiers.all().delete()
    for i, row in enumerate(rows):
        try:
            # A savepoint: a concurrent listing taking the same number is a 400, not a 500.
            with transaction.atomic():
                m.OrganisationIdentifier.objects.create(organisation=org, **row)
        except IntegrityError as exc:
            raise ValidationError({f"identifiers.{i}.identifier": [DUPLICATE_IDENTIFIER]}) from exc


@transaction.atomic
def location_update(*, user: User, location: m.Location, changes: Mapping[str, Any]) -> m.ChangeRequest | None:
    """Edit a location. Hours, languages, accessibility go live at once; for a
    published organisation the position, address and visibility wait for approval."""
    org = location.organisation
    _require(permissions.can_edit_organisation(user, org), NOT_ALLOWED)
    loc = m.Location.objects.select_for_update().get(pk=location.pk)
    changes = dict(changes)
    if "lat" in changes or "lon" in changes:
        changes["point"] = _point({"lat": changes.pop("lat", None), "lon": changes.pop("lon", None)})
    hours = changes.pop("hours", None)
    unknown = set(changes) - set(OPEN_LOCATION_FIELDS) - set(GATED_LOCATION_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    for field in OPEN_LOCATION_FIELDS:
        if field in changes:
            setattr(loc, field, changes[field])
    gated = {f: v for f, v in changes.items() if f in GATED_LOCATION_FIELDS and getattr(loc, f) != v}
    defer = org.status == m.PublicationStatus.PUBLISHED and not permissions.is_moderator(user)
    if defer and gated:
        probe = m.Location(**{f: getattr(loc, f) for f in ("kind", "point", "visibility", "country", "timezone")})
        for f, v in gated.items():
            setattr(probe, f, v)
        try:
            probe.clean_fields(exclude=["organisation", "blur_seed"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
    else:
        for field, value in gated.items():
            setattr(loc, field, value)
    _save(loc, prefix="")
    if hours is not None:
        loc.hours.all().delete()
        for j, h in enumerate(hours):
            _save(m.OpeningHours(location=loc, **h), prefix=f"hours.{j}.")
    if defer and gated:
        return m.ChangeRequest.objects.create(
            organisation=org,
            location=loc,
            requested_by=user,
            changes={f: {"old": _jsonable(getattr(loc, f)), "new": _jsonable(v)} for f, v in gated.items()},
        )
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Point):
        return {"lat": value.y, "lon": value.x}
    return value


def _from_json(field: str, value: Any) -> Any:
    if field == "point" and isinstance(value, dict):
        return Point(value["lon"], value["lat"], srid=4326)
    return value


# --- adding and removing a place -------------------------------------------------------

# A whole place as a change request holds it, in the order it is shown.
LOCATION_SNAPSHOT_ROWS = (
    "name",
    "kind",
    "address",
    "city",
    "region",
    "country",
    "point",
    "visibility",
    "timezone",
    "phone",
    "languages",
    "accessibility",
    "hours",
)
# Those of them copied from the location as they are.
LOCATION_SNAPSHOT_FIELDS = tuple(f for f in LOCATION_SNAPSHOT_ROWS if f not in ("point", "languages", "hours"))


def _time_text(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)


def _location_snapshot(location: m.Location, hours: Iterable[m.OpeningHours]) -> dict[str, Any]:
    """A whole place as JSON: what a change request proposes to add or to remove."""
    snapshot: dict[str, Any] = {f: getattr(location, f) for f in LOCATION_SNAPSHOT_FIELDS}
    snapshot["point"] = _jsonable(location.point)
    snapshot["place"] = location.place_id
    snapshot["languages"] = list(location.languages)
    snapshot["hours"] = [
        {"weekday": h.weekday, "opens": _time_text(h.opens), "closes": _time_text(h.closes)} for h in hours
    ]
    return snapshot


def _snapshot_input(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot back into what ``_location_create`` takes."""
    data = {k: v for k, v in snapshot.items() if k not in ("point", "hours", "place")}
    point = snapshot.get("point")
    if point:
        data["lat"], data["lon"] = point["lat"], point["lon"]
    if snapshot.get("place") is not None:
        data["place"] = snapshot["place"]
    data["hours"] = [
        {
            "weekday": h["weekday"],
            "opens": dt.time.fromisoformat(h["opens"]),
            "closes": dt.time.fromisoformat(h["closes"]),
        }
        for h in snapshot.get("hours", [])
    ]
    return data


@transaction.atomic
def location_add(*, user: User, organisation: m.Organisation, data: Mapping[str, Any]) -> m.Location | m.ChangeRequest:
    """Add a place to an organisation (``data`` as one of the registration's
    locations). Live at once for a listing not published yet, or by a site
    moderator. For a published listing an owner's or editor's new place waits
    for approval: it is validated now, in full, and the change request
    (returned) holds all its fields; approving it creates the place."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    org = m.Organisation.objects.get(pk=organisation.pk)
    if _point(data) is None and not data.get("place") and data.get("kind") != m.LocationKind.VIRTUAL:
        raise ValidationError({"point": [NEEDS_POINT_OR_TOWN]})
    if not waits_for_approval(user, org):
        return _location_create(org, data, prefix="")
    location, hours = _location_build(org, data, prefix="")
    return m.ChangeRequest.objects.create(
        organisation=org,
        requested_by=user,
        changes={"location": {"old": None, "new": _location_snapshot(location, hours)}},
    )


def _presence_without(org: m.Organisation, location: m.Location) -> bool:
    """Whether people could still find the organisation without this place."""
    return (
        org.locations.exclude(pk=location.pk).exists()
        or org.services.filter(formats__overlap=[m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE]).exists()
    )


@transaction.atomic
def location_remove(*, user: User, location: m.Location) -> m.ChangeRequest | None:
    """Remove a place: at once for a listing not published yet, or by a site
    moderator; for a published listing an owner's or editor's removal waits for
    approval (returned). A published listing keeps at least one place or an
    online or phone service: the database would refuse it at commit."""
    _require(permissions.can_edit_organisation(user, location.organisation), NOT_ALLOWED)
    # The organisation's row lock serialises removals, so each sees the places the others leave.
    org = m.Organisation.objects.select_for_update().get(pk=location.organisation_id)
    loc = m.Location.objects.prefetch_related("hours").filter(pk=location.pk, organisation=org).first()
    if loc is None:
        raise ValidationError({"location": [_("This place no longer exists.")]})
    if org.status == m.PublicationStatus.PUBLISHED and not _presence_without(org, loc):
        raise ValidationError({"location": [LAST_PLACE]})
    if not waits_for_approval(user, org):
        loc.delete()
        return None
    if org.change_requests.filter(status=m.Decision.PENDING, location=loc, changes__has_key="location").exists():
        raise ValidationError({"location": [REMOVAL_PENDING]})
    return m.ChangeRequest.objects.create(
        organisation=org,
        location=loc,
        requested_by=user,
        changes={"location": {"old": _location_snapshot(loc, loc.hours.all()), "new": None}},
    )


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
            if org.status == m.PublicationStatus.PUBLISHED and not _presence_without(org, location):
                raise ValidationError({"location": [LAST_PLACE]})
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


@transaction.atomic
def service_save(
    *, user: User, organisation: m.Organisation, data: Mapping[str, Any], service: m.Service | None = None
) -> m.Service:
    """Create or edit a service; services go live at once (they describe help, not identity)."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    locations = list(organisation.locations.order_by("pk"))
    if service is None:
        return _service_create(organisation, data, locations, prefix="")
    if service.organisation_id != organisation.pk:
        raise PermissionDenied(NOT_ALLOWED)
    for field, value in data.items():
        if field not in {"categories", "target_groups", "locations", "area_place"}:
            setattr(service, field, value)
    _apply_area_place(service, data, prefix="")
    _save(service, prefix="")
    _service_relations(service, data, locations, prefix="")
    return service


# --- moderation -------------------------------------------------------------------------


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


# --- editors: invited by an owner ------------------------------------------------------------


def invitation_token(invitation: m.OrganisationInvitation) -> str:
    """The signed link's token: it names the invitation, nothing else (the
    address stays out of the URL), and it expires with INVITATION_MAX_AGE."""
    return signing.dumps({"inv": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> m.OrganisationInvitation:
    """The pending, unexpired invitation a token names, or a ValidationError on ``token``."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError({"token": [INVITATION_INVALID]}) from exc
    invitation = (
        m.OrganisationInvitation.objects.select_related("organisation")
        .filter(pk=int(payload["inv"]) if isinstance(payload, dict) and "inv" in payload else 0)
        .first()
    )
    if (
        invitation is None
        or invitation.status != m.EditorInvitationStatus.PENDING
        or invitation.expires_at <= timezone.now()
    ):
        raise ValidationError({"token": [INVITATION_INVALID]})
    return invitation


def _has_address(user: User, email: str) -> bool:
    return email.casefold() in {user.email.casefold(), user.get_username().casefold()}


@transaction.atomic
def invitation_create(
    *, user: User, organisation: m.Organisation, email: str, accept_url: str
) -> m.OrganisationInvitation:
    """An owner (or a site moderator) invites someone by e-mail to edit the
    listing. The link (``accept_url`` with the signed token) is e-mailed to that
    address only; inviting the same address again renews its invitation."""
    _require(permissions.can_manage_editors(user, organisation), NOT_OWNER)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    has_access = organisation.access.filter(Q(user__email__iexact=email) | Q(user__username__iexact=email))
    if has_access.exists():
        raise ValidationError({"email": [ALREADY_HAS_ACCESS]})
    now = timezone.now()
    pending = m.OrganisationInvitation.objects.select_for_update().filter(
        organisation=organisation, status=m.EditorInvitationStatus.PENDING
    )
    invitation = pending.filter(email=email).first()
    if invitation is None:
        if pending.filter(expires_at__gt=now).count() >= MAX_PENDING_INVITATIONS:
            raise ValidationError({"email": [TOO_MANY_INVITATIONS % {"n": MAX_PENDING_INVITATIONS}]})
        invitation = m.OrganisationInvitation(organisation=organisation, email=email)
    invitation.invited_by = user
    invitation.expires_at = now + INVITATION_MAX_AGE
    _save(invitation, prefix="", exclude=["invited_by", "accepted_by"])
    link = f"{accept_url}?token={invitation_token(invitation)}"
    _notify(
        to=[email],
        subject=_("Help Locator: you are invited to edit “%(name)s”") % {"name": organisation.name},
        body=_(
            "You are invited to help keep the listing “%(name)s” on Help Locator up to date.\n\n"
            "To accept, open this link within %(days)s days and sign in with this e-mail address "
            "(if you have no account yet, create one with it first, then open the link again):\n%(link)s\n\n"
            "If you did not expect this invitation, ignore this message."
        )
        % {"name": organisation.name, "days": INVITATION_MAX_AGE.days, "link": link},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> m.OrganisationAccess:
    """The invited person, signed in with the invited address, becomes an
    editor. The link works once; a withdrawn or expired one is refused."""
    _require(bool(user.is_authenticated and user.is_active), NOT_ALLOWED)
    found = invitation_from_token(token)
    invitation = m.OrganisationInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.status != m.EditorInvitationStatus.PENDING:
        raise ValidationError({"token": [INVITATION_INVALID]})
    _require(_has_address(user, invitation.email), INVITATION_OTHER_ADDRESS)
    access, _created = m.OrganisationAccess.objects.get_or_create(
        organisation=invitation.organisation,
        user=user,
        defaults={"role": m.AccessRole.EDITOR, "invited_by": invitation.invited_by},
    )
    invitation.status = m.EditorInvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save()
    return access


@transaction.atomic
def invitation_revoke(*, user: User, invitation: m.OrganisationInvitation) -> m.OrganisationInvitation:
    _require(permissions.can_manage_editors(user, invitation.organisation), NOT_OWNER)
    invitation = m.OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != m.EditorInvitationStatus.PENDING:
        raise ValidationError({"invitation": [INVITATION_DECIDED]})
    invitation.status = m.EditorInvitationStatus.REVOKED
    invitation.save()
    return invitation


@transaction.atomic
def editor_remove(*, user: User, access: m.OrganisationAccess) -> None:
    """An owner or a site moderator removes an invited editor; an editor may
    also leave. Owners are not removed here."""
    org = access.organisation
    leaving = access.user_id == user.pk
    _require(permissions.can_manage_editors(user, org) or leaving, NOT_OWNER)
    if access.role != m.AccessRole.EDITOR:
        raise ValidationError({"editor": [ONLY_EDITORS_REMOVED]})
    m.OrganisationAccess.objects.filter(pk=access.pk).delete()


# --- coalition membership ------------------------------------------------------------


@transaction.atomic
def membership_apply(*, user: User, organisation: m.Organisation, network: m.Network, role: str) -> m.Membership:
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    if role not in network.roles:
        raise ValidationError({"role": [ROLE_NOT_OFFERED % {"role": role}]})
    membership = m.Membership(organisation=organisation, network=network, role=role, status=m.MembershipStatus.APPLIED)
    _save(membership, prefix="", exclude=["decided_by"])
    return membership


@transaction.atomic
def membership_recommend(
    *, user: User, recommender: m.Organisation, membership: m.Membership, text: str = ""
) -> m.Recommendation:
    """A member organisation of the same coalition vouches for an applicant."""
    _require(permissions.can_edit_organisation(user, recommender), NOT_ALLOWED)
    if recommender.pk == membership.organisation_id:
        raise ValidationError({"recommender": [OWN_RECOMMENDATION]})
    is_member = m.Membership.objects.filter(
        organisation=recommender,
        network=membership.network,
        role=m.MembershipRole.MEMBER,
        status=m.MembershipStatus.ACTIVE,
    ).exists()
    if not is_member:
        raise ValidationError({"recommender": [NOT_A_MEMBER]})
    recommendation, _created = m.Recommendation.objects.get_or_create(
        membership=membership, recommender=recommender, defaults={"text": text}
    )
    return recommendation


@transaction.atomic
def membership_decide(
    *, user: User, membership: m.Membership, decision: str, reason: str = "", today: dt.date | None = None
) -> m.Membership:
    """Accept (as applied for, or as a candidate), reject, suspend or exclude,
    by the coalition's own rules (``Network.min_recommendations``,
    ``Network.candidate_term_days``)."""
    _require(permissions.can_moderate_membership(user, membership), NOT_COORDINATOR)
    ms = m.Membership.objects.select_for_update().select_related("network").get(pk=membership.pk)
    network = ms.network
    today = today or timezone.localdate()
    if decision == "accept":
        if ms.role == m.MembershipRole.MEMBER:
            have = ms.recommendations.count()
            if have < network.min_recommendations:
                raise ValidationError(
                    {"decision": [NOT_ENOUGH_RECOMMENDATIONS % {"needed": network.min_recommendations, "have": have}]}
                )
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = ms.since or today
        ms.until = None
    elif decision == "accept_as_candidate":
        if not network.candidate_term_days or m.MembershipRole.CANDIDATE not in network.roles:
            raise ValidationError({"decision": [NO_CANDIDATE_TERM]})
        ms.role = m.MembershipRole.CANDIDATE
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = today
        ms.until = today + dt.timedelta(days=network.candidate_term_days)
    elif decision in {"reject", "suspend", "exclude"}:
        if not reason.strip():
            raise ValidationError({"reason": [_("Give the reason: it is sent to the organisation.")]})
        ms.status = {
            "reject": m.MembershipStatus.REJECTED,
            "suspend": m.MembershipStatus.SUSPENDED,
            "exclude": m.MembershipStatus.EXCLUDED,
        }[decision]
    else:
        raise ValidationError({"decision": [_("Unknown decision.")]})
    ms.decided_by = user
    ms.note = reason or ms.note
    _save(ms, prefix="")
    _notify(
        to=_owner_emails(ms.organisation),
        subject=_("Help Locator: %(network)s — %(status)s")
        % {"network": network.name, "status": ms.get_status_display()},
        body=_decision_body(f"{ms.organisation.name} — {network.name}", ms.get_status_display(), reason),
    )
    return ms


def candidates_due_for_review(*, network: m.Network, today: dt.date | None = None) -> list[m.Membership]:
    """Candidates whose term is up: the board reviews them."""
    today = today or timezone.localdate()
    return list(
        network.memberships.filter(
            role=m.MembershipRole.CANDIDATE, status=m.MembershipStatus.ACTIVE, until__lte=today
        ).select_related("organisation")
    )


# --- keeping data fresh ----------------------------------------------------------------


def verify_token(organisation: m.Organisation) -> str:
    return signing.dumps({"org": organisation.pk}, salt=VERIFY_SALT)


@transaction.atomic
def organisation_confirm_accurate(
    *, organisation: m.Organisation, user: User | None = None, token: str | None = None
) -> m.Organisation:
    """ "Still accurate": by an owner, or by the signed link in the reminder e-mail."""
    if token is not None:
        try:
            payload = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_LINK_MAX_AGE)
        except signing.BadSignature as exc:
            raise PermissionDenied(_("This link is invalid or has expired. Sign in to confirm.")) from exc
        _require(payload.get("org") == organisation.pk, NOT_ALLOWED)
    else:
        _require(user is not None and permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    m.Organisation.objects.filter(pk=organisation.pk).update(last_verified_at=timezone.localdate(), is_stale=False)
    organisation.refresh_from_db()
    return organisation


def verification_reminders(*, now: dt.datetime | None = None, base_url: str = "") -> dict[str, int]:
    """Remind owners whose listing was not confirmed for 6 months (once a
    month at most); mark listings not confirmed for 12 months as stale."""
    now = now or timezone.now()
    today = now.date()
    remind_before = today - dt.timedelta(days=182)
    stale_before = today - dt.timedelta(days=365)
    reminded = 0
    due = m.Organisation.objects.filter(
        status=m.PublicationStatus.PUBLISHED, last_verified_at__lt=remind_before
    ).filter(Q(verification_reminded_at__isnull=True) | Q(verification_reminded_at__lt=now - dt.timedelta(days=30)))
    for org in due.prefetch_related("access__user"):
        link = f"{base_url}/verify/{org.slug}/?token={verify_token(org)}"
        _notify(
            to=_owner_emails(org),
            subject=_("Help Locator: is “%(name)s” still accurate?") % {"name": org.name},
            body=_("Please check the listing and confirm it in one click: %(link)s") % {"link": link},
        )
        m.Organisation.objects.filter(pk=org.pk).update(verification_reminded_at=now)
        reminded += 1
    stale = m.Organisation.objects.filter(last_verified_at__lt=stale_before, is_stale=False).update(is_stale=True)
    fresh = m.Organisation.objects.filter(last_verified_at__gte=stale_before, is_stale=True).update(is_stale=False)
    return {"reminded": reminded, "marked_stale": stale, "unmarked": fresh}


# --- history ---------------------------------------------------------------------------


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

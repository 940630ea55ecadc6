"""A listing's places: built from a form's data (registration, adding a
place, approving a proposed one), edited, added and removed. For a published
listing a change to where it is, or a new or removed place, waits for a
moderator as a change request that holds the proposal as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import (
    NOT_ALLOWED,
    _check,
    _ensure_presence_without,
    _point,
    _require,
    _save,
    waits_for_approval,
)
from orgs.services.notifications import change_requested

# Fields of a published listing's place that change only after a moderator agrees:
# they decide where people will go.
GATED_LOCATION_FIELDS = ("point", "address", "city", "region", "country", "visibility", "kind")
OPEN_LOCATION_FIELDS = ("name", "timezone", "accessibility", "languages", "phone")

NEEDS_POINT_OR_TOWN = gettext_lazy(
    "Give the place's point (lat and lon) or its town (place); for an online or phone-only place, set kind to virtual."
)
REMOVAL_PENDING = gettext_lazy("Removing this place already waits for a moderator's approval.")


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
    defer = waits_for_approval(user, org)
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
        return change_requested(
            m.ChangeRequest.objects.create(
                organisation=org,
                location=loc,
                requested_by=user,
                changes={f: {"old": _jsonable(getattr(loc, f)), "new": _jsonable(v)} for f, v in gated.items()},
            )
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
    return change_requested(
        m.ChangeRequest.objects.create(
            organisation=org,
            requested_by=user,
            changes={"location": {"old": None, "new": _location_snapshot(location, hours)}},
        )
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
    _ensure_presence_without(org, loc)
    if not waits_for_approval(user, org):
        loc.delete()
        return None
    if org.change_requests.filter(status=m.Decision.PENDING, location=loc, changes__has_key="location").exists():
        raise ValidationError({"location": [REMOVAL_PENDING]})
    return change_requested(
        m.ChangeRequest.objects.create(
            organisation=org,
            location=loc,
            requested_by=user,
            changes={"location": {"old": _location_snapshot(loc, loc.hours.all()), "new": None}},
        )
    )

"""A partner edits their listing: the organisation's own fields (name and
registry numbers wait for a moderator once it is published), its registry
identifiers of other countries, and the services it offers. A listing's places
are in ``locations``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import DUPLICATE_IDENTIFIER, NOT_ALLOWED, _require, _save, waits_for_approval
from orgs.services.notifications import change_requested

# Fields of a published organisation that change only after a moderator agrees:
# they decide who the listing says it is (its places are gated in ``locations``).
GATED_ORGANISATION_FIELDS = ("name", "ogrn", "inn")
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

REPEATED_IDENTIFIER = gettext_lazy("This number is already in the list: give each one once.")


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
        return change_requested(
            m.ChangeRequest.objects.create(
                organisation=org,
                requested_by=user,
                changes={f: {"old": old[f], "new": v} for f, v in gated.items()},
            )
        )
    return None


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


# --- services -----------------------------------------------------------------------------


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

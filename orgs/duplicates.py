"""Does a registration look like a listing that is already in the directory?

Two audiences, two rules:

- The registrant is told only what the public may know: published listings,
  compared by their *public* points (and their own listings, which they may
  see anyway). An outside review recovered a protected shelter's true point to
  5 cm in 121 registrations when the "similar name nearby" answer was computed
  from the true point, and named pending and suspended listings outright. So
  nothing said to a registrant depends on a protected point, and a listing the
  public cannot see is never named: a registry number it holds is refused
  without naming it (``IDENTIFIER_HELD``), and a look-alike name lets the
  registration go on as usual.
- Moderators see every look-alike, of every status and by true points, beside
  the pending listing in their queue (``possible_duplicates``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from orgs import models as m

DUPLICATE_RADIUS_KM = 5
DUPLICATE_NAME_SIMILARITY = 0.45
MAX_SHOWN = 5

IDENTIFIER_HELD = gettext_lazy(
    "This registry number is already registered in the directory. If the organisation is yours, "
    "do not register it again: write to the coordinators at %(email)s and they will give you access to it."
)


@dataclass(frozen=True)
class Duplicate:
    organisation: m.Organisation
    reason: str  # "identifier" or "similar_name"


@dataclass(frozen=True)
class Identifiers:
    ogrn: str | None = None
    inn: str | None = None
    others: Sequence[Mapping[str, Any]] = ()

    def query(self) -> Q | None:
        """Listings holding any of these numbers, or None when there are none."""
        found = Q()
        if self.ogrn:
            found |= Q(ogrn=self.ogrn)
        if self.inn:
            found |= Q(inn=self.inn)
        for item in self.others:
            scheme, number = str(item.get("scheme", "")).strip(), str(item.get("identifier", "")).strip()
            if scheme and number:
                found |= Q(identifiers__scheme__iexact=scheme, identifiers__identifier__iexact=number)
        return found or None

    def field_held_by(self, organisation: m.Organisation) -> str:
        """Which field of the registration the other listing already holds (for the 400)."""
        if self.ogrn and organisation.ogrn == self.ogrn:
            return "ogrn"
        if self.inn and organisation.inn == self.inn:
            return "inn"
        return "identifiers"


def _visible_to(user: User | AnonymousUser) -> Q:
    """Listings a registrant may be told about: the public ones and their own."""
    mine = Q(access__user=user) if user.is_authenticated else Q(pk__in=[])
    return Q(status=m.PublicationStatus.PUBLISHED) | mine


def _similar(qs: QuerySet[m.Organisation], name: str) -> QuerySet[m.Organisation]:
    return (
        qs.annotate(similarity=TrigramSimilarity("name", name))
        .filter(similarity__gte=DUPLICATE_NAME_SIMILARITY)
        .order_by("-similarity", "pk")
    )


def _near(points: Sequence[Point], field: str) -> Q:
    near = Q()
    for point in points:
        near |= Q(**{f"locations__{field}__dwithin": (point, D(km=DUPLICATE_RADIUS_KM))})
    return near


def for_registrant(
    *, user: User | AnonymousUser, name: str, points: Sequence[Point], identifiers: Identifiers
) -> tuple[list[Duplicate], str | None]:
    """What may be said to the person registering: the look-alikes they may
    see, and the field of a registry number that a listing they may not see
    already holds (or None)."""
    found: list[Duplicate] = []
    held_privately: str | None = None
    ident = identifiers.query()
    if ident is not None:
        holders = list(m.Organisation.objects.filter(ident).distinct().order_by("pk"))
        visible = set(
            m.Organisation.objects.filter(pk__in=[o.pk for o in holders])
            .filter(_visible_to(user))
            .values_list("pk", flat=True)
        )
        for org in holders:
            if org.pk in visible:
                found.append(Duplicate(org, "identifier"))
            elif held_privately is None:
                held_privately = identifiers.field_held_by(org)
    if points and not found:
        # Published listings by their public point: that point is public, so
        # the answer tells nothing the map does not. The registrant's own
        # listings by their true point (they know it): this is what answers a
        # double-submitted registration as a duplicate.
        near = (_near(points, "public_point") & Q(status=m.PublicationStatus.PUBLISHED)) | (
            _near(points, "point") & Q(access__user=user) if user.is_authenticated else Q(pk__in=[])
        )
        similar = _similar(m.Organisation.objects.filter(near).distinct(), name)[:MAX_SHOWN]
        found += [Duplicate(org, "similar_name") for org in similar]
    return found, held_privately


def possible_duplicates(organisation: m.Organisation) -> list[Duplicate]:
    """For moderators only: every other listing, of any status, that holds one
    of this listing's registry numbers or has a similar name within a few
    kilometres of one of its true points."""
    identifiers = Identifiers(
        ogrn=organisation.ogrn,
        inn=organisation.inn,
        others=[{"scheme": i.scheme, "identifier": i.identifier} for i in organisation.identifiers.all()],
    )
    others = m.Organisation.objects.exclude(pk=organisation.pk)
    found: list[Duplicate] = []
    ident = identifiers.query()
    if ident is not None:
        found += [Duplicate(o, "identifier") for o in others.filter(ident).distinct().order_by("pk")[:MAX_SHOWN]]
    points = [loc.point for loc in organisation.locations.all() if loc.point is not None]
    if points:
        seen = [d.organisation.pk for d in found]
        similar = _similar(others.filter(_near(points, "point")).exclude(pk__in=seen).distinct(), organisation.name)
        found += [Duplicate(o, "similar_name") for o in similar[:MAX_SHOWN]]
    return found

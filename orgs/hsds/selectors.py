"""Reads for the HSDS API and export: published organisations only, with
everything a serializer touches prefetched (a page costs a fixed number of
queries however many items it holds)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.gis.db.models.functions import GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet

from orgs import models as m
from orgs import selectors
from orgs.hsds import vocab

PUBLISHED = m.PublicationStatus.PUBLISHED
_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class ListFilters:
    search: str = ""
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: dt.datetime | None = None


class UnknownTerm(ValueError):
    """A taxonomy term or taxonomy id this directory does not have."""


def _locations() -> QuerySet[m.Location]:
    return m.Location.objects.select_related("organisation").prefetch_related("hours")


def organisations(*, full: bool) -> QuerySet[m.Organisation]:
    qs = selectors.organisations_public().order_by("uuid")
    if full:
        qs = qs.prefetch_related(
            selectors.memberships_public(),
            "identifiers",
            Prefetch("locations", queryset=_locations()),
        )
    return qs


def services(*, full: bool) -> QuerySet[m.Service]:
    qs = m.Service.objects.filter(organisation__status=PUBLISHED).select_related("organisation").order_by("uuid")
    if full:
        qs = qs.select_related("area_place").prefetch_related(
            "categories",
            "target_groups",
            Prefetch(
                "at_locations",
                queryset=m.ServiceAtLocation.objects.select_related("location__organisation").prefetch_related(
                    "location__hours"
                ),
            ),
        )
    return qs


def service_at_locations(*, full: bool) -> QuerySet[m.ServiceAtLocation]:
    qs = (
        m.ServiceAtLocation.objects.filter(service__organisation__status=PUBLISHED)
        .select_related("service__organisation", "location__organisation")
        .order_by("uuid")
    )
    if full:
        qs = qs.prefetch_related("location__hours")
    return qs


def _words(text: str) -> list[str]:
    return [w for w in text.lower().replace("ё", "е").split() if w][:8]


def filter_services(qs: QuerySet[_M], f: ListFilters, *, prefix: str = "") -> QuerySet[_M]:
    """Apply the HSDS list filters to services (``prefix`` reaches them from another model)."""
    p = prefix
    for word in _words(f.search):
        qs = qs.filter(
            Q(**{f"{p}name__icontains": word})
            | Q(**{f"{p}description__icontains": word})
            | Q(**{f"{p}organisation__search_document__contains": word})
        )
    if f.organization_id is not None:
        qs = qs.filter(**{f"{p}organisation__uuid": f.organization_id})
    if f.taxonomy_term_id is not None:
        qs = qs.filter(_term_condition(str(f.taxonomy_term_id), p))
    if f.taxonomy_id is not None:
        qs = qs.filter(_taxonomy_condition(str(f.taxonomy_id), p))
    if f.modified_after is not None:
        qs = qs.filter(**{f"{p}updated_at__gte": f.modified_after})
    return qs


def _term_condition(term_id: str, p: str) -> Q:
    category = m.Category.objects.filter(uuid=term_id).first()
    if category is not None:
        below = selectors.category_descendant_ids([category.pk])
        ids = m.Service.categories.through.objects.filter(category_id__in=below).values("service_id")
        return Q(**{f"{p}pk__in": ids})
    group = m.TargetGroup.objects.filter(uuid=term_id).first()
    if group is not None:
        return Q(**{f"{p}target_groups": group})
    for network in m.Network.objects.all():
        if vocab.coalition_term_id(network.slug) == term_id:
            member = m.Membership.objects.filter(
                organisation=OuterRef(f"{p}organisation"), network=network, status=m.MembershipStatus.ACTIVE
            )
            return Q(Exists(member))
    raise UnknownTerm(term_id)


def _taxonomy_condition(taxonomy_id: str, p: str) -> Q:
    if taxonomy_id == vocab.CATEGORIES.id:
        return Q(**{f"{p}categories__isnull": False})
    if taxonomy_id == vocab.TARGET_GROUPS.id:
        return Q(**{f"{p}target_groups__isnull": False})
    if taxonomy_id == vocab.COALITIONS.id:
        member = m.Membership.objects.filter(organisation=OuterRef(f"{p}organisation"), status="active")
        return Q(Exists(member))
    if taxonomy_id == vocab.PROJECT.id:
        return Q()
    raise UnknownTerm(taxonomy_id)


def filter_organisations(qs: QuerySet[m.Organisation], f: ListFilters) -> QuerySet[m.Organisation]:
    for word in _words(f.search):
        qs = qs.filter(Q(name__icontains=word) | Q(search_document__contains=word))
    if f.organization_id is not None:
        qs = qs.filter(uuid=f.organization_id)
    if f.taxonomy_term_id is not None or f.taxonomy_id is not None:
        matching = filter_services(
            m.Service.objects.all(), ListFilters(taxonomy_term_id=f.taxonomy_term_id, taxonomy_id=f.taxonomy_id)
        )
        qs = qs.filter(pk__in=matching.values("organisation_id"))
    if f.modified_after is not None:
        qs = qs.filter(updated_at__gte=f.modified_after)
    return qs


def filter_service_at_locations(
    qs: QuerySet[m.ServiceAtLocation],
    f: ListFilters,
    *,
    centre: Point | None = None,
    within_m: float | None = None,
) -> QuerySet[m.ServiceAtLocation]:
    """The HSDS list filters, and ``proximity``: nearest first from ``centre``
    by the locations' public positions, optionally within ``within_m`` metres."""
    modified_after = f.modified_after
    qs = filter_services(qs, dataclasses.replace(f, modified_after=None), prefix="service__")
    if modified_after is not None:
        qs = qs.filter(Q(service__updated_at__gte=modified_after) | Q(location__updated_at__gte=modified_after))
    if centre is not None:
        qs = qs.filter(location__public_point__isnull=False)
        if within_m is not None:
            qs = qs.filter(location__public_point__dwithin=(centre, D(m=within_m)))
        # KNN order on the public point (the GiST index serves it), then id for ties.
        qs = qs.order_by(GeometryDistance("location__public_point", centre), "uuid")
    return qs

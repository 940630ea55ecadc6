"""Reads for the HSDS API and export: published organisations only, with
everything a serializer touches prefetched (a page costs a fixed number of
queries however many items it holds). The lists' filters are the FilterSets
of ``orgs.hsds.filters``."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from orgs import models as m
from orgs import selectors

PUBLISHED = m.PublicationStatus.PUBLISHED


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

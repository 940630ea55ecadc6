"""Where help is missing: the stored per-town coverage (orgs.coverage keeps it)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q

from orgs.models.gazetteer import Place


class CoverageTown(models.Model):
    """One row per (gazetteer town, facet): how far the nearest published
    in-person location offering that help is, measured geodesically from its
    public position, and whether online or phone help covers the town.

    ``facet`` is 0 for "any help" or a category id (which counts the services
    of its sub-categories too), as in SearchEntry. ``nearest_location_id`` is
    kept only to know which towns a location's change can affect; it is never
    part of an answer. A town with no such location has a NULL distance.
    Derived data: orgs.coverage.compute rebuilds and updates it.
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    facet = models.BigIntegerField()
    distance_m = models.FloatField(null=True)
    nearest_location_id = models.BigIntegerField(null=True)
    remote = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facet", "place"], name="coverage_town_unique"),
            models.CheckConstraint(condition=Q(distance_m__gte=0), name="coverage_distance_not_negative"),
        ]
        indexes = [
            models.Index(fields=["nearest_location_id"], name="coverage_nearest_location"),
        ]


class CoverageRun(models.Model):
    """When the stored coverage was computed (one row): the answers state it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    computed_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="coverage_run_single_row")]

"""The search engine's derived tables: nearest-search rows, remote-help rows
and precomputed map cluster cells, kept in step by orgs.search.index."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q

from orgs.models.directory import Location, Organisation, Service


class SearchEntry(models.Model):
    """One row per (published location, service offered there, facet).

    The nearest search reads only this table. ``facet`` is 0 for "any help" and
    otherwise the id of a category of the service or one of its ancestors, so a
    filter on any category, parent or leaf, is one equality. The composite GiST
    index on (facet, public_point) (btree_gist) serves ``WHERE facet = X ORDER
    BY public_point <-> origin LIMIT n`` for a rare category as fast as for a
    common one, instead of walking the whole KNN order and filtering.

    Rows are derived data: orgs.search.index keeps them in step with every write
    (only published organisations have rows) and can rebuild them.
    """

    facet = models.BigIntegerField()
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="+")
    public_point = models.PointField(geography=True, spatial_index=False)
    visibility = models.CharField(max_length=20)
    timezone = models.CharField(max_length=64)
    target_ids = ArrayField(models.BigIntegerField(), default=list)
    formats = ArrayField(models.CharField(max_length=20), default=list)
    is_free = models.BooleanField(default=True)
    languages = ArrayField(models.CharField(max_length=3), default=list)
    network_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        # The foreign keys' own indexes serve the refreshes (by organisation) and
        # the cascades (by location, by service); no second copy of them.
        indexes = [
            GistIndex(fields=["facet", "public_point"], name="search_facet_point_gist"),
        ]


class RemoteEntry(models.Model):
    """One row per (online or phone service of a published organisation whose
    area is wider than its locations, facet); for a radius area, one per
    location of the service as well.

    The remote-help search reads only this table, one index probe per kind of
    area, however many services the directory holds:

    - a city, a region, a country or anywhere: ``area_key`` ("city:524901",
      "region:RU.48", "country:RU", "anywhere") is an equality, and the btree on
      (facet, area_key, organisation_name, service_name) yields rows already in
      display order, so a LIMIT stops after a page;
    - a drawn area: ``area`` is the polygon (GiST on (facet, area));
    - a radius around a location: ``area`` is a polygon that contains the circle
      (a little wider; the search checks the exact geodesic distance to
      ``centre`` against ``radius_m``). A radius too wide for such a polygon
      has no ``area`` and the key "radius" instead.

    Derived data, kept in step by orgs.search.index like SearchEntry.
    """

    facet = models.BigIntegerField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Narrow areas first: 0 a drawn area or a radius, 1 a city, 2 a region, 3 a country, 4 anywhere.
    rank = models.PositiveSmallIntegerField()
    area_key = models.CharField(max_length=40)
    area = models.MultiPolygonField(geography=True, null=True, spatial_index=False)
    centre = models.PointField(geography=True, null=True, spatial_index=False)
    radius_m = models.FloatField(null=True)
    organisation_name = models.CharField(max_length=300)
    service_name = models.CharField(max_length=300)
    target_ids = ArrayField(models.BigIntegerField(), default=list)
    formats = ArrayField(models.CharField(max_length=20), default=list)
    is_free = models.BooleanField(default=True)
    languages = ArrayField(models.CharField(max_length=3), default=list)
    network_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        indexes = [
            models.Index(
                fields=["facet", "area_key", "organisation_name", "service_name", "service"],
                name="remote_key_order",
                condition=Q(area__isnull=True),
            ),
            GistIndex(fields=["facet", "area"], name="remote_facet_area_gist", condition=Q(area__isnull=False)),
        ]


class ClusterCell(models.Model):
    """Precomputed map clusters for zoom levels up to orgs.search.index.MAX_CLUSTER_ZOOM.

    One row per (zoom, facet, grid cell): how many published locations lie in
    it and the sums of their coordinates (for the centroid). ``facet`` is 0 for
    all, a category id, or minus a network id. Maintained incrementally by
    orgs.search.index (counts are added and subtracted as rows change), so a
    viewport costs at most a screenful of cells (about 16 x 10), whether it
    shows the whole region or a city of fifty thousand locations.
    """

    zoom = models.PositiveSmallIntegerField()
    facet = models.BigIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    n = models.IntegerField(default=0)
    sum_lon = models.FloatField(default=0)
    sum_lat = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zoom", "facet", "cx", "cy"], name="cluster_cell_unique"),
            models.CheckConstraint(condition=Q(n__gte=0), name="cluster_cell_count_not_negative"),
        ]

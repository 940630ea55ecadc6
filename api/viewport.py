"""The OpenAPI description of ``GET /api/v1/locations`` (the map viewport).

The answer itself is built in ``orgs.search.viewport`` from raw rows (a
screenful of points or precomputed cluster cells, no model instances); these
serializers document a feature of it with django-rest-framework-gis, which
drf-spectacular turns into a GeoJSON Feature with a Point geometry.
``tests/test_viewport.py`` checks that a real answer's features carry exactly
the documented properties.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_gis import build_point_geo_schema
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from orgs import models as m


class ViewportPointSerializer(GeoFeatureModelSerializer):
    """One location at its public position (the blurred one for protected places)."""

    cluster = serializers.BooleanField(help_text="false: a single location.")
    location_id = serializers.IntegerField(source="pk")
    organisation = serializers.SlugField(source="organisation.slug", help_text="The organisation's slug.")
    organisation_name = serializers.CharField(source="organisation.name")

    class Meta:
        model = m.Location
        geo_field = "public_point"
        id_field = "id"
        fields = [
            "id",
            "public_point",
            "cluster",
            "location_id",
            "visibility",
            "organisation",
            "organisation_name",
            "name",
            "city",
        ]


class ClusterPropertiesSerializer(serializers.Serializer):
    cluster = serializers.BooleanField(help_text="true: several locations counted in one map-grid cell.")
    count = serializers.IntegerField(help_text="Locations in the cell.")


@extend_schema_field(build_point_geo_schema())
class PointGeometryField(serializers.JSONField):
    pass


def _constant(*values: str) -> serializers.Field:
    """A string of one of these values, documented inline: a ChoiceField would
    add a named enum component whose name collides with other ``type`` enums.
    drf-spectacular reads the annotation from the field's class, so each call
    makes a class of its own."""
    field_class: Any = extend_schema_field({"type": "string", "enum": list(values)})(
        type("OneOf_" + "_".join(values), (serializers.CharField,), {})
    )
    return field_class()


class ViewportClusterSerializer(serializers.Serializer):
    """Locations counted in one map-grid cell, at their mean position."""

    type = _constant("Feature")
    geometry = PointGeometryField()
    properties = ClusterPropertiesSerializer()


class ViewportSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection: points close up, clusters further out."""

    type = _constant("FeatureCollection")
    mode = _constant("points", "clusters")
    features = serializers.ListField(
        child=PolymorphicProxySerializer(
            component_name="ViewportFeature",
            serializers=[ViewportPointSerializer, ViewportClusterSerializer],
            resource_type_field_name=None,
        )
    )

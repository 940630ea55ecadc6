"""Input (query) and output serializers of the public API.

Output serializers read only public fields: a location's ``public_point``
(never ``point``), its address only when its visibility is exact, and no expert
or registrant data at all.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs import models as m

MAX_K = 100
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}$"
MAX_BBOX_AREA_DEG2 = 360 * 180 / 4  # a quarter of the planet: a viewport, not the world

UNKNOWN_SLUG = _("Unknown {what}: {values}. See {endpoint} for the list.")
NOT_FINITE = _("Must be a finite number.")
ORIGIN_REQUIRED = _("Give an origin: lat and lon, or place.")
ORIGIN_BOTH = _("Give either lat and lon or place, not both.")
LAT_LON_PAIR = _("lat and lon go together: give both.")
EMPTY_VALUE = _("Give a value or leave the parameter out.")
UNKNOWN_PLACE = _("No town or city called “{q}” is known. Check the spelling or give lat and lon.")


WRONG_JSON_TYPE = _("Must be {kind}.")
WRONG_JSON_ITEM_TYPE = _("Each item must be {kind}.")
_KINDS = {str: _("a string"), int: _("a whole number"), float: _("a number"), bool: _("true or false")}


def _json_kind(field: serializers.Field) -> type | None:
    """The JSON type a field takes, or None when DRF's own check is exact."""
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.FloatField):
        return float
    if isinstance(field, serializers.CharField | serializers.TimeField | serializers.DateField):
        return str
    return None


def _json_type_ok(field: serializers.Field, value: Any) -> bool:
    if value is None:
        return True  # allow_null decides
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return all(_json_type_ok(field.child, item) for item in value)
    kind = _json_kind(field)
    if kind is None:
        return True
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _wrong_type_message(field: serializers.Field) -> str:
    if isinstance(field, serializers.ListField):
        return str(WRONG_JSON_ITEM_TYPE).format(kind=_KINDS[_json_kind(field.child) or str])
    return str(WRONG_JSON_TYPE).format(kind=_KINDS[_json_kind(field) or str])


class JSONInput(serializers.Serializer):
    """A JSON request body whose fields take only their own JSON type. DRF alone
    reads 5 as "5" for a text field and "5" as 5 for a number, which lets a
    client's type bug through unnoticed and breaks the API's own schema."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return super().to_internal_value(data)
        errors: dict[str, Any] = {
            name: [_wrong_type_message(field)]
            for name, field in self.fields.items()
            if name in data and not field.read_only and not _json_type_ok(field, data[name])
        }
        try:
            # The other fields are still checked, so one answer names every wrong field.
            value = super().to_internal_value({k: v for k, v in data.items() if k not in errors})
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return value


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError(NOT_FINITE)
        return value


class SlugListField(serializers.ListField):
    child = serializers.SlugField(max_length=80)
    MAX_ITEMS = 20

    # Passed through __init__: ListField.__init__ sets max_length from its
    # arguments, so a class attribute would be overwritten with None.
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.MAX_ITEMS)
        super().__init__(**kwargs)


class FilterQuerySerializer(serializers.Serializer):
    """Filters shared by /nearest and /locations."""

    category = SlugListField(required=False, help_text="Category slug (repeatable); includes its sub-categories.")
    target = SlugListField(required=False, help_text="Target-group slug (repeatable).")
    format = serializers.ListField(
        child=serializers.ChoiceField(choices=m.ServiceFormat.choices), required=False, max_length=3
    )
    free = serializers.BooleanField(required=False, default=False, help_text="Only free services.")
    open_now = serializers.BooleanField(
        required=False, default=False, help_text="Open now, in each location's own time zone."
    )
    language = serializers.ListField(
        child=serializers.RegexField(LANGUAGE_PATTERN, max_length=3), required=False, max_length=10
    )
    network = SlugListField(required=False, help_text="Network (coalition) slug (repeatable).")


class NearestQuerySerializer(FilterQuerySerializer):
    lat = FiniteFloatField(required=False, min_value=-90, max_value=90, help_text="WGS84 latitude, degrees.")
    lon = FiniteFloatField(required=False, min_value=-180, max_value=180, help_text="WGS84 longitude, degrees.")
    place = serializers.CharField(
        required=False, max_length=100, help_text="A city or town name, Cyrillic or Latin; typos tolerated."
    )
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_K)
    max_km = FiniteFloatField(required=False, min_value=0.1, max_value=20_000)
    audience = serializers.ChoiceField(
        choices=["all", "people"],
        required=False,
        default="all",
        help_text="people: help for people and families only, leaving out services for specialists and the media.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_lat, has_lon, has_place = "lat" in attrs, "lon" in attrs, bool(attrs.get("place", "").strip())
        if has_lat != has_lon:
            raise serializers.ValidationError({"lat" if not has_lat else "lon": [LAT_LON_PAIR]})
        if has_place and has_lat:
            raise serializers.ValidationError({"place": [ORIGIN_BOTH]})
        if not has_place and not has_lat:
            raise serializers.ValidationError({"lat": [ORIGIN_REQUIRED], "place": [ORIGIN_REQUIRED]})
        return attrs


class BBoxField(serializers.CharField):
    """``minlon,minlat,maxlon,maxlat``; minlon > maxlon means the box crosses the antimeridian."""

    def to_internal_value(self, data: Any) -> tuple[float, float, float, float]:  # type: ignore[override]
        text = super().to_internal_value(data)
        parts = text.split(",")
        if len(parts) != 4:
            raise serializers.ValidationError(_("Use four numbers: minlon,minlat,maxlon,maxlat."))
        try:
            minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
        except ValueError as exc:
            raise serializers.ValidationError(_("Use four numbers: minlon,minlat,maxlon,maxlat.")) from exc
        if not all(math.isfinite(v) for v in (minlon, minlat, maxlon, maxlat)):
            raise serializers.ValidationError(NOT_FINITE)
        if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180 and -90 <= minlat <= 90 and -90 <= maxlat <= 90):
            raise serializers.ValidationError(_("Longitudes must be within ±180 and latitudes within ±90."))
        if minlat >= maxlat:
            raise serializers.ValidationError(_("minlat must be below maxlat."))
        width = maxlon - minlon if maxlon > minlon else maxlon + 360 - minlon
        if width <= 0 or width * (maxlat - minlat) > MAX_BBOX_AREA_DEG2:
            raise serializers.ValidationError(
                _("The box is too large: at most a quarter of the planet (zoom in), or it is empty.")
            )
        return (minlon, minlat, maxlon, maxlat)


# The most map-grid cells (90 / 2**zoom degrees square, the cells clusters are
# counted in) a box may span at its zoom: a 4K screen shows about 2,000. A box
# far larger than a screen at that zoom would be answered point by point.
MAX_VIEWPORT_CELLS = 4096


class ViewportQuerySerializer(FilterQuerySerializer):
    in_bbox = BBoxField(help_text="minlon,minlat,maxlon,maxlat (WGS84 degrees).")
    zoom = serializers.IntegerField(min_value=0, max_value=22)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        minlon, minlat, maxlon, maxlat = attrs["in_bbox"]
        width = maxlon - minlon if maxlon > minlon else maxlon + 360 - minlon
        cell = 90 / 2 ** attrs["zoom"]
        if (width / cell) * ((maxlat - minlat) / cell) > MAX_VIEWPORT_CELLS:
            raise serializers.ValidationError(
                {"in_bbox": [_("The box is far larger than a screen at this zoom: zoom out or send a smaller box.")]}
            )
        return attrs


class PlacesQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=100)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class PlaceNearestQuerySerializer(serializers.Serializer):
    lat = FiniteFloatField(min_value=-90, max_value=90, help_text="WGS84 latitude, degrees; two decimals are enough.")
    lon = FiniteFloatField(
        min_value=-180, max_value=180, help_text="WGS84 longitude, degrees; two decimals are enough."
    )


# --- output -----------------------------------------------------------------------


class PositionSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()


class PlaceSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="geonameid")
    lat = serializers.SerializerMethodField()
    lon = serializers.SerializerMethodField()
    region_code = serializers.CharField()

    class Meta:
        model = m.Place
        fields = ["id", "name", "name_ru", "country_code", "region_code", "population", "timezone", "lat", "lon"]

    def get_lat(self, obj: m.Place) -> float:
        return round(obj.point.y, 6)

    def get_lon(self, obj: m.Place) -> float:
        return round(obj.point.x, 6)


def _slugs() -> Any:
    """A read-only list of related objects' slugs."""
    return serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)


class PlaceNearestSerializer(serializers.Serializer):
    place = PlaceSerializer(allow_null=True, help_text="The town nearest to the point; null with no gazetteer.")


class CategorySerializer(serializers.ModelSerializer):
    parent: serializers.SlugRelatedField[m.Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True, allow_null=True
    )
    children = serializers.SerializerMethodField()

    class Meta:
        model = m.Category
        fields = ["slug", "name_ru", "name_en", "name_uk", "description", "parent", "children"]

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/Category"}})
    def get_children(self, obj: m.Category) -> list[dict[str, Any]]:
        kids = self.context.get("children", {}).get(obj.pk, [])
        return [CategorySerializer(kid, context=self.context).data for kid in kids]


class TargetGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.TargetGroup
        fields = ["slug", "name_ru", "name_en", "name_uk"]


class NetworkSerializer(serializers.ModelSerializer):
    members = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = m.Network
        fields = ["slug", "name", "name_en", "description", "website", "countries", "roles", "members"]


class MembershipPublicSerializer(serializers.Serializer):
    network = serializers.CharField(source="network.slug")
    network_name = serializers.CharField(source="network.name")
    role = serializers.CharField()
    since = serializers.DateField(allow_null=True)


class OrganisationBriefSerializer(serializers.ModelSerializer):
    networks = serializers.SerializerMethodField()

    class Meta:
        model = m.Organisation
        fields = ["id", "slug", "name", "website", "email", "last_verified_at", "networks"]

    @extend_schema_field(MembershipPublicSerializer(many=True))
    def get_networks(self, obj: m.Organisation) -> list[dict[str, Any]]:
        memberships = getattr(obj, "active_memberships", None)
        if memberships is None:
            memberships = obj.memberships.filter(status=m.MembershipStatus.ACTIVE).select_related("network")
        return MembershipPublicSerializer(memberships, many=True).data  # type: ignore[return-value]


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.OpeningHours
        fields = ["weekday", "opens", "closes"]


class LocationPublicSerializer(serializers.ModelSerializer):
    """A location as the public may see it."""

    position = serializers.SerializerMethodField()
    # The public view is the model's: Location.public_address, .public_position.
    address = serializers.CharField(source="public_address", read_only=True)
    hours = OpeningHoursSerializer(many=True, read_only=True)

    class Meta:
        model = m.Location
        fields = [
            "id",
            "name",
            "kind",
            "visibility",
            "position",
            "address",
            "city",
            "region",
            "country",
            "timezone",
            "hours",
            "accessibility",
            "languages",
        ]

    @extend_schema_field(PositionSerializer(allow_null=True))
    def get_position(self, obj: m.Location) -> dict[str, float] | None:
        position = obj.public_position
        return None if position is None else {"lat": position.lat, "lon": position.lon}


class ServicePublicSerializer(serializers.ModelSerializer):
    categories: serializers.SlugRelatedField[Any] = _slugs()
    target_groups: serializers.SlugRelatedField[Any] = _slugs()

    class Meta:
        model = m.Service
        fields = [
            "id",
            "name",
            "description",
            "categories",
            "target_groups",
            "formats",
            "is_free",
            "min_age",
            "max_age",
            "eligibility",
            "languages",
            "phone",
            "email",
            "url",
            "area_kind",
        ]


class RemoteServiceSerializer(ServicePublicSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)

    class Meta(ServicePublicSerializer.Meta):
        fields = [*ServicePublicSerializer.Meta.fields, "organisation"]


class CentreSerializer(serializers.ModelSerializer):
    host = OrganisationBriefSerializer(read_only=True)
    helps_with: serializers.SlugRelatedField[Any] = _slugs()

    class Meta:
        model = m.ActivePeopleCentre
        fields = ["slug", "name", "description", "helps_with", "host"]


class NearestResultSerializer(serializers.Serializer):
    distance_m = serializers.IntegerField(
        help_text="WGS84 geodesic metres from the public position; rounded to 1 km for protected locations."
    )
    open_now = serializers.BooleanField(allow_null=True)
    location = LocationPublicSerializer()
    organisation = OrganisationBriefSerializer()
    services = ServicePublicSerializer(many=True)


class OriginSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    place = PlaceSerializer(allow_null=True)
    alternatives = PlaceSerializer(many=True, help_text="Other places with the same name, when it was ambiguous.")


class NearestResponseSerializer(serializers.Serializer):
    origin = OriginSerializer()
    results = NearestResultSerializer(many=True)
    remote = RemoteServiceSerializer(many=True)
    centres = CentreSerializer(many=True)


class OrganisationDetailSerializer(OrganisationBriefSerializer):
    locations = LocationPublicSerializer(many=True, read_only=True)
    services = ServicePublicSerializer(many=True, read_only=True)
    ogrn = serializers.SerializerMethodField()
    inn = serializers.SerializerMethodField()

    # A person's ОГРНИП/ИНН is never public: the model's public view decides.
    def get_ogrn(self, obj: m.Organisation) -> str | None:
        return obj.public_ogrn

    def get_inn(self, obj: m.Organisation) -> str | None:
        return obj.public_inn

    class Meta(OrganisationBriefSerializer.Meta):
        fields = [
            *OrganisationBriefSerializer.Meta.fields,
            "description",
            "description_en",
            "description_uk",
            "legal_form",
            "country",
            "ogrn",
            "inn",
            "email",
            "social_links",
            "locations",
            "services",
        ]

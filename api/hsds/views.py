"""The HSDS 3 API (Open Referral): the directory for other directories and 211 services.

Paths, parameters and the page wrapper follow the HSDS OpenAPI description
(schema/openapi.json of the specification); every item validates against the
compiled HSDS schema of its object with no extra fields. These views are
left out of the project's own OpenAPI document (/api/schema/): HSDS clients
read the HSDS one.

Beyond the specification: ``/service_at_locations`` takes the centre for
``proximity`` as ``lat`` and ``lon`` or as a town name in ``place`` (the
directory has no postcodes), and lists nearest first when a centre is given.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orgs import gazetteer
from orgs.hsds import selectors as hs
from orgs.hsds import serialize as ser
from orgs.hsds import vocab
from orgs.hsds.spec import HSDS_VERSION

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
# format=ndjson streams everything; it is read in chunks of this many items,
# each with its own fixed set of queries.
STREAM_CHUNK = 500
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"

NOT_SUPPORTED = _("This directory does not support {param}. {hint}")
NOT_A_UUID = _("Not an HSDS id: ids are UUIDs such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.")
UNKNOWN_TERM = _("No taxonomy term or taxonomy with this id; see /api/hsds/taxonomy_terms and /api/hsds/taxonomies.")
PROXIMITY_NEEDS_CENTRE = _("Give the centre with lat and lon, or with place (a town), together with proximity.")
UNKNOWN_PLACE = _("No town or city called “{q}” is known. Check the spelling or give lat and lon.")
NO_SUCH = _("No published {what} with this id.")
UNSUPPORTED = {
    "minimal": _("Use per_page and the list's one-to-one fields instead."),
    "postcode": _("There are no postcodes here: use proximity with lat and lon, or with place."),
    "full_service": _("HSDS organizations have no services array; list /services?organization_id=… instead."),
}


class ModifiedAfterField(serializers.DateTimeField):
    """A datetime (RFC 3339) or a date (taken as its start, UTC)."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            value = f"{value}T00:00:00Z"
        return super().to_internal_value(value)


class ListQuery(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=1_000_000)
    per_page = serializers.IntegerField(required=False, default=DEFAULT_PER_PAGE, min_value=1, max_value=MAX_PER_PAGE)
    search = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    format = serializers.ChoiceField(choices=["json", "ndjson"], required=False, default="json")
    full = serializers.BooleanField(required=False, default=False)
    taxonomy_term_id = serializers.UUIDField(required=False)
    taxonomy_id = serializers.UUIDField(required=False)
    organization_id = serializers.UUIDField(required=False)
    modified_after = ModifiedAfterField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = self.initial_data
        for param, hint in UNSUPPORTED.items():
            if param in raw:
                raise serializers.ValidationError({param: [str(NOT_SUPPORTED).format(param=param, hint=hint)]})
        return attrs

    def filters(self) -> hs.ListFilters:
        d = self.validated_data
        return hs.ListFilters(
            search=d["search"],
            taxonomy_term_id=d.get("taxonomy_term_id"),
            taxonomy_id=d.get("taxonomy_id"),
            organization_id=d.get("organization_id"),
            modified_after=d.get("modified_after"),
        )


class ServiceAtLocationQuery(ListQuery):
    proximity = serializers.FloatField(
        required=False, min_value=1, max_value=20_000_000, help_text="Metres from the centre."
    )
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    place = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        for name in ("proximity", "lat", "lon"):
            if name in attrs and not math.isfinite(attrs[name]):
                raise serializers.ValidationError({name: [_("Must be a finite number.")]})
        if ("lat" in attrs) != ("lon" in attrs):
            raise serializers.ValidationError({"lat" if "lat" not in attrs else "lon": [_("Give both lat and lon.")]})
        if "lat" in attrs and attrs.get("place"):
            raise serializers.ValidationError({"place": [_("Give either lat and lon or place, not both.")]})
        if "proximity" in attrs and "lat" not in attrs and not attrs.get("place"):
            raise serializers.ValidationError({"proximity": [PROXIMITY_NEEDS_CENTRE]})
        if attrs.get("place"):
            place, _alternatives = gazetteer.place_resolve(q=attrs["place"])
            if place is None:
                raise serializers.ValidationError({"place": [str(UNKNOWN_PLACE).format(q=attrs["place"])]})
            attrs["centre"] = Point(place.point.x, place.point.y, srid=4326)
        elif "lat" in attrs:
            attrs["centre"] = Point(attrs["lon"], attrs["lat"], srid=4326)
        return attrs


class TermQuery(ListQuery):
    parent_id = serializers.UUIDField(required=False)
    top_only = serializers.BooleanField(required=False, default=False)


def _unknown_term() -> serializers.ValidationError:
    return serializers.ValidationError({"taxonomy_term_id": [UNKNOWN_TERM]})


def page_of(items: list[dict[str, Any]], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    """The HSDS page wrapper (components.schemas.Page of the HSDS OpenAPI)."""
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not items,
        "contents": items,
    }


def _paged(
    query: ListQuery, qs: QuerySet[Any], to_hsds: Callable[[Any], dict[str, Any]]
) -> Response | StreamingHttpResponse:
    d = query.validated_data
    if d["format"] == "ndjson":
        return StreamingHttpResponse(_ndjson(qs, to_hsds), content_type="application/x-ndjson")
    page, per_page = d["page"], d["per_page"]
    total = qs.count()
    start = (page - 1) * per_page
    items = [to_hsds(obj) for obj in qs[start : start + per_page]] if start < total else []
    return Response(page_of(items, total=total, page=page, per_page=per_page))


def _ndjson(qs: QuerySet[Any], to_hsds: Callable[[Any], dict[str, Any]]) -> Iterator[bytes]:
    """Everything, one JSON object a line, read in chunks so memory and the
    number of queries per chunk stay bounded."""
    offset = 0
    while True:
        chunk = list(qs[offset : offset + STREAM_CHUNK])
        for obj in chunk:
            yield json.dumps(to_hsds(obj), ensure_ascii=False).encode() + b"\n"
        if len(chunk) < STREAM_CHUNK:
            return
        offset += STREAM_CHUNK


def _one(qs: QuerySet[Any], raw_id: str, what: str) -> Model:
    try:
        key = uuid.UUID(raw_id)
    except ValueError:
        raise serializers.ValidationError({"id": [NOT_A_UUID]}) from None
    obj = qs.filter(uuid=key).first()
    if obj is None:
        raise NotFound(str(NO_SUCH).format(what=what))
    return obj


class HSDSView(APIView):
    """Anonymous, throttled like the rest of the public API."""


@extend_schema(exclude=True)
class MetaView(HSDSView):
    def get(self, request: Request) -> Response:
        return Response({"version": HSDS_VERSION, "openapi_url": OPENAPI_URL})


@extend_schema(exclude=True)
class ServiceListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        full = query.validated_data["full"]
        try:
            qs = hs.filter_services(hs.services(full=full), query.filters())
        except hs.UnknownTerm:
            raise _unknown_term() from None
        voc = ser.Vocabulary.load()
        return _paged(query, qs, lambda s: ser.service(s, voc, full=full))


@extend_schema(exclude=True)
class ServiceDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        svc = _one(hs.services(full=True), id, "service")
        return Response(ser.service(svc, ser.Vocabulary.load(), full=True))  # type: ignore[arg-type]


@extend_schema(exclude=True)
class OrganizationListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        full = query.validated_data["full"]
        try:
            qs = hs.filter_organisations(hs.organisations(full=full), query.filters())
        except hs.UnknownTerm:
            raise _unknown_term() from None
        voc = ser.Vocabulary.load()
        return _paged(query, qs, lambda o: ser.organization(o, voc, full=full))


@extend_schema(exclude=True)
class OrganizationDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        org = _one(hs.organisations(full=True), id, "organization")
        return Response(ser.organization(org, ser.Vocabulary.load(), full=True))  # type: ignore[arg-type]


@extend_schema(exclude=True)
class ServiceAtLocationListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = ServiceAtLocationQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        d = query.validated_data
        full = d["full"]
        try:
            qs = hs.filter_service_at_locations(
                hs.service_at_locations(full=full), query.filters(), centre=d.get("centre"), within_m=d.get("proximity")
            )
        except hs.UnknownTerm:
            raise _unknown_term() from None
        voc = ser.Vocabulary.load()
        return _paged(query, qs, lambda link: ser.service_at_location(link, voc, full=full))


@extend_schema(exclude=True)
class ServiceAtLocationDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        link = _one(hs.service_at_locations(full=True), id, "service_at_location")
        return Response(ser.service_at_location(link, ser.Vocabulary.load(), full=True))  # type: ignore[arg-type]


class _ListOfDicts:
    """A list that quacks enough like a queryset for ``_paged``."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def count(self) -> int:
        return len(self.items)

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return self.items[key]


def _search(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    words = text.lower().replace("ё", "е").split()
    if not words:
        return items

    def hay(item: dict[str, Any]) -> str:
        return " ".join(str(item.get(k, "")) for k in ("name", "code", "description")).lower().replace("ё", "е")

    return [item for item in items if all(w in hay(item) for w in words)]


@extend_schema(exclude=True)
class TaxonomyListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = _search([t.as_hsds() for t in vocab.TAXONOMIES], query.validated_data["search"])
        return _paged(query, _ListOfDicts(items), lambda t: t)  # type: ignore[arg-type]


@extend_schema(exclude=True)
class TaxonomyDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        for taxonomy in vocab.TAXONOMIES:
            if taxonomy.id == id:
                return Response(taxonomy.as_hsds())
        raise NotFound(str(NO_SUCH).format(what="taxonomy"))


@extend_schema(exclude=True)
class TaxonomyTermListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = TermQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        d = query.validated_data
        terms = ser.Vocabulary.load().terms()
        if d.get("taxonomy_id") is not None:
            terms = [t for t in terms if t["taxonomy_id"] == str(d["taxonomy_id"])]
        if d.get("parent_id") is not None:
            terms = [t for t in terms if t.get("parent_id") == str(d["parent_id"])]
        if d["top_only"]:
            terms = [t for t in terms if "parent_id" not in t]
        return _paged(query, _ListOfDicts(_search(terms, d["search"])), lambda t: t)  # type: ignore[arg-type]


@extend_schema(exclude=True)
class TaxonomyTermDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        for term in ser.Vocabulary.load().terms():
            if term["id"] == id:
                return Response(term)
        raise NotFound(str(NO_SUCH).format(what="taxonomy term"))

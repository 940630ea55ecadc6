"""Public read API: thin views that validate the query, call one selector and
serialize. Nothing here records the search origin."""

from __future__ import annotations

import json
import threading
from typing import Any

from django.contrib.gis.geos import Point
from django.core.cache import caches
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.errors import public_errors
from api.filters import OrganisationFilter, filtered
from api.viewport import ViewportSerializer
from orgs import gazetteer, selectors
from orgs import models as m
from orgs.search import audience, nearest, text, viewport
from orgs.search.filters import SearchFilters

# Slug to id of the small taxonomies (categories, target groups, coalitions),
# kept in Django's cache for this long: looking them up was a query and an ORM
# compilation on every search, a third of the Python time of /nearest. A slug
# missing from the kept map is looked up again before it is refused, so a new
# category works at once; a renamed or deleted one may still be answered from
# the old map until it expires.
TAXONOMY_CACHE_SECONDS = 60


def _slug_ids(model: type[Any], *, fresh: bool = False) -> dict[str, int]:
    key = f"slug-ids:{model._meta.label_lower}"
    # The per-process cache: a map a few seconds staler in one worker than in
    # another is harmless, and a shared cache would cost the query saved here.
    local = caches["local"]
    ids: dict[str, int] | None = None if fresh else local.get(key)
    if ids is None:
        ids = dict(model.objects.values_list("slug", "pk"))
        local.set(key, ids, TAXONOMY_CACHE_SECONDS)
    return ids


def _resolve_slugs(model: type[Any], slugs: list[str], param: str, endpoint: str) -> tuple[int, ...]:
    if not slugs:
        return ()
    found = _slug_ids(model)
    if any(slug not in found for slug in slugs):
        found = _slug_ids(model, fresh=True)
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise serializers.ValidationError(
            {param: [str(s.UNKNOWN_SLUG).format(what=param, values=", ".join(unknown), endpoint=endpoint)]}
        )
    return tuple(found[slug] for slug in dict.fromkeys(slugs))


def search_filters(data: dict[str, Any]) -> SearchFilters:
    """Turn validated query parameters into selector filters (slugs to ids)."""
    return SearchFilters(
        facets=_resolve_slugs(m.Category, data.get("category", []), "category", "/api/v1/categories"),
        target_ids=_resolve_slugs(m.TargetGroup, data.get("target", []), "target", "/api/v1/target-groups"),
        formats=tuple(dict.fromkeys(data.get("format", []))),
        free=data.get("free", False),
        open_now=data.get("open_now", False),
        languages=tuple(dict.fromkeys(data.get("language", []))),
        network_ids=_resolve_slugs(m.Network, data.get("network", []), "network", "/api/v1/networks"),
    )


def _array(items: dict[str, Any], *, max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items}


def _filter_parameters() -> list[OpenApiParameter]:
    # Written out (not introspected from FilterQuerySerializer) so the schema
    # carries the same item patterns and list limits the serializer enforces.
    slugs = _array({"type": "string", "pattern": s.SLUG_PATTERN, "maxLength": 80}, max_items=s.SlugListField.MAX_ITEMS)
    return [
        OpenApiParameter("category", slugs, description="Category slug; repeatable; includes sub-categories."),
        OpenApiParameter("target", slugs, description="Target-group slug; repeatable."),
        OpenApiParameter("format", _array({"type": "string", "enum": m.ServiceFormat.values}, max_items=3)),
        OpenApiParameter("free", bool),
        OpenApiParameter("open_now", bool),
        OpenApiParameter(
            "language",
            _array({"type": "string", "pattern": s.LANGUAGE_PATTERN}, max_items=10),
            description="ISO 639 code, e.g. ru.",
        ),
        OpenApiParameter("network", slugs, description="Network slug; repeatable."),
    ]


# One query serializer per class and thread, reused: a new instance deep-copies
# all its declared fields, which was the largest Python cost of a /nearest
# request (1.4 ms of 4.8). run_validation() keeps no state on the instance, and
# its errors are the same dict is_valid() would raise.
_QUERY_SERIALIZERS = threading.local()


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Validate the query string. An empty value (``?k=``) is an error here: DRF
    reads it as "not given", the way an HTML form sends an empty field, which
    would silently search with the default instead of what the client meant."""
    kept: dict[type[serializers.Serializer], serializers.Serializer] | None = getattr(
        _QUERY_SERIALIZERS, "by_class", None
    )
    if kept is None:
        kept = _QUERY_SERIALIZERS.by_class = {}
    query = kept.get(serializer_class)
    if query is None:
        query = kept[serializer_class] = serializer_class()
    params = request.query_params
    fields = query.fields
    empty = {name: [str(s.EMPTY_VALUE)] for name, values in params.lists() if name in fields and "" in values}
    if empty:
        raise serializers.ValidationError(empty)
    return dict(query.run_validation(params))


class NearestView(APIView):
    @extend_schema(
        summary="The nearest matching help",
        parameters=[s.NearestQuerySerializer, *_filter_parameters()],
        responses={200: s.NearestResponseSerializer, **public_errors()},
    )
    def get(self, request: Request) -> HttpResponse:
        data = _query(s.NearestQuerySerializer, request)
        filters = search_filters(data)
        if data.get("audience") == "people":
            filters = audience.for_people(filters)

        place: m.Place | None = None
        alternatives: list[m.Place] = []
        if data.get("place"):
            place, alternatives = gazetteer.place_resolve(q=data["place"])
            if place is None:
                raise serializers.ValidationError({"place": [str(s.UNKNOWN_PLACE).format(q=data["place"])]})
            lon, lat = place.point.x, place.point.y
        else:
            lon, lat = data["lon"], data["lat"]

        max_m = data["max_km"] * 1000 if data.get("max_km") else None
        # The results, remote help and centres come serialised from PostgreSQL
        # (orgs/search/nearest.py says why); NearestResponseSerializer documents them.
        answer = nearest.nearest_answer(
            lon=lon, lat=lat, filters=filters, k=data["k"], max_m=max_m, area_place_id=place.pk if place else None
        )
        # OriginSerializer's fields, by hand: instantiating the serializer (it
        # deep-copies its fields) cost more than the rest of this view.
        head = {
            "lat": lat,
            "lon": lon,
            "place": s.PlaceSerializer(place).data if place else None,
            "alternatives": s.PlaceSerializer(alternatives, many=True).data if alternatives else [],
        }
        body = (
            f'{{"origin":{json.dumps(head, ensure_ascii=False, separators=(",", ":"))},'
            f'"results":{answer.results},"remote":{answer.remote},"centres":{answer.centres}}}'
        )
        return HttpResponse(body, content_type="application/json")


class ViewportView(APIView):
    @extend_schema(
        summary="Points or clusters for a map viewport (GeoJSON)",
        parameters=[s.ViewportQuerySerializer, *_filter_parameters()],
        responses={200: ViewportSerializer, **public_errors()},
    )
    def get(self, request: Request) -> Response:
        data = _query(s.ViewportQuerySerializer, request)
        return Response(
            viewport.viewport_features(bbox=data["in_bbox"], zoom=data["zoom"], filters=search_filters(data))
        )


class PlacesView(APIView):
    @extend_schema(
        summary="Towns and cities by name (autocomplete)",
        parameters=[s.PlacesQuerySerializer],
        responses={200: s.PlaceSerializer(many=True), **public_errors()},
    )
    def get(self, request: Request) -> Response:
        data = _query(s.PlacesQuerySerializer, request)
        places = gazetteer.places_search(q=data["q"], limit=data["limit"])
        return Response(s.PlaceSerializer(places, many=True).data)


class PlaceNearestView(APIView):
    """The town nearest to a point: "use my location" names and shares this
    town, never the coordinates. Nothing here records the point."""

    @extend_schema(
        summary="The town nearest to a point",
        parameters=[s.PlaceNearestQuerySerializer],
        responses={200: s.PlaceNearestSerializer, **public_errors()},
    )
    def get(self, request: Request) -> Response:
        data = _query(s.PlaceNearestQuerySerializer, request)
        # About a kilometre: enough to find the town, no more precise than that.
        point = Point(round(data["lon"], 2), round(data["lat"], 2), srid=4326)
        place = gazetteer.place_nearest(point=point)
        return Response({"place": s.PlaceSerializer(place).data if place else None})


class CategoriesView(APIView):
    @extend_schema(
        summary="The category tree",
        responses={200: s.CategorySerializer(many=True), **public_errors(bad_request=False)},
    )
    def get(self, request: Request) -> Response:
        categories = list(m.Category.objects.select_related("parent"))
        children: dict[int | None, list[m.Category]] = {}
        for cat in categories:
            children.setdefault(cat.parent_id, []).append(cat)
        roots = children.get(None, [])
        return Response(s.CategorySerializer(roots, many=True, context={"children": children}).data)


class TargetGroupsView(APIView):
    @extend_schema(
        summary="Who help is for",
        responses={200: s.TargetGroupSerializer(many=True), **public_errors(bad_request=False)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.TargetGroupSerializer(m.TargetGroup.objects.all(), many=True).data)


class NetworksView(APIView):
    @extend_schema(
        summary="Coalitions", responses={200: s.NetworkSerializer(many=True), **public_errors(bad_request=False)}
    )
    def get(self, request: Request) -> Response:
        networks = m.Network.objects.annotate(
            members=Count(
                "memberships",
                filter=Q(
                    memberships__status=m.MembershipStatus.ACTIVE,
                    memberships__organisation__status=m.PublicationStatus.PUBLISHED,
                ),
            )
        )
        return Response(s.NetworkSerializer(networks, many=True).data)


def _organisations_queryset() -> Any:
    return selectors.organisations_public().prefetch_related(
        selectors.memberships_public(),
        Prefetch("locations", queryset=m.Location.objects.prefetch_related("hours")),
        Prefetch("services", queryset=m.Service.objects.prefetch_related("categories", "target_groups")),
    )


class OrganisationListView(APIView):
    # drf-spectacular documents the query parameters from the FilterSet of a
    # view's DjangoFilterBackend; the view applies the same FilterSet itself
    # (filters.filtered) to page the result its own way.
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrganisationFilter
    queryset = m.Organisation.objects.none()

    @extend_schema(
        summary="Published organisations",
        responses={200: s.OrganisationBriefSerializer(many=True), **public_errors()},
    )
    def get(self, request: Request) -> Response:
        found = filtered(OrganisationFilter, request, selectors.organisations_public())
        orgs = text.organisations_page(found.qs, page=found.page_number)
        return Response(s.OrganisationBriefSerializer(orgs, many=True).data)


class OrganisationDetailView(APIView):
    @extend_schema(
        summary="One published organisation",
        responses={200: s.OrganisationDetailSerializer, **public_errors(bad_request=False, not_found=True)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = get_object_or_404(_organisations_queryset(), slug=slug)
        return Response(s.OrganisationDetailSerializer(org).data)

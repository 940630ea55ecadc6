"""Where help is missing: ``GET /api/v1/coverage`` (aggregates),
``GET /api/v1/coverage/towns`` (per-town rows, paged) and
``GET /api/v1/coverage/towns.csv`` (all of them). Thin views: the FilterSet
validates the query, a selector of orgs.coverage answers, a serializer shapes it."""

from __future__ import annotations

import csv
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.errors import public_errors
from api.filters import documented, filtered
from orgs import models as m
from orgs.coverage import selectors as cov
from orgs.coverage.sql import BAND_KEYS, BANDS_KM

PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000
MAX_PAGE = 1000

COUNTED = _(
    "Counted: the towns and cities of the gazetteer (GeoNames) with their populations. "
    "People outside them (villages, rural areas) are not counted. Distances are geodesic, "
    "from each town's centre to the public position of the nearest published place giving help in person."
)


def _slug_choice(model: type[Any], help_text: str) -> Any:
    return documented(
        django_filters.ModelChoiceFilter(queryset=model.objects.all(), to_field_name="slug", method="keep"),
        serializers.RegexField(s.SLUG_PATTERN, required=False, help_text=help_text),
    )


class CoverageFilter(django_filters.FilterSet):
    """The filters of the coverage endpoints; the selectors apply them (the
    queryset is not filtered: the answer is an aggregate)."""

    category = _slug_choice(m.Category, "Category slug (its sub-categories count too); any help if left out.")
    target = _slug_choice(m.TargetGroup, "Target-group slug: only help for this group.")
    network = _slug_choice(m.Network, "Coalition slug: only its members' help.")
    free = documented(
        # A choice, not a BooleanFilter: its widget reads "maybe" as "not given".
        django_filters.ChoiceFilter(choices=[("true", "true"), ("false", "false")], method="keep"),
        serializers.BooleanField(required=False, help_text="Only free help."),
    )

    class Meta:
        model = m.CoverageTown
        fields: list[str] = []

    def keep(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return qs

    def coverage_query(self) -> cov.CoverageQuery:
        data = self.form.cleaned_data
        return cov.CoverageQuery(
            facet=data["category"].pk if data.get("category") else 0,
            target_id=data["target"].pk if data.get("target") else None,
            network_id=data["network"].pk if data.get("network") else None,
            free=data.get("free") == "true",
        )


class TownsFilter(CoverageFilter):
    page = documented(
        django_filters.NumberFilter(method="keep", min_value=1, max_value=MAX_PAGE),
        serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, help_text="1 is the first."),
    )
    page_size = documented(
        django_filters.NumberFilter(method="keep", min_value=1, max_value=MAX_PAGE_SIZE),
        serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE),
    )

    class Meta(CoverageFilter.Meta):
        pass


# --- output -------------------------------------------------------------------------


class BandsSerializer(serializers.Serializer):
    pass


for _key in BAND_KEYS:
    BandsSerializer._declared_fields[_key] = serializers.IntegerField(
        help_text=f"Population within {_key} km (and beyond the band below)"
        if _key != "beyond"
        else f"Population beyond {BANDS_KM[-1]} km or with no such help at all"
    )


class TotalsSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Country code, or region code as COUNTRY.ADMIN1; empty for the whole")
    country = serializers.CharField()
    towns = serializers.IntegerField()
    population = serializers.IntegerField()
    bands = BandsSerializer()
    beyond_50km_share = serializers.SerializerMethodField()
    beyond_50km_without_remote_share = serializers.SerializerMethodField()
    beyond_100km_share = serializers.SerializerMethodField()
    beyond_100km_without_remote_share = serializers.SerializerMethodField()

    def get_beyond_50km_share(self, t: cov.Totals) -> float:
        return t.share(t.beyond_50)

    def get_beyond_50km_without_remote_share(self, t: cov.Totals) -> float:
        return t.share(t.beyond_50_no_remote)

    def get_beyond_100km_share(self, t: cov.Totals) -> float:
        return t.share(t.beyond_100)

    def get_beyond_100km_without_remote_share(self, t: cov.Totals) -> float:
        return t.share(t.beyond_100_no_remote)


class TownSerializer(serializers.Serializer):
    geonameid = serializers.IntegerField()
    name = serializers.CharField()
    name_ru = serializers.CharField()
    country = serializers.CharField()
    region = serializers.CharField()
    population = serializers.IntegerField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    distance_km = serializers.FloatField(allow_null=True, help_text="null: no such help in person anywhere")
    band = serializers.ChoiceField(choices=BAND_KEYS)
    remote = serializers.BooleanField(help_text="Online or phone help covers the town")


class CoverageSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(allow_null=True, help_text="Last full recompute")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Last change (full or incremental)")
    counted = serializers.SerializerMethodField()
    bands_km = serializers.SerializerMethodField()
    total = TotalsSerializer()
    countries = TotalsSerializer(many=True)
    regions = TotalsSerializer(many=True)
    largest_beyond_100km = TownSerializer(many=True, source="largest_beyond_100")

    def get_counted(self, obj: Any) -> str:
        return str(COUNTED)

    def get_bands_km(self, obj: Any) -> list[int]:
        return list(BANDS_KM)


class TownPageSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = TownSerializer(many=True)


# --- views --------------------------------------------------------------------------

# The schema's query parameters, written out: drf-spectacular reads a
# FilterSet's parameters only for list responses, and these answers are not lists.
_SLUG = {"type": "string", "pattern": s.SLUG_PATTERN, "maxLength": 80}
FILTER_PARAMETERS = [
    OpenApiParameter(
        "category", _SLUG, description="Category slug (its sub-categories count too); any help if left out."
    ),
    OpenApiParameter("target", _SLUG, description="Target-group slug: only help for this group."),
    OpenApiParameter("network", _SLUG, description="Coalition slug: only its members' help."),
    OpenApiParameter("free", {"type": "string", "enum": ["true", "false"]}, description="Only free help."),
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, description="1 is the first."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE}),
]


class CoverageView(APIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = CoverageFilter
    queryset = m.CoverageTown.objects.none()

    @extend_schema(
        summary="Where help is missing: population by distance to the nearest help",
        parameters=FILTER_PARAMETERS,
        responses={200: CoverageSerializer, **public_errors()},
    )
    def get(self, request: Request) -> Response:
        found = filtered(CoverageFilter, request, m.CoverageTown.objects.none())
        return Response(CoverageSerializer(cov.coverage_aggregates(found.coverage_query())).data)


class CoverageTownsView(APIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = TownsFilter
    queryset = m.CoverageTown.objects.none()

    @extend_schema(
        summary="Where help is missing: each town's distance to the nearest help, largest first",
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: TownPageSerializer, **public_errors()},
    )
    def get(self, request: Request) -> Response:
        found = filtered(TownsFilter, request, m.CoverageTown.objects.none())
        page = int(found.form.cleaned_data.get("page") or 1)
        size = int(found.form.cleaned_data.get("page_size") or PAGE_SIZE)
        run = cov.coverage_run()
        count, rows = cov.coverage_towns(found.coverage_query(), offset=(page - 1) * size, limit=size)
        data = {
            "computed_at": run.computed_at if run else None,
            "updated_at": run.updated_at if run else None,
            "count": count,
            "page": page,
            "page_size": size,
            "results": rows,
        }
        return Response(TownPageSerializer(data).data)


CSV_COLUMNS = ("geonameid", "name", "name_ru", "country", "region", "population", "distance_km", "band", "remote")


class CoverageCsvView(APIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = CoverageFilter
    queryset = m.CoverageTown.objects.none()

    @extend_schema(
        summary="Where help is missing: every town as CSV",
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(description="One row per town"), **public_errors()},
    )
    def get(self, request: Request) -> HttpResponse:
        found = filtered(CoverageFilter, request, m.CoverageTown.objects.none())
        run = cov.coverage_run()
        _, rows = cov.coverage_towns(found.coverage_query())
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="coverage.csv"'
        if run:
            response["X-Coverage-Computed-At"] = run.computed_at.isoformat()
            response["X-Coverage-Updated-At"] = run.updated_at.isoformat()
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for t in rows:
            writer.writerow(
                [
                    t.geonameid,
                    t.name,
                    t.name_ru,
                    t.country,
                    t.region,
                    t.population,
                    "" if t.distance_km is None else t.distance_km,
                    t.band,
                    "yes" if t.remote else "no",
                ]
            )
        return response

"""django-filter FilterSets of the public list endpoints: which query
parameters filter a list, how each one is checked, and what the OpenAPI schema
says of it.

A bad value answers 400 with a JSON body naming the parameter (DRF's
ValidationError from the FilterSet's form errors, as DjangoFilterBackend does).
Each filter is documented by the DRF field it carries (``documented``):
drf-spectacular reads the filter's type only, and the schema kept each
parameter's pattern and length limits before the FilterSets came.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from api import serializers as s
from orgs import models as m
from orgs.search import text
from orgs.selectors import category_descendant_ids

F = Any  # a django-filter Filter (the package ships no type hints)

MAX_PLACE_NAME = 100
MAX_TEXT_QUERY = 200
MAX_PAGE = 10_000


def documented(filter_: F, schema: dict[str, Any] | serializers.Field) -> F:
    """The filter, documented in the schema by this JSON schema (or DRF field)."""
    return extend_schema_field(schema)(filter_)


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "minLength": 1}


def _pattern(pattern: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "minLength": 1}


COUNTRY_PATTERN = r"^[A-Za-z]{2}$"


class SlugFilter(django_filters.CharFilter):
    field_class = forms.SlugField


class CountryFilter(django_filters.CharFilter):
    field_class = forms.RegexField


class PageFilter(django_filters.NumberFilter):
    """The page number: read by the view, no filter of its own."""

    field_class = forms.IntegerField

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs


def _empty_value_errors(filterset: django_filters.FilterSet) -> None:
    """An empty value (``?k=``) is an error here: a form reads it as "not
    given", the way an HTML form sends an empty field, which would silently
    search without the filter the client meant."""
    form = filterset.form
    for name, values in filterset.data.lists():
        if name in form.fields and "" in values and name not in form.errors:
            form.add_error(name, str(s.EMPTY_VALUE))


def filtered(filterset_class: type[django_filters.FilterSet], request: Request, queryset: QuerySet[Any]) -> Any:
    """The valid FilterSet of the request's query, or a 400 naming each bad parameter."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    filterset.form.errors  # noqa: B018 - validates the form, so that errors can be added to it
    _empty_value_errors(filterset)
    if not filterset.is_valid():
        raise django_filters.utils.translate_validation(filterset.errors)
    return filterset


class OrganisationFilter(django_filters.FilterSet):
    """``GET /api/v1/organisations``. The filters apply in this order (the
    joins and so the SQL are those of the hand-written selector they replace)."""

    network = documented(SlugFilter(method="filter_network"), _pattern(s.SLUG_PATTERN))
    category = documented(SlugFilter(method="filter_category"), _pattern(s.SLUG_PATTERN))
    target = documented(SlugFilter(field_name="services__target_groups__slug"), _pattern(s.SLUG_PATTERN))
    city = documented(
        django_filters.CharFilter(field_name="locations__city", lookup_expr="iexact", max_length=MAX_PLACE_NAME),
        _text(MAX_PLACE_NAME),
    )
    region = documented(
        django_filters.CharFilter(field_name="locations__region", lookup_expr="iexact", max_length=MAX_PLACE_NAME),
        _text(MAX_PLACE_NAME),
    )
    country = documented(CountryFilter(method="filter_country", regex=COUNTRY_PATTERN), _pattern(COUNTRY_PATTERN))
    q = documented(
        django_filters.CharFilter(method="filter_text", max_length=MAX_TEXT_QUERY),
        _text(MAX_TEXT_QUERY),
    )
    page = documented(
        PageFilter(min_value=1, max_value=MAX_PAGE),
        serializers.IntegerField(
            required=False,
            default=1,
            min_value=1,
            max_value=MAX_PAGE,
            help_text="100 per page, by name; 1 is the first.",
        ),
    )

    class Meta:
        model = m.Organisation
        fields: list[str] = []

    def filter_network(self, qs: QuerySet[m.Organisation], name: str, value: str) -> QuerySet[m.Organisation]:
        return qs.filter(memberships__network__slug=value, memberships__status=m.MembershipStatus.ACTIVE)

    def filter_category(self, qs: QuerySet[m.Organisation], name: str, value: str) -> QuerySet[m.Organisation]:
        ids = m.Category.objects.filter(slug=value).values_list("pk", flat=True)
        return qs.filter(services__categories__in=category_descendant_ids(ids))

    def filter_country(self, qs: QuerySet[m.Organisation], name: str, value: str) -> QuerySet[m.Organisation]:
        return qs.filter(country=value.upper())

    def filter_text(self, qs: QuerySet[m.Organisation], name: str, value: str) -> QuerySet[m.Organisation]:
        return text.organisations_matching_text(qs, value)

    @property
    def page_number(self) -> int:
        return int(self.form.cleaned_data.get("page") or 1)

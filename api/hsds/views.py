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

from django import forms
from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters import FilterSet
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orgs.hsds import filters as hf
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
NO_SUCH = _("No published {what} with this id.")
UNSUPPORTED = {
    "minimal": _("Use per_page and the list's one-to-one fields instead."),
    "postcode": _("There are no postcodes here: use proximity with lat and lon, or with place."),
    "full_service": _("HSDS organizations have no services array; list /services?organization_id=… instead."),
}


class PageQuery(serializers.Serializer):
    """The page and the shape of the answer; what is listed is the list's
    FilterSet (``orgs.hsds.filters``)."""

    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=1_000_000)
    per_page = serializers.IntegerField(required=False, default=DEFAULT_PER_PAGE, min_value=1, max_value=MAX_PER_PAGE)
    format = serializers.ChoiceField(choices=["json", "ndjson"], required=False, default="json")
    full = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = self.initial_data
        for param, hint in UNSUPPORTED.items():
            if param in raw:
                raise serializers.ValidationError({param: [str(NOT_SUPPORTED).format(param=param, hint=hint)]})
        return attrs


def _page_query(request: Request) -> PageQuery:
    query = PageQuery(data=request.query_params)
    query.is_valid()
    return query


def _checked(query: PageQuery, form: forms.Form) -> dict[str, Any]:
    """The page parameters, once they and the filters' form are right: else
    one 400 naming every wrong parameter (the form's errors as DRF's)."""
    errors: dict[str, Any] = dict(query.errors)
    if not form.is_valid():
        errors.update(translate_validation(form.errors).detail)
    if errors:
        raise serializers.ValidationError(errors)
    return dict(query.validated_data)


def _filtered(filters: FilterSet) -> QuerySet[Any]:
    try:
        return filters.qs
    except hf.UnknownTerm:
        raise serializers.ValidationError({"taxonomy_term_id": [UNKNOWN_TERM]}) from None


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
    d: dict[str, Any], qs: QuerySet[Any] | _ListOfDicts, to_hsds: Callable[[Any], dict[str, Any]]
) -> Response | StreamingHttpResponse:
    if d["format"] == "ndjson":
        return StreamingHttpResponse(_ndjson(qs, to_hsds), content_type="application/x-ndjson")
    page, per_page = d["page"], d["per_page"]
    total = qs.count()
    start = (page - 1) * per_page
    items = [to_hsds(obj) for obj in qs[start : start + per_page]] if start < total else []
    return Response(page_of(items, total=total, page=page, per_page=per_page))


def _ndjson(qs: QuerySet[Any] | _ListOfDicts, to_hsds: Callable[[Any], dict[str, Any]]) -> Iterator[bytes]:
    """Everything, one JSON object a line, read in chunks so memory and the
    number of queries per chunk stay bounded. The lists are ordered by uuid,
    so a chunk starts after the last uuid of the one before (an index range)
    rather than at an OFFSET, which re-reads every row before it: at a
    million services the export would slow to a crawl towards its end."""
    by_uuid = isinstance(qs, QuerySet) and tuple(qs.query.order_by) == ("uuid",)
    offset, last = 0, None
    while True:
        if by_uuid and isinstance(qs, QuerySet):
            chunk = list((qs if last is None else qs.filter(uuid__gt=last))[:STREAM_CHUNK])
        else:  # the vocabularies (a list) and a list ordered by distance from a point
            chunk = list(qs[offset : offset + STREAM_CHUNK])
        for obj in chunk:
            yield json.dumps(to_hsds(obj), ensure_ascii=False).encode() + b"\n"
        if len(chunk) < STREAM_CHUNK:
            return
        offset, last = offset + STREAM_CHUNK, getattr(chunk[-1], "uuid", None)


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
        query = _page_query(request)
        filters = hf.ServiceFilter(request.query_params, queryset=hs.services(full=query.validated_data.get("full")))
        d = _checked(query, filters.form)
        qs = _filtered(filters)
        voc = ser.Vocabulary.load()
        return _paged(d, qs, lambda s: ser.service(s, voc, full=d["full"]))


@extend_schema(exclude=True)
class ServiceDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        svc = _one(hs.services(full=True), id, "service")
        return Response(ser.service(svc, ser.Vocabulary.load(), full=True))  # type: ignore[arg-type]


@extend_schema(exclude=True)
class OrganizationListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = _page_query(request)
        orgs = hs.organisations(full=bool(query.validated_data.get("full")))
        filters = hf.OrganisationFilter(request.query_params, queryset=orgs)
        d = _checked(query, filters.form)
        qs = _filtered(filters)
        voc = ser.Vocabulary.load()
        return _paged(d, qs, lambda o: ser.organization(o, voc, full=d["full"]))


@extend_schema(exclude=True)
class OrganizationDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        org = _one(hs.organisations(full=True), id, "organization")
        return Response(ser.organization(org, ser.Vocabulary.load(), full=True))  # type: ignore[arg-type]


@extend_schema(exclude=True)
class ServiceAtLocationListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        query = _page_query(request)
        links = hs.service_at_locations(full=bool(query.validated_data.get("full")))
        filters = hf.ServiceAtLocationFilter(request.query_params, queryset=links)
        d = _checked(query, filters.form)
        qs = _filtered(filters)
        voc = ser.Vocabulary.load()
        return _paged(d, qs, lambda link: ser.service_at_location(link, voc, full=d["full"]))


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


@extend_schema(exclude=True)
class TaxonomyListView(HSDSView):
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        form = hf.vocabulary_form(hf.HSDSFilter, request.query_params)
        d = _checked(_page_query(request), form)
        items = hf.vocabulary_search([t.as_hsds() for t in vocab.TAXONOMIES], form.cleaned_data["search"])
        return _paged(d, _ListOfDicts(items), lambda t: t)


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
        form = hf.vocabulary_form(hf.TermFilter, request.query_params)
        d = _checked(_page_query(request), form)
        terms = hf.terms_matching(ser.Vocabulary.load().terms(), form.cleaned_data)
        return _paged(d, _ListOfDicts(terms), lambda t: t)


@extend_schema(exclude=True)
class TaxonomyTermDetailView(HSDSView):
    def get(self, request: Request, id: str) -> Response:
        for term in ser.Vocabulary.load().terms():
            if term["id"] == id:
                return Response(term)
        raise NotFound(str(NO_SUCH).format(what="taxonomy term"))

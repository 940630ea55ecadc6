"""The filters of the HSDS lists as django-filter FilterSets: ``search``,
``organization_id``, ``taxonomy_term_id``, ``taxonomy_id`` and
``modified_after`` on every list, ``proximity`` from a centre on services at
locations, ``parent_id`` and ``top_only`` on taxonomy terms.

Each FilterSet's form checks the parameters (the API answers its errors as a
400 naming each parameter); its ``qs`` filters a queryset of
``orgs.hsds.selectors``. A taxonomy term id that names nothing here raises
``UnknownTerm`` while filtering, as only the database knows the terms.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.contrib.gis.db.models.functions import GeometryDistance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from orgs import gazetteer, selectors
from orgs import models as m
from orgs.hsds import vocab

SEARCH_MAX_LENGTH = 200
SEARCH_MAX_WORDS = 8

PROXIMITY_NEEDS_CENTRE = _("Give the centre with lat and lon, or with place (a town), together with proximity.")
UNKNOWN_PLACE = _("No town or city called “{q}” is known. Check the spelling or give lat and lon.")
NOT_A_BOOLEAN = _("Must be a valid boolean.")


class UnknownTerm(ValueError):
    """A taxonomy term or taxonomy id this directory does not have."""


class ModifiedAfterField(IsoDateTimeField):
    """A datetime (RFC 3339) or a date (taken as its start, UTC)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            value = f"{value}T00:00:00Z"
        return super().to_python(value)


class ModifiedAfterFilter(df.IsoDateTimeFilter):
    field_class = ModifiedAfterField


class StrictBooleanField(forms.NullBooleanField):
    """true or false (also 1 or 0): anything else is an error, where Django's
    NullBooleanField would read it as "not given" and filter nothing."""

    widget = forms.TextInput  # NullBooleanSelect turns an unknown value into None before it is checked

    def to_python(self, value: Any) -> Any:  # True, False or None (not given)
        result = super().to_python(value)
        if result is None and value not in self.empty_values:
            raise forms.ValidationError(NOT_A_BOOLEAN, code="invalid")
        return result


class StrictBooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


def search_words(text: str) -> list[str]:
    """The words of a search, each a condition of its own: the first eight."""
    return [w for w in text.lower().replace("ё", "е").split() if w][:SEARCH_MAX_WORDS]


def term_condition(term_id: str, p: str = "") -> Q:
    """Services (reached by the prefix ``p``) with this taxonomy term: a
    category or one below it, a target group, or an active membership of a
    coalition."""
    category = m.Category.objects.filter(uuid=term_id).first()
    if category is not None:
        below = selectors.category_descendant_ids([category.pk])
        ids = m.Service.categories.through.objects.filter(category_id__in=below).values("service_id")
        return Q(**{f"{p}pk__in": ids})
    group = m.TargetGroup.objects.filter(uuid=term_id).first()
    if group is not None:
        return Q(**{f"{p}target_groups": group})
    for network in m.Network.objects.all():
        if vocab.coalition_term_id(network.slug) == term_id:
            member = m.Membership.objects.filter(
                organisation=OuterRef(f"{p}organisation"), network=network, status=m.MembershipStatus.ACTIVE
            )
            return Q(Exists(member))
    raise UnknownTerm(term_id)


def taxonomy_condition(taxonomy_id: str, p: str = "") -> Q:
    """Services (reached by the prefix ``p``) with a term of this taxonomy."""
    if taxonomy_id == vocab.CATEGORIES.id:
        return Q(**{f"{p}categories__isnull": False})
    if taxonomy_id == vocab.TARGET_GROUPS.id:
        return Q(**{f"{p}target_groups__isnull": False})
    if taxonomy_id == vocab.COALITIONS.id:
        member = m.Membership.objects.filter(organisation=OuterRef(f"{p}organisation"), status="active")
        return Q(Exists(member))
    if taxonomy_id == vocab.PROJECT.id:
        return Q()
    raise UnknownTerm(taxonomy_id)


class HSDSFilter(df.FilterSet):
    """The parameters every HSDS list takes, checked by its form; each list's
    FilterSet says what they filter. Here they filter nothing: the
    vocabularies (taxonomies, terms) are not querysets, and their views use
    the form alone, so a parameter they have no use for is checked and ignored."""

    search = df.CharFilter(method="filter_search", max_length=SEARCH_MAX_LENGTH)
    organization_id = df.UUIDFilter(method="filter_organization")
    taxonomy_term_id = df.UUIDFilter(method="filter_term")
    taxonomy_id = df.UUIDFilter(method="filter_taxonomy")
    modified_after = ModifiedAfterFilter(method="filter_modified_after")

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset

    def filter_organization(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def filter_term(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def filter_taxonomy(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def filter_modified_after(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset


class ServiceFilter(HSDSFilter):
    """/services; ``prefix`` reaches the service from the model filtered."""

    prefix = ""

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        p = self.prefix
        for word in search_words(value):
            queryset = queryset.filter(
                Q(**{f"{p}name__icontains": word})
                | Q(**{f"{p}description__icontains": word})
                | Q(**{f"{p}organisation__search_document__contains": word})
            )
        return queryset

    def filter_organization(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.prefix}organisation__uuid": value})

    def filter_term(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(term_condition(str(value), self.prefix))

    def filter_taxonomy(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(taxonomy_condition(str(value), self.prefix))

    def filter_modified_after(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.prefix}updated_at__gte": value})


class OrganisationFilter(HSDSFilter):
    """/organizations: a taxonomy term or taxonomy selects the organisations
    with a service that has it (both on the same service when both are given)."""

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        for word in search_words(value):
            queryset = queryset.filter(Q(name__icontains=word) | Q(search_document__contains=word))
        return queryset

    def filter_organization(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(uuid=value)

    def filter_term(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return self._with_services(queryset)

    def filter_taxonomy(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        if self.form.cleaned_data.get("taxonomy_term_id") is not None:
            return queryset  # filter_term has applied both, to the same service
        return self._with_services(queryset)

    def _with_services(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        term, taxonomy = (self.form.cleaned_data.get(k) for k in ("taxonomy_term_id", "taxonomy_id"))
        services = m.Service.objects.all()
        if term is not None:
            services = services.filter(term_condition(str(term)))
        if taxonomy is not None:
            services = services.filter(taxonomy_condition(str(taxonomy)))
        return queryset.filter(pk__in=services.values("organisation_id"))

    def filter_modified_after(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(updated_at__gte=value)


class FloatFilter(df.Filter):
    field_class = forms.FloatField  # finite numbers only (NumberFilter's is a decimal)


class CentreForm(forms.Form):
    """Checks the centre of a proximity search as a whole: ``lat`` and
    ``lon``, or a town in ``place`` (the directory has no postcodes), and
    ``proximity`` only with one of them. Sets ``centre``."""

    centre: Point | None = None

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if self.errors:
            return d  # the combinations are checked once each value is right
        has_lat, has_lon = d.get("lat") is not None, d.get("lon") is not None
        if has_lat != has_lon:
            self.add_error("lat" if not has_lat else "lon", _("Give both lat and lon."))
        elif has_lat and d.get("place"):
            self.add_error("place", _("Give either lat and lon or place, not both."))
        elif d.get("proximity") is not None and not has_lat and not d.get("place"):
            self.add_error("proximity", PROXIMITY_NEEDS_CENTRE)
        elif d.get("place"):
            place, _alternatives = gazetteer.place_resolve(q=d["place"])
            if place is None:
                self.add_error("place", str(UNKNOWN_PLACE).format(q=d["place"]))
            else:
                self.centre = Point(place.point.x, place.point.y, srid=4326)
        elif has_lat:
            self.centre = Point(d["lon"], d["lat"], srid=4326)
        return d


class ServiceAtLocationFilter(ServiceFilter):
    """/service_at_locations: the service filters through the link, a change
    to the service or the location counts as modified, and with a centre the
    links come nearest first by the locations' public positions, within
    ``proximity`` metres when it is given."""

    prefix = "service__"

    proximity = FloatFilter(method="filter_centre", min_value=1, max_value=20_000_000)
    lat = FloatFilter(method="filter_centre", min_value=-90, max_value=90)
    lon = FloatFilter(method="filter_centre", min_value=-180, max_value=180)
    place = df.CharFilter(method="filter_centre", max_length=100)

    class Meta:
        form = CentreForm

    def filter_modified_after(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(Q(service__updated_at__gte=value) | Q(location__updated_at__gte=value))

    def filter_centre(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset  # four parameters, one centre: applied once, last, by filter_queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().filter_queryset(queryset)
        centre = self.form.centre
        if centre is None:
            return qs
        qs = qs.filter(location__public_point__isnull=False)
        within_m = self.form.cleaned_data.get("proximity")
        if within_m is not None:
            qs = qs.filter(location__public_point__dwithin=(centre, D(m=within_m)))
        # KNN order on the public point (the GiST index serves it), then id for ties.
        return qs.order_by(GeometryDistance("location__public_point", centre), "uuid")


class TermFilter(HSDSFilter):
    """/taxonomy_terms: the terms are a list built in memory (the vocabulary),
    so only this FilterSet's form is used, and ``terms_matching`` filters the list."""

    parent_id = df.UUIDFilter(method="filter_in_memory")
    top_only = StrictBooleanFilter(method="filter_in_memory")

    def filter_in_memory(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset


def vocabulary_form(filterset: type[HSDSFilter], data: Any) -> forms.Form:
    """The form of a FilterSet, for a list that is not a queryset (a
    FilterSet needs one: it is given an empty one it never filters)."""
    form: forms.Form = filterset(data, queryset=m.Category.objects.none()).form
    return form


def terms_matching(items: list[dict[str, Any]], d: dict[str, Any]) -> list[dict[str, Any]]:
    """The HSDS taxonomy terms that pass the cleaned parameters of a ``TermFilter`` form."""
    if d.get("taxonomy_id") is not None:
        items = [t for t in items if t["taxonomy_id"] == str(d["taxonomy_id"])]
    if d.get("parent_id") is not None:
        items = [t for t in items if t.get("parent_id") == str(d["parent_id"])]
    if d.get("top_only"):
        items = [t for t in items if "parent_id" not in t]
    return vocabulary_search(items, d.get("search") or "")


def vocabulary_search(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Taxonomies or terms whose name, code or description hold every word."""
    words = text.lower().replace("ё", "е").split()
    if not words:
        return items

    def hay(item: dict[str, Any]) -> str:
        return " ".join(str(item.get(k, "")) for k in ("name", "code", "description")).lower().replace("ё", "е")

    return [item for item in items if all(w in hay(item) for w in words)]

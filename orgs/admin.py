"""The admin: how coalition coordinators maintain the directory.

Maps use ``orgs.widgets.LocalMapWidget`` (OpenLayers served by this site, tiles
from ``MAP_TILES_URL``). Foreign keys to large tables (places, organisations,
locations) are autocompletes, never a ``<select>`` of every row. Models that
keep history use simple_history's admin (a "History" button with revert).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.gis.admin.options import GeoModelAdminMixin
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, Prefetch, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from orgs import gazetteer
from orgs.models import (
    ActivePeopleCentre,
    AreaKind,
    Category,
    Expert,
    Location,
    Membership,
    MembershipRole,
    Network,
    OpeningHours,
    Organisation,
    OrganisationIdentifier,
    Place,
    Recommendation,
    Service,
    ServiceAtLocation,
    ServiceFormat,
    TargetGroup,
)
from orgs.widgets import LocalMapWidget

PRESENCE_ERROR = _(
    "A published organisation needs at least one location or a service offered online or by phone. "
    "Add one, or set the organisation's status to Draft or Pending review."
)
CATEGORY_CYCLE_ERROR = _("A category cannot be placed inside itself or inside one of its own subcategories.")
AREA_FIELD_REQUIRED = _("Required for this kind of service area.")
AREA_REGION_INVALID = _("Use the GeoNames region code: country and region, e.g. RU.60 for Pskov Oblast.")


class LocalMapMixin(GeoModelAdminMixin):
    """Every geometry field (point, polygon) gets the self-hosted map widget."""

    gis_widget = LocalMapWidget


# --- the "published needs a presence" rule ------------------------------------------

# The rule spans three tables, so the database checks it with deferred constraint
# triggers (migration 0003) at commit. At commit the admin could only answer with
# a server error; checked right after the admin's own writes, inside its
# transaction, a violation can still be shown on the form.
_PRESENCE_TRIGGERS = "org_published_has_presence, location_removal_keeps_presence, service_removal_keeps_presence"
_PRESENCE_CHECK_NOW = f"SET CONSTRAINTS {_PRESENCE_TRIGGERS} IMMEDIATE"
_PRESENCE_CHECK_AT_COMMIT = f"SET CONSTRAINTS {_PRESENCE_TRIGGERS} DEFERRED"


class PresenceViolation(Exception):
    """The admin's change would leave a published organisation impossible to find."""


def check_presence_now(using: str) -> None:
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(_PRESENCE_CHECK_NOW)
            cursor.execute(_PRESENCE_CHECK_AT_COMMIT)
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != "org_published_has_presence":
            raise
        raise PresenceViolation from exc


# Requests whose save was refused by the rule; their form is shown again with the error.
_presence_refused: weakref.WeakSet[HttpRequest] = weakref.WeakSet()


class PresenceGuardMixin(admin.ModelAdmin):
    """For the admins whose writes can break the rule: Organisation, Location, Service."""

    def _db(self) -> str:
        return router.db_for_write(self.model)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        check_presence_now(self._db())

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        check_presence_now(self._db())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic(using=self._db()):
            super().delete_queryset(request, queryset)
            check_presence_now(self._db())

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        if request not in _presence_refused:
            return form_class

        class RefusedForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                super().clean()
                raise forms.ValidationError(PRESENCE_ERROR, code="published_without_presence")

        return RefusedForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PresenceViolation:
            # Everything was rolled back; validate the same POST again, this
            # time with the error on the form, so nothing the user typed is lost.
            _presence_refused.add(request)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except PresenceViolation:
            self.message_user(request, PRESENCE_ERROR, messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(object_id)],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().changelist_view(request, extra_context)
        except PresenceViolation:
            self.message_user(request, PRESENCE_ERROR, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def prefetching_changelist(*lookups: Callable[[], str | Prefetch]) -> type[ChangeList]:
    """A changelist that prefetches what its columns show. Only the list pays for
    it; in get_queryset() the change form's object would carry the prefetched
    rows, stale once its inlines are saved."""

    class PrefetchingChangeList(ChangeList):
        def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
            queryset = super().get_queryset(request, exclude_parameters)
            return queryset.prefetch_related(*(lookup() for lookup in lookups))

    return PrefetchingChangeList


# --- forms --------------------------------------------------------------------------

WEEKDAY_CHOICES = list(WEEKDAYS.items())  # 0 = Monday, as OpeningHours.weekday


class OpeningHoursForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int)

    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


# As the service_area_complete constraint and Place.region_code spell it: "RU.60".
AREA_REGION_CODE = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]+")
AREA_FIELDS: dict[str, str] = {
    AreaKind.COUNTRY: "area_country",
    AreaKind.REGION: "area_region",
    AreaKind.CITY: "area_place",
    AreaKind.RADIUS: "area_radius_km",
    AreaKind.POLYGON: "area_polygon",
}


class ServiceForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(choices=ServiceFormat.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Service
        # The fields this form handles itself; the admin adds the rest from its fieldsets.
        fields = ["formats", "area_kind", *AREA_FIELDS.values()]

    def clean(self) -> dict[str, Any]:
        # The same rule as the service_area_complete constraint, reported on the
        # field to fill in rather than as a constraint name.
        cleaned = super().clean() or {}
        field = AREA_FIELDS.get(cleaned.get("area_kind") or "")
        if field and field in self.fields and field not in self.errors and not cleaned.get(field):
            self.add_error(field, forms.ValidationError(AREA_FIELD_REQUIRED, code="area_required"))
        region = cleaned.get("area_region")
        if (
            cleaned.get("area_kind") == AreaKind.REGION
            and region
            and "area_region" not in self.errors
            and not AREA_REGION_CODE.fullmatch(region)
        ):
            self.add_error("area_region", forms.ValidationError(AREA_REGION_INVALID, code="area_region"))
        return cleaned


class NetworkForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(choices=MembershipRole.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Network
        fields = ["roles"]  # the admin adds the rest from its fieldsets


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["parent"]  # the admin adds the rest from its fields

    def clean_parent(self) -> Category | None:
        parent: Category | None = self.cleaned_data.get("parent")
        if self.instance.pk is None:
            return parent
        node, seen = parent, set()
        while node is not None and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(CATEGORY_CYCLE_ERROR, code="category_cycle")
            seen.add(node.pk)
            node = node.parent
        return parent


# --- gazetteer and taxonomy ---------------------------------------------------------


@admin.register(Place)
class PlaceAdmin(LocalMapMixin, admin.ModelAdmin):
    list_display = ["__str__", "name", "country_code", "admin1_code", "population", "timezone", "geonameid"]
    list_filter = ["country_code"]
    # search_text holds every name (Latin, Cyrillic, variants), folded as the
    # gazetteer folds them; a trigram index serves the substring search.
    search_fields = ["search_text"]
    ordering = ["-population", "name"]
    readonly_fields = ["names", "search_text"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["geonameid", "name", "name_ru", "country_code", "admin1_code", "population", "timezone"]}),
        (_("Position"), {"fields": ["point"]}),
        (
            _("Search names"),
            {
                "fields": ["names", "search_text"],
                "description": _("Derived from the names above when saved; GeoNames' other spellings are kept."),
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Place | None = None) -> list[str]:
        # The GeoNames id is the primary key: changing it would copy the place.
        return [*self.readonly_fields, "geonameid"] if obj is not None else list(self.readonly_fields)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return super().get_search_results(request, queryset, gazetteer.normalise(search_term))

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: Any) -> None:
        obj.names = gazetteer.place_names(name=obj.name, alternatenames=obj.names, name_ru=obj.name_ru)
        obj.search_text = gazetteer.NAMES_SEPARATOR.join(obj.names)
        super().save_model(request, obj, form, change)


# A category's path from its root, e.g. "00000support 00003lawyer": ordering by it
# lists every category right under its parent. Spaces never occur in slugs and
# sort before every slug character under the "C" collation. The depth limit
# stops a cycle (which the admin form refuses) from recursing for ever.
_CATEGORY_TREE_PATH = f"""
(WITH RECURSIVE up(parent_id, path, depth) AS (
    SELECT c.parent_id, lpad(c.position::text, 5, '0') || c.slug, 0
    FROM {Category._meta.db_table} c WHERE c.id = {Category._meta.db_table}.id
  UNION ALL
    SELECT p.parent_id, lpad(p.position::text, 5, '0') || p.slug || ' ' || up.path, up.depth + 1
    FROM {Category._meta.db_table} p JOIN up ON p.id = up.parent_id
    WHERE up.depth < 32
)
SELECT path FROM up ORDER BY depth DESC LIMIT 1) COLLATE "C"
"""  # noqa: S608 - no user input: table names from the model


def _tree_path() -> RawSQL:
    return RawSQL(_CATEGORY_TREE_PATH, (), output_field=TextField())  # noqa: S611 - constant SQL, no parameters


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["tree_name", "slug", "name_en", "position", "service_count"]
    list_filter = [("parent", admin.EmptyFieldListFilter), "parent"]
    search_fields = ["name_ru", "name_en", "name_uk", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    # An expression, not the annotation's name: other admins' category filters
    # and autocompletes order their choices by this too, on a plain queryset.
    ordering = [_tree_path().asc()]
    fields = ["parent", "name_ru", "name_en", "name_uk", "slug", "position", "description", "source", "uuid"]
    readonly_fields = ["uuid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(tree_path=_tree_path(), service_total=Count("services"))

    @admin.display(description=_("category"), ordering="tree_path")
    def tree_name(self, obj: Category) -> str:
        depth = getattr(obj, "tree_path", "").count(" ")
        return format_html("{}{}", "\u2003" * depth + ("└ " if depth else ""), obj.name_ru)

    @admin.display(description=_("services"), ordering="service_total")
    def service_count(self, obj: Category) -> int:
        return getattr(obj, "service_total", 0)


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "slug", "name_en", "position"]
    search_fields = ["name_ru", "name_en", "name_uk", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["uuid"]


# --- organisations ------------------------------------------------------------------


class LocationInline(LocalMapMixin, admin.StackedInline):
    model = Location
    extra = 0
    show_change_link = True
    autocomplete_fields = ["place"]
    fields = [
        ("name", "kind"),
        "point",
        "visibility",
        ("address", "city"),
        ("region", "country"),
        ("place", "timezone"),
        "phone",
    ]


class ServiceInline(LocalMapMixin, admin.StackedInline):
    model = Service
    form = ServiceForm
    extra = 0
    show_change_link = True
    autocomplete_fields = ["categories", "target_groups", "area_place"]
    fieldsets = [
        (None, {"fields": ["name", "categories", "target_groups", ("formats", "is_free")]}),
        (
            _("Service area"),
            {"fields": ["area_kind", ("area_country", "area_region"), ("area_place", "area_radius_km")]},
        ),
        # Rarely used, and a map per service would make the page very long.
        (_("Drawn area"), {"fields": ["area_polygon"], "classes": ["collapse"]}),
    ]


class IdentifierInline(admin.TabularInline):
    model = OrganisationIdentifier
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    show_change_link = True
    autocomplete_fields = ["network"]
    fields = ["network", "role", "status", "since", "until"]


@admin.register(Organisation)
class OrganisationAdmin(PresenceGuardMixin, SimpleHistoryAdmin):
    list_display = ["name", "legal_form", "status", "cities", "networks", "ogrn", "inn", "last_verified_at"]
    list_filter = [
        "status",
        "legal_form",
        "country",
        ("memberships__network", admin.RelatedOnlyFieldListFilter),
        ("services__categories", admin.RelatedOnlyFieldListFilter),
        "last_verified_at",
    ]
    search_fields = ["name", "slug", "^ogrn", "^inn", "identifiers__identifier", "locations__city"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["uuid", "created_at", "updated_at"]
    inlines = [LocationInline, ServiceInline, IdentifierInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", ("legal_form", "country"), "status"]}),
        (_("Registration"), {"fields": [("ogrn", "inn")]}),
        (_("Description"), {"fields": ["description", "description_en", "description_uk"]}),
        (_("Contacts"), {"fields": ["website", "email", "social_links", "logo"]}),
        (_("Verification"), {"fields": ["last_verified_at", "source", ("uuid", "created_at", "updated_at")]}),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return prefetching_changelist(
            lambda: Prefetch("locations", queryset=Location.objects.only("id", "organisation_id", "city")),
            lambda: Prefetch("memberships", queryset=Membership.objects.select_related("network")),
        )

    @admin.display(description=_("cities"))
    def cities(self, obj: Organisation) -> str:
        return ", ".join(sorted({loc.city for loc in obj.locations.all() if loc.city}))

    @admin.display(description=_("networks"))
    def networks(self, obj: Organisation) -> str:
        return ", ".join(f"{ms.network.name} ({ms.get_role_display()})" for ms in obj.memberships.all())


@admin.register(OrganisationIdentifier)
class OrganisationIdentifierAdmin(admin.ModelAdmin):
    list_display = ["identifier", "scheme", "country", "organisation"]
    list_filter = ["scheme", "country"]
    list_select_related = ["organisation"]
    search_fields = ["identifier", "scheme", "organisation__name", "organisation__slug"]
    autocomplete_fields = ["organisation"]


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    form = OpeningHoursForm
    extra = 0


class ServiceAtLocationInline(admin.TabularInline):
    model = ServiceAtLocation
    extra = 0


class ServicesHereInline(ServiceAtLocationInline):
    autocomplete_fields = ["service"]
    verbose_name = _("service offered here")
    verbose_name_plural = _("services offered here")


class ServiceLocationsInline(ServiceAtLocationInline):
    autocomplete_fields = ["location"]
    verbose_name = _("location where it is offered")
    verbose_name_plural = _("locations where it is offered")


@admin.register(Location)
class LocationAdmin(PresenceGuardMixin, LocalMapMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "organisation", "kind", "visibility", "city", "region", "country", "updated_at"]
    list_filter = [
        "kind",
        "visibility",
        "country",
        "organisation__status",
        ("organisation__memberships__network", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organisation"]
    search_fields = ["name", "address", "city", "region", "organisation__name", "organisation__slug"]
    autocomplete_fields = ["organisation", "place"]
    readonly_fields = ["public_position", "uuid", "created_at", "updated_at"]
    inlines = [OpeningHoursInline, ServicesHereInline]
    fieldsets = [
        (None, {"fields": ["organisation", "name", "kind"]}),
        (
            _("Position"),
            {
                "fields": ["point", "visibility", "public_position", "place"],
                "description": _(
                    "The point is where help is really given; the public sees the public point, "
                    "derived from the point and the visibility when the location is saved."
                ),
            },
        ),
        (_("Address"), {"fields": ["address", ("city", "region"), ("country", "timezone")]}),
        (
            _("Details"),
            {"fields": ["accessibility", "languages", "phone", "source", ("uuid", "created_at", "updated_at")]},
        ),
    ]

    @admin.display(description=_("public point"))
    def public_position(self, obj: Location) -> str:
        point = obj.public_point
        if point is None:
            return "—"
        return f"{point.y:.5f}, {point.x:.5f} ({_('latitude, longitude')})"


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    form = OpeningHoursForm
    list_display = ["location", "day", "opens", "closes"]
    list_filter = ["weekday"]
    list_select_related = ["location"]
    search_fields = ["location__name", "location__city", "location__organisation__name"]
    autocomplete_fields = ["location"]
    fields = ["location", "weekday", "opens", "closes"]

    @admin.display(description=_("weekday"), ordering="weekday")
    def day(self, obj: OpeningHours) -> str:
        return str(WEEKDAYS.get(obj.weekday, obj.weekday))


@admin.register(Service)
class ServiceAdmin(PresenceGuardMixin, LocalMapMixin, SimpleHistoryAdmin):
    form = ServiceForm
    list_display = ["name", "organisation", "format_list", "is_free", "area_kind", "category_list"]
    list_filter = [
        "categories",
        "target_groups",
        "is_free",
        "area_kind",
        "organisation__status",
    ]
    list_select_related = ["organisation"]
    search_fields = ["name", "organisation__name", "organisation__slug"]
    autocomplete_fields = ["organisation", "categories", "target_groups", "area_place"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    inlines = [ServiceLocationsInline]
    fieldsets = [
        (None, {"fields": ["organisation", "name", "categories", "target_groups"]}),
        (_("Description"), {"fields": ["description", "description_en", "description_uk"]}),
        (
            _("How and for whom"),
            {"fields": ["formats", "is_free", ("min_age", "max_age"), "eligibility", "languages"]},
        ),
        (_("Contacts"), {"fields": ["phone", "email", "url"]}),
        (
            _("Service area"),
            {
                "fields": [
                    "area_kind",
                    ("area_country", "area_region"),
                    ("area_place", "area_radius_km"),
                    "area_polygon",
                ]
            },
        ),
        (_("Record"), {"fields": ["source", ("uuid", "created_at", "updated_at")]}),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return prefetching_changelist(lambda: "categories")

    @admin.display(description=_("formats"))
    def format_list(self, obj: Service) -> str:
        labels = dict(ServiceFormat.choices)
        return ", ".join(str(labels.get(f, f)) for f in obj.formats)

    @admin.display(description=_("categories"))
    def category_list(self, obj: Service) -> str:
        return ", ".join(c.name_ru for c in obj.categories.all())


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(admin.ModelAdmin):
    list_display = ["service", "location", "organisation"]
    list_select_related = ["service__organisation", "location"]
    list_filter = ["service__organisation__status"]
    search_fields = ["service__name", "location__name", "location__city", "service__organisation__name"]
    autocomplete_fields = ["service", "location"]

    @admin.display(description=_("organisation"), ordering="service__organisation__name")
    def organisation(self, obj: ServiceAtLocation) -> Organisation:
        return obj.service.organisation


# --- coalitions ---------------------------------------------------------------------


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    form = NetworkForm
    list_display = ["name", "slug", "role_list", "min_recommendations", "candidate_term_days", "members"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "name_en", "slug", "description", "website", "countries"]}),
        (
            _("Admission rules"),
            {"fields": ["roles", "min_recommendations", "candidate_term_days", "auto_match_experts"]},
        ),
        (_("Record"), {"fields": ["source", ("created_at", "updated_at")]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Network]:
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("roles"))
    def role_list(self, obj: Network) -> str:
        labels = dict(MembershipRole.choices)
        return ", ".join(str(labels.get(r, r)) for r in obj.roles)

    @admin.display(description=_("memberships"), ordering="member_total")
    def members(self, obj: Network) -> str:
        url = reverse("admin:orgs_membership_changelist") + f"?network__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, getattr(obj, "member_total", 0))


class RecommendationInline(admin.TabularInline):
    model = Recommendation
    fk_name = "membership"
    extra = 0
    autocomplete_fields = ["recommender"]
    readonly_fields = ["created_at"]
    fields = ["recommender", "text", "created_at"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["organisation", "network", "role", "status", "since", "until", "recommendation_count"]
    list_filter = ["network", "role", "status"]
    list_select_related = ["organisation", "network"]
    search_fields = ["organisation__name", "organisation__slug", "network__name", "network__slug"]
    autocomplete_fields = ["organisation", "network"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RecommendationInline]
    fields = ["organisation", "network", ("role", "status"), ("since", "until"), "note", "source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).annotate(recommendation_total=Count("recommendations"))

    @admin.display(description=_("recommendations"), ordering="recommendation_total")
    def recommendation_count(self, obj: Membership) -> int:
        return getattr(obj, "recommendation_total", 0)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["membership", "recommender", "created_at"]
    list_filter = ["membership__network"]
    list_select_related = ["membership__organisation", "membership__network", "recommender"]
    search_fields = ["recommender__name", "membership__organisation__name", "membership__network__name"]
    autocomplete_fields = ["membership", "recommender"]
    readonly_fields = ["created_at"]


# --- Active People Centres and experts ------------------------------------------------


@admin.register(ActivePeopleCentre)
class ActivePeopleCentreAdmin(LocalMapMixin, SimpleHistoryAdmin):
    list_display = ["name", "host", "radius_m", "updated_at"]
    list_select_related = ["host"]
    list_filter = ["helps_with"]
    search_fields = ["name", "slug", "host__name", "host__slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["host", "helps_with"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["host", "name", "slug", "description", "helps_with"]}),
        (
            _("Territory"),
            {
                "fields": ["territory", "centre", "radius_m"],
                "description": _("Draw the territory, or set a centre and a radius in metres."),
            },
        ),
        (_("Record"), {"fields": ["source", ("created_at", "updated_at")]}),
    ]


@admin.register(Expert)
class ExpertAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "organisation", "place", "topic_list", "on_camera", "paused"]
    list_filter = [
        "paused",
        "on_camera",
        "topics",
        ("organisation__memberships__network", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organisation", "place"]
    search_fields = ["full_name", "email", "organisation__name", "organisation__slug"]
    autocomplete_fields = ["organisation", "user", "place", "topics"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "full_name", "user", "topics", "languages", "place"]}),
        (_("Availability"), {"fields": ["on_camera", "paused"]}),
        (
            _("Private contacts"),
            {
                "fields": ["email", "phone", "share_email", "share_phone"],
                "description": _(
                    "Never in a public page, API response or export; staff see them here. "
                    "The share flags say which contact the expert agrees to give a journalist."
                ),
            },
        ),
        (_("Record"), {"fields": [("created_at", "updated_at")]}),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return prefetching_changelist(lambda: "topics")

    @admin.display(description=_("topics"))
    def topic_list(self, obj: Expert) -> str:
        return format_html_join(", ", "{}", ((t.name_ru,) for t in obj.topics.all()))


# The HSDS upload view (/admin/hsds-import/) adds itself to the admin site;
# admin_outbox registers the outgoing-mail table (orgs/outbox.py), read-only.
from orgs import admin_hsds, admin_outbox  # noqa: E402, F401

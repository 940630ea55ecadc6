"""Organisations, their identifiers, places, opening hours and services.

Deletes run inside ``search_index.deferred()`` (in the presence guard):
deleting an organisation rewrites its search rows once, not once per
location and service the cascade removes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from orgs.admin.common import LocalMapMixin, PresenceGuardMixin, prefetching_changelist
from orgs.admin.forms import OpeningHoursForm, ServiceForm
from orgs.models import (
    Location,
    Membership,
    OpeningHours,
    Organisation,
    OrganisationIdentifier,
    Service,
    ServiceAtLocation,
    ServiceFormat,
)


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

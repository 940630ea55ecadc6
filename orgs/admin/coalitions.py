"""Coalitions (networks) with their admission rules, coordinators (shown,
appointed on the coordinators page), memberships and recommendations, and
Active People Centres with their territory.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from orgs.admin.common import LocalMapMixin
from orgs.admin.forms import NetworkForm
from orgs.models import (
    ActivePeopleCentre,
    Membership,
    MembershipRole,
    Network,
    NetworkCoordinator,
    Recommendation,
)


class NetworkCoordinatorInline(admin.TabularInline):
    """Read-only on purpose: an appointment goes through
    ``services.coordinator_appoint`` (a site moderator only, an existing
    account, the person e-mailed). An editable inline is saved after the
    coalition's own form, where a refusal could no longer be shown on its
    field, and it would appoint without telling anyone; the page does it all."""

    model = NetworkCoordinator
    extra = 0
    can_delete = False
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    verbose_name_plural = _("coordinators (appoint and remove them on the coordinators page)")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    form = NetworkForm
    list_display = ["name", "slug", "role_list", "min_recommendations", "candidate_term_days", "members"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["created_at", "updated_at", "coordinators_page"]
    inlines = [NetworkCoordinatorInline]
    fieldsets = [
        (None, {"fields": ["name", "name_en", "slug", "description", "website", "countries"]}),
        (_("Coordinators"), {"fields": ["coordinators_page"]}),
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

    @admin.display(description=_("coordinators"))
    def coordinators_page(self, obj: Network) -> str:
        url = reverse("frontend:partner:coordinators")
        if obj.pk:
            url += f"#network-{obj.slug}"
        return format_html(
            '<a href="{}">{}</a>', url, _("Appoint or remove coordinators on the coordinators page (they are e-mailed)")
        )

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


# --- Active People Centres ------------------------------------------------------------


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

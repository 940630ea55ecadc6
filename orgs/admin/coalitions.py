"""Coalitions (networks) with their admission rules, coordinators (shown,
appointed on the coordinators page), memberships and recommendations, and
Active People Centres with their territory.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from orgs import services
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
            {
                "fields": [
                    "roles",
                    "min_recommendations",
                    "candidate_term_days",
                    "eligibility",
                    "contact_email",
                    "auto_match_experts",
                ]
            },
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
    """Read-only: a recommendation counts by the coalition's rules
    (``services.membership_recommend``), which an inline would bypass."""

    model = Recommendation
    fk_name = "membership"
    extra = 0
    can_delete = False
    readonly_fields = ["recommender", "text", "created_at"]
    fields = ["recommender", "text", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MembershipAddForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["organisation", "network", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        network, role = data.get("network"), data.get("role")
        if network is not None and role and role not in network.roles:
            self.add_error("role", str(services.ROLE_NOT_OFFERED % {"role": role}))
        return data


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    """A membership's role and status change only through the coalition's
    rules: an added membership is an application (``membership_apply``); the
    decisions are on the coalition's page (the link on each membership),
    where the reason is asked and the organisation e-mailed; the one action
    here confirms founding members (``membership_found``)."""

    list_display = ["organisation", "network", "role", "status", "founding", "since", "until", "recommendation_count"]
    list_filter = ["network", "role", "status", "founding"]
    list_select_related = ["organisation", "network"]
    search_fields = ["organisation__name", "organisation__slug", "network__name", "network__slug"]
    autocomplete_fields = ["organisation", "network"]
    inlines = [RecommendationInline]
    actions = ["confirm_founding"]
    readonly_fields = [
        "organisation",
        "network",
        "role",
        "status",
        "since",
        "until",
        "founding",
        "answers",
        "eligibility_confirmed_by",
        "eligibility_confirmed_at",
        "decided_by",
        "note",
        "decisions_page",
        "created_at",
        "updated_at",
    ]
    fields = [
        "organisation",
        "network",
        ("role", "status", "founding"),
        ("since", "until"),
        "note",
        "decisions_page",
        "answers",
        ("eligibility_confirmed_by", "eligibility_confirmed_at"),
        "decided_by",
        "source",
        ("created_at", "updated_at"),
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["organisation", "network", "role"] if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["source", "updated_at"])
            return
        created = services.membership_apply(
            user=request.user,  # type: ignore[arg-type]
            organisation=obj.organisation,
            network=obj.network,
            role=obj.role,
        )
        obj.pk, obj.status, obj.created_at, obj.updated_at = (
            created.pk,
            created.status,
            created.created_at,
            created.updated_at,
        )
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Never from the memberships' own pages (ending a membership is a
        # decision by the coalition's rules: exclude, end a candidacy). Deleting
        # a whole organisation in the admin still deletes its memberships with
        # it: Django asks this same question of every row the deletion takes.
        own = reverse("admin:orgs_membership_changelist")
        return not request.path.startswith(own)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).annotate(recommendation_total=Count("recommendations"))

    @admin.display(description=_("recommendations"), ordering="recommendation_total")
    def recommendation_count(self, obj: Membership) -> int:
        return getattr(obj, "recommendation_total", 0)

    @admin.display(description=_("decisions"))
    def decisions_page(self, obj: Membership) -> str:
        url = reverse("frontend:partner:coalition", args=[obj.network.slug]) + f"#membership-{obj.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, _("Decide on the coalition's page (the organisation is e-mailed)")
        )

    @admin.action(description=_("Confirm as founding members (site moderators)"))
    def confirm_founding(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        done = 0
        for ms in queryset.select_related("organisation", "network"):
            try:
                services.membership_found(by=request.user, organisation=ms.organisation, network=ms.network)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{ms}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(n)s founding members confirmed.") % {"n": done}, messages.SUCCESS)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    """Read-only: recommendations are given on the partner pages, by the rules."""

    list_display = ["membership", "recommender", "created_at"]
    list_filter = ["membership__network"]
    list_select_related = ["membership__organisation", "membership__network", "recommender"]
    search_fields = ["recommender__name", "membership__organisation__name", "membership__network__name"]
    readonly_fields = ["membership", "recommender", "text", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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

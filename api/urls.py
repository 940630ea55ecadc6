from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from api import coverage, errors, interpret, moderation, views
from api.partner import claims, editors, history, identifiers, locations, memberships, organisations, services
from api.schema import SchemaView

v1: list[URLPattern | URLResolver] = [
    path("nearest", views.NearestView.as_view(), name="nearest"),
    path("locations", views.ViewportView.as_view(), name="locations"),
    path("organisations", views.OrganisationListView.as_view(), name="organisations"),
    path("organisations/<slug:slug>", views.OrganisationDetailView.as_view(), name="organisation"),
    path("categories", views.CategoriesView.as_view(), name="categories"),
    path("target-groups", views.TargetGroupsView.as_view(), name="target-groups"),
    path("networks", views.NetworksView.as_view(), name="networks"),
    path("places", views.PlacesView.as_view(), name="places"),
    path("places/nearest", views.PlaceNearestView.as_view(), name="place-nearest"),
    path("interpret", interpret.InterpretView.as_view(), name="interpret"),
    path("coverage", coverage.CoverageView.as_view(), name="coverage"),
    path("coverage/towns", coverage.CoverageTownsView.as_view(), name="coverage-towns"),
    path("coverage/towns.csv", coverage.CoverageCsvView.as_view(), name="coverage-csv"),
    # Partners (session-authenticated writes)
    path("partner/organisations", organisations.RegisterOrganisationView.as_view(), name="partner-register"),
    path(
        "partner/organisations/<slug:slug>", organisations.OrganisationEditView.as_view(), name="partner-organisation"
    ),
    path("partner/organisations/<slug:slug>/services", services.ServiceCreateView.as_view(), name="partner-services"),
    path(
        "partner/organisations/<slug:slug>/services/<int:pk>",
        services.ServiceEditView.as_view(),
        name="partner-service",
    ),
    path(
        "partner/organisations/<slug:slug>/confirm", organisations.ConfirmAccurateView.as_view(), name="partner-confirm"
    ),
    path("partner/organisations/<slug:slug>/claim", claims.ClaimView.as_view(), name="partner-claim"),
    path("partner/organisations/<slug:slug>/history", history.HistoryView.as_view(), name="partner-history"),
    path("partner/organisations/<slug:slug>/restore", history.RestoreView.as_view(), name="partner-restore"),
    path(
        "partner/organisations/<slug:slug>/locations", locations.LocationCreateView.as_view(), name="partner-locations"
    ),
    path(
        "partner/organisations/<slug:slug>/identifiers",
        identifiers.IdentifiersView.as_view(),
        name="partner-identifiers",
    ),
    path("partner/organisations/<slug:slug>/editors", editors.EditorsView.as_view(), name="partner-editors"),
    path(
        "partner/organisations/<slug:slug>/editors/<int:pk>",
        editors.EditorRemoveView.as_view(),
        name="partner-editor",
    ),
    path(
        "partner/organisations/<slug:slug>/invitations",
        editors.InvitationCreateView.as_view(),
        name="partner-invitations",
    ),
    path(
        "partner/organisations/<slug:slug>/invitations/<int:pk>",
        editors.InvitationRevokeView.as_view(),
        name="partner-invitation",
    ),
    path("partner/invitations/accept", editors.InvitationAcceptView.as_view(), name="partner-accept-invitation"),
    path("partner/locations/<int:pk>", locations.LocationEditView.as_view(), name="partner-location"),
    path("partner/memberships", memberships.MembershipApplyView.as_view(), name="partner-apply"),
    path("partner/memberships/<int:pk>/recommend", memberships.RecommendView.as_view(), name="partner-recommend"),
    # Coordinators and moderators
    path("moderation/queue", moderation.ModerationQueueView.as_view(), name="moderation-queue"),
    path("moderation/organisations/<slug:slug>", moderation.ModerateOrganisationView.as_view(), name="moderate-org"),
    path("moderation/change-requests/<int:pk>", moderation.DecideChangeRequestView.as_view(), name="moderate-change"),
    path("moderation/claims/<int:pk>", moderation.DecideClaimView.as_view(), name="moderate-claim"),
    path("moderation/memberships/<int:pk>", moderation.DecideMembershipView.as_view(), name="moderate-membership"),
    # Journalists, experts and coordinators: press requests
    path("press/", include("api.press_urls")),
]

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI renders inline styles: allowed on this page only (without a
    # nonce in the directive, which would make browsers ignore 'unsafe-inline').
    path(
        "docs/",
        csp_replace({"style-src": [SELF, "'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
    path("hsds/", include("api.hsds.urls")),
    # Last: any other /api/ URL is a JSON 404 too, never Django's HTML page.
    re_path(r"^", errors.not_found),
]

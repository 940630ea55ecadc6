from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from api import errors, partner, views
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
    # Partners (session-authenticated writes)
    path("partner/organisations", partner.RegisterOrganisationView.as_view(), name="partner-register"),
    path("partner/organisations/<slug:slug>", partner.OrganisationEditView.as_view(), name="partner-organisation"),
    path("partner/organisations/<slug:slug>/services", partner.ServiceCreateView.as_view(), name="partner-services"),
    path(
        "partner/organisations/<slug:slug>/services/<int:pk>", partner.ServiceEditView.as_view(), name="partner-service"
    ),
    path("partner/organisations/<slug:slug>/confirm", partner.ConfirmAccurateView.as_view(), name="partner-confirm"),
    path("partner/organisations/<slug:slug>/claim", partner.ClaimView.as_view(), name="partner-claim"),
    path("partner/organisations/<slug:slug>/history", partner.HistoryView.as_view(), name="partner-history"),
    path("partner/organisations/<slug:slug>/restore", partner.RestoreView.as_view(), name="partner-restore"),
    path("partner/organisations/<slug:slug>/locations", partner.LocationCreateView.as_view(), name="partner-locations"),
    path(
        "partner/organisations/<slug:slug>/identifiers",
        partner.IdentifiersView.as_view(),
        name="partner-identifiers",
    ),
    path("partner/organisations/<slug:slug>/editors", partner.EditorsView.as_view(), name="partner-editors"),
    path(
        "partner/organisations/<slug:slug>/editors/<int:pk>",
        partner.EditorRemoveView.as_view(),
        name="partner-editor",
    ),
    path(
        "partner/organisations/<slug:slug>/invitations",
        partner.InvitationCreateView.as_view(),
        name="partner-invitations",
    ),
    path(
        "partner/organisations/<slug:slug>/invitations/<int:pk>",
        partner.InvitationRevokeView.as_view(),
        name="partner-invitation",
    ),
    path("partner/invitations/accept", partner.InvitationAcceptView.as_view(), name="partner-accept-invitation"),
    path("partner/locations/<int:pk>", partner.LocationEditView.as_view(), name="partner-location"),
    path("partner/memberships", partner.MembershipApplyView.as_view(), name="partner-apply"),
    path("partner/memberships/<int:pk>/recommend", partner.RecommendView.as_view(), name="partner-recommend"),
    # Coordinators and moderators
    path("moderation/queue", partner.ModerationQueueView.as_view(), name="moderation-queue"),
    path("moderation/organisations/<slug:slug>", partner.ModerateOrganisationView.as_view(), name="moderate-org"),
    path("moderation/change-requests/<int:pk>", partner.DecideChangeRequestView.as_view(), name="moderate-change"),
    path("moderation/claims/<int:pk>", partner.DecideClaimView.as_view(), name="moderate-claim"),
    path("moderation/memberships/<int:pk>", partner.DecideMembershipView.as_view(), name="moderate-membership"),
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

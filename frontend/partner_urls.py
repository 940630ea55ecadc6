"""Partner, coordinator and moderator pages (included at the site root by
frontend.urls, so the reminder e-mail's ``/verify/<slug>/`` link lives here too)."""

from __future__ import annotations

from django.urls import path

from frontend import partner_views as v

app_name = "partner"

urlpatterns = [
    path("partner/", v.dashboard, name="dashboard"),
    path("partner/register/", v.register, name="register"),
    path("partner/claim/<slug:slug>/", v.claim, name="claim"),
    path("partner/recommend/", v.recommend, name="recommend"),
    path("partner/o/<slug:slug>/", v.organisation, name="organisation"),
    path("partner/o/<slug:slug>/edit/", v.organisation_edit, name="organisation_edit"),
    path("partner/o/<slug:slug>/locations/new/", v.location_new, name="location_new"),
    path("partner/o/<slug:slug>/locations/<int:pk>/", v.location_edit, name="location_edit"),
    path("partner/o/<slug:slug>/locations/<int:pk>/remove/", v.location_remove, name="location_remove"),
    path("partner/o/<slug:slug>/editors/", v.editors, name="editors"),
    path("partner/o/<slug:slug>/editors/<int:pk>/remove/", v.editor_remove, name="editor_remove"),
    path("partner/o/<slug:slug>/invitations/<int:pk>/withdraw/", v.invitation_revoke, name="invitation_revoke"),
    path("partner/invitation/", v.invitation, name="invitation"),
    path("partner/o/<slug:slug>/services/new/", v.service_edit, name="service_new"),
    path("partner/o/<slug:slug>/services/<int:pk>/", v.service_edit, name="service_edit"),
    path("partner/o/<slug:slug>/confirm/", v.confirm_accurate, name="confirm"),
    path("partner/o/<slug:slug>/restore/", v.restore, name="restore"),
    path("partner/o/<slug:slug>/apply/", v.apply, name="apply"),
    path("partner/moderation/", v.moderation, name="moderation"),
    path("partner/moderation/organisations/<slug:slug>/", v.moderate_organisation, name="moderate_organisation"),
    path("partner/moderation/change-requests/<int:pk>/", v.decide_change, name="decide_change"),
    path("partner/moderation/claims/<int:pk>/", v.decide_claim, name="decide_claim"),
    path("partner/moderation/memberships/<int:pk>/", v.decide_membership, name="decide_membership"),
    path("verify/<slug:slug>/", v.verify_link, name="verify"),
]

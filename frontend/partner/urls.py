"""Partner, coordinator and moderator pages (included at the site root by
frontend.urls, so the reminder e-mail's ``/verify/<slug>/`` link lives here too)."""

from __future__ import annotations

from django.urls import path

from frontend.partner import (
    claims,
    coalition,
    coordinators,
    dashboard,
    editors,
    history,
    locations,
    memberships,
    moderation,
    notifications,
    organisation,
    quality,
    registration,
    resubmit,
    services,
)

app_name = "partner"

urlpatterns = [
    path("partner/", dashboard.dashboard, name="dashboard"),
    path("partner/register/", registration.register, name="register"),
    path("partner/claim/<slug:slug>/", claims.claim, name="claim"),
    path("partner/recommend/", memberships.recommend, name="recommend"),
    path("partner/o/<slug:slug>/", organisation.organisation, name="organisation"),
    path("partner/o/<slug:slug>/edit/", organisation.organisation_edit, name="organisation_edit"),
    path("partner/o/<slug:slug>/locations/new/", locations.location_new, name="location_new"),
    path("partner/o/<slug:slug>/locations/<int:pk>/", locations.location_edit, name="location_edit"),
    path("partner/o/<slug:slug>/locations/<int:pk>/remove/", locations.location_remove, name="location_remove"),
    path("partner/o/<slug:slug>/editors/", editors.editors, name="editors"),
    path("partner/o/<slug:slug>/editors/<int:pk>/remove/", editors.editor_remove, name="editor_remove"),
    path("partner/o/<slug:slug>/invitations/<int:pk>/withdraw/", editors.invitation_revoke, name="invitation_revoke"),
    path("partner/invitation/", editors.invitation, name="invitation"),
    path("partner/o/<slug:slug>/services/new/", services.service_edit, name="service_new"),
    path("partner/o/<slug:slug>/services/<int:pk>/", services.service_edit, name="service_edit"),
    path("partner/o/<slug:slug>/confirm/", organisation.confirm_accurate, name="confirm"),
    path("partner/o/<slug:slug>/restore/", organisation.restore, name="restore"),
    path(
        "partner/o/<slug:slug>/history/<str:kind>/<int:history_id>/",
        history.restore_version,
        name="restore_version",
    ),
    path("partner/o/<slug:slug>/apply/", memberships.apply, name="apply"),
    path("partner/o/<slug:slug>/memberships/<int:pk>/answers/", memberships.answers, name="membership_answers"),
    path("partner/moderation/", moderation.moderation, name="moderation"),
    path("partner/notifications/", notifications.notifications, name="notifications"),
    path("partner/o/<slug:slug>/resubmit/", resubmit.resubmit, name="resubmit"),
    path("partner/corrections/<int:pk>/done/", resubmit.correction_done, name="correction_done"),
    path("partner/coalitions/<slug:slug>/", coalition.coalition, name="coalition"),
    path(
        "partner/coalitions/<slug:slug>/memberships/<int:pk>/",
        coalition.membership_decision,
        name="coalition_decide",
    ),
    path("partner/coalitions/<slug:slug>/contact/", coalition.contact, name="coalition_contact"),
    path("partner/coalitions/<slug:slug>/invite/", coalition.invite, name="coalition_invite"),
    path("partner/coordinator-invitation/", coalition.coordinator_invitation, name="coordinator_invitation"),
    path("partner/moderation/coordinators/", coordinators.coordinators, name="coordinators"),
    path(
        "partner/moderation/coordinators/<slug:slug>/appoint/",
        coordinators.coordinator_appoint,
        name="coordinator_appoint",
    ),
    path(
        "partner/moderation/coordinators/<int:pk>/remove/",
        coordinators.coordinator_remove,
        name="coordinator_remove",
    ),
    path(
        "partner/moderation/organisations/<slug:slug>/",
        moderation.moderate_organisation,
        name="moderate_organisation",
    ),
    path("partner/moderation/change-requests/<int:pk>/", moderation.decide_change, name="decide_change"),
    path("partner/moderation/claims/<int:pk>/", moderation.decide_claim, name="decide_claim"),
    path("partner/moderation/memberships/<int:pk>/", moderation.decide_membership, name="decide_membership"),
    path("partner/coalitions/<slug:slug>/quality/", quality.network_quality, name="quality"),
    path(
        "partner/coalitions/<slug:slug>/quality/<slug:org_slug>/remind/",
        quality.quality_remind,
        name="quality_remind",
    ),
    path("verify/<slug:slug>/", organisation.verify_link, name="verify"),
]

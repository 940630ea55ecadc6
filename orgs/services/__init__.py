"""Writes by partners, coordinators and moderators, one module per process.

Every service is keyword-only, runs in one transaction (nothing is half-saved),
validates with ``full_clean()`` so the forms, the API and the database enforce
the same rules, and checks the caller's permission itself: the web forms and the
API are thin shells around these functions.

- ``registration``: the duplicate check a registrant sees, registering a listing.
- ``editing``: an organisation's own fields, its registry identifiers, its services.
- ``locations``: a listing's places, edited, added and removed.
- ``moderation``: decisions on listings, change requests and claims.
- ``decision_mail``: what partners are told about those decisions.
- ``claims``, ``corrections``, ``resubmission``: "this is us", a visitor's
  correction, a rejected listing sent for checking again.
- ``notifications``: coordinators told of new items (each, or a daily digest).
- ``editors``: invitations to edit a listing, removing an editor.
- ``membership``: applying to a coalition, recommendations, the coordinator's decision.
- ``coordinators``: a site moderator appoints or removes a coalition's coordinators.
- ``freshness``: "still accurate" confirmations, reminders, stale marks.
- ``history``: restoring a recorded version.
- ``common``: what they share (the permission check, decision e-mails, the
  rules of approval and presence).

Callers import the package (``from orgs import services``); the names below are
its public surface. Reads live in ``orgs.selectors`` and ``orgs.moderation``.
"""

from __future__ import annotations

from orgs.duplicates import Duplicate
from orgs.services.claims import ALREADY_MANAGES, CLAIM_MESSAGE_REQUIRED, CLAIM_PENDING, claim_create
from orgs.services.common import (
    DUPLICATE_IDENTIFIER,
    LAST_PLACE,
    NO_PRESENCE,
    NOT_ALLOWED,
    NOT_COORDINATOR,
    REGISTRATION_NO_PRESENCE,
    has_presence,
    waits_for_approval,
)
from orgs.services.coordinators import (
    ALREADY_COORDINATOR,
    EMAIL_REQUIRED,
    NO_ACCOUNT,
    NOT_SITE_MODERATOR,
    SEVERAL_ACCOUNTS,
    coordinator_appoint,
    coordinator_invitation_accept,
    coordinator_invitation_from_token,
    coordinator_invite,
    coordinator_remove,
)
from orgs.services.corrections import (
    CORRECTION_TEXT_REQUIRED,
    CorrectionsLimited,
    correction_resolve,
    correction_suggest,
)
from orgs.services.editing import (
    GATED_ORGANISATION_FIELDS,
    OPEN_ORGANISATION_FIELDS,
    REPEATED_IDENTIFIER,
    organisation_update,
    service_save,
)
from orgs.services.editors import (
    ALREADY_HAS_ACCESS,
    INVITATION_DECIDED,
    INVITATION_INVALID,
    INVITATION_MAX_AGE,
    INVITATION_OTHER_ADDRESS,
    INVITATION_SALT,
    MAX_PENDING_INVITATIONS,
    NOT_OWNER,
    ONLY_EDITORS_REMOVED,
    TOO_MANY_INVITATIONS,
    editor_remove,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
    invitation_token,
)
from orgs.services.freshness import (
    VERIFY_LINK_MAX_AGE,
    VERIFY_SALT,
    organisation_confirm_accurate,
    verification_reminders,
    verify_token,
)
from orgs.services.history import UNKNOWN_VERSION, organisation_restore
from orgs.services.locations import (
    GATED_LOCATION_FIELDS,
    LOCATION_SNAPSHOT_FIELDS,
    LOCATION_SNAPSHOT_ROWS,
    NEEDS_POINT_OR_TOWN,
    OPEN_LOCATION_FIELDS,
    REMOVAL_PENDING,
    location_add,
    location_remove,
    location_update,
)
from orgs.services.membership import (
    NO_CANDIDATE_TERM,
    NOT_A_MEMBER,
    NOT_ENOUGH_RECOMMENDATIONS,
    OWN_RECOMMENDATION,
    ROLE_NOT_OFFERED,
    candidates_remind,
    membership_answer,
    membership_apply,
    membership_confirm_eligibility,
    membership_decide,
    membership_found,
    membership_recommend,
    network_contact_update,
    valid_recommendations,
)
from orgs.services.moderation import (
    ALREADY_DECIDED,
    change_request_decide,
    claim_decide,
    organisation_moderate,
)
from orgs.services.notifications import digest_send, notification_preference_set
from orgs.services.registration import (
    SIMILAR_NAME,
    DuplicateSuspected,
    organisation_duplicates,
    organisation_register,
)
from orgs.services.resubmission import NOT_REJECTED, organisation_resubmit

__all__ = [  # noqa: RUF022 - grouped by the module each name lives in, not alphabetically
    # registration
    "Duplicate",
    "DuplicateSuspected",
    "SIMILAR_NAME",
    "organisation_duplicates",
    "organisation_register",
    # editing
    "GATED_ORGANISATION_FIELDS",
    "OPEN_ORGANISATION_FIELDS",
    "REPEATED_IDENTIFIER",
    "organisation_update",
    "service_save",
    # locations
    "GATED_LOCATION_FIELDS",
    "LOCATION_SNAPSHOT_FIELDS",
    "LOCATION_SNAPSHOT_ROWS",
    "NEEDS_POINT_OR_TOWN",
    "OPEN_LOCATION_FIELDS",
    "REMOVAL_PENDING",
    "location_add",
    "location_remove",
    "location_update",
    # moderation
    "ALREADY_DECIDED",
    "change_request_decide",
    "claim_decide",
    "organisation_moderate",
    # claims, corrections, resubmission, notifications
    "ALREADY_MANAGES",
    "CLAIM_MESSAGE_REQUIRED",
    "CLAIM_PENDING",
    "CORRECTION_TEXT_REQUIRED",
    "NOT_REJECTED",
    "CorrectionsLimited",
    "claim_create",
    "correction_resolve",
    "correction_suggest",
    "digest_send",
    "notification_preference_set",
    "organisation_resubmit",
    # editors
    "ALREADY_HAS_ACCESS",
    "INVITATION_DECIDED",
    "INVITATION_INVALID",
    "INVITATION_MAX_AGE",
    "INVITATION_OTHER_ADDRESS",
    "INVITATION_SALT",
    "MAX_PENDING_INVITATIONS",
    "NOT_OWNER",
    "ONLY_EDITORS_REMOVED",
    "TOO_MANY_INVITATIONS",
    "editor_remove",
    "invitation_accept",
    "invitation_create",
    "invitation_from_token",
    "invitation_revoke",
    "invitation_token",
    # membership
    "NOT_A_MEMBER",
    "NOT_ENOUGH_RECOMMENDATIONS",
    "NO_CANDIDATE_TERM",
    "OWN_RECOMMENDATION",
    "ROLE_NOT_OFFERED",
    "candidates_remind",
    "membership_answer",
    "membership_apply",
    "membership_confirm_eligibility",
    "membership_decide",
    "membership_found",
    "membership_recommend",
    "network_contact_update",
    "valid_recommendations",
    # coordinators
    "ALREADY_COORDINATOR",
    "EMAIL_REQUIRED",
    "NOT_SITE_MODERATOR",
    "NO_ACCOUNT",
    "SEVERAL_ACCOUNTS",
    "coordinator_appoint",
    "coordinator_invitation_accept",
    "coordinator_invitation_from_token",
    "coordinator_invite",
    "coordinator_remove",
    # freshness
    "VERIFY_LINK_MAX_AGE",
    "VERIFY_SALT",
    "organisation_confirm_accurate",
    "verification_reminders",
    "verify_token",
    # history
    "UNKNOWN_VERSION",
    "organisation_restore",
    # common
    "DUPLICATE_IDENTIFIER",
    "LAST_PLACE",
    "NOT_ALLOWED",
    "NOT_COORDINATOR",
    "NO_PRESENCE",
    "REGISTRATION_NO_PRESENCE",
    "has_presence",
    "waits_for_approval",
]

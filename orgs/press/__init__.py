"""Journalists ask for an expert comment; experts decide case by case.

The flow: a journalist submits a request (no account) and confirms it through
an e-mailed link; the request goes to a coalition (from its topic). Either the
coalition's coordinators (or a site moderator) look at the ranking of experts
and send it to one or more of them, or, when the coalition allows it, it goes
to the best match automatically. An expert answers through one-time links
that expire; on acceptance the journalist receives exactly the contacts the
expert chose to share, and the disclosure is logged; on a decline or no answer
the next expert is asked.

Where each step lives:

- ``requests``: a journalist's request (submit, confirm, track, withdraw);
  ``duplicates``: the same request sent twice is saved once.
- ``matching``: ranking experts for a request, routing it to a coalition, asking an expert.
- ``coordination``: coordinators and moderators send a request to experts, or to nobody.
- ``experts``: an expert accepts or declines a request, and what they agreed to share.
- ``profiles``: an expert's profile, from the owner's invitation to the expert's edits.
- ``housekeeping``: the scheduled closing, expiry and asking of the next expert.
- ``rules`` (time limits, messages), ``links`` (tokens, e-mails), ``inputs``
  (slugs and towns), ``closing`` (an overdue request closes): shared by the steps.

Callers use this package's names (``from orgs import press``; ``press.invitation_answer``).
"""

from __future__ import annotations

from orgs.press.coordination import (
    NotYours,
    can_coordinate,
    press_request_for_coordinator,
    press_request_mark_no_expert,
    press_request_send,
    press_request_widen,
    press_requests_for,
)
from orgs.press.experts import (
    disclosures_of_user,
    invitation_answer,
    invitation_by_token,
    invitation_state_error,
    invitations_of_user,
    shareable_contacts,
)
from orgs.press.housekeeping import close_overdue, press_housekeeping
from orgs.press.links import new_token, token_hash
from orgs.press.matching import RankedExpert, experts_ranked, request_network_ids, topic_score
from orgs.press.profiles import (
    PROFILE_FIELDS,
    expert_invite_person,
    expert_join,
    expert_join_payload,
    expert_join_token,
    expert_profile_update,
    experts_of_organisation,
    experts_of_user,
)
from orgs.press.requests import (
    Created,
    press_request_confirm,
    press_request_create,
    press_request_pending_confirmation,
    press_request_track,
    press_request_withdraw,
)
from orgs.press.rules import (
    ACTIVE_STATUSES,
    ALREADY_EXPERT,
    CHOOSE_EXPERT,
    COMMENT_LANGUAGES,
    CONTACT_EMAIL,
    CONTACT_KINDS,
    CONTACT_NOT_ALLOWED,
    CONTACT_PHONE,
    DEADLINE_PAST,
    DEADLINE_TOO_FAR,
    DECLINED_OUTLET_COOLDOWN,
    DUPLICATE_REQUEST,
    EXPERT_JOIN_MAX_AGE,
    EXPERT_JOIN_SALT,
    EXPERT_NOT_ELIGIBLE,
    HONEYPOT_FIELD,
    HONEYPOT_FILLED,
    LINK_EXPIRED,
    LINK_INVALID,
    LINK_USED,
    MAX_DEADLINE_AHEAD,
    NOT_COORDINATOR,
    NOT_OWNER,
    NOT_YOUR_PROFILE,
    NOTHING_TO_SHARE,
    OPEN_STATUSES,
    RATE_LIMITED,
    RATE_WINDOW_S,
    REQUEST_NOT_OPEN,
    REQUESTS_PER_EMAIL_PER_HOUR,
    REQUESTS_PER_IP_PER_HOUR,
    SHARE_SOMETHING,
    UNCONFIRMED_TTL,
    UNKNOWN_CATEGORY,
    UNKNOWN_NETWORK,
    UNKNOWN_PLACE,
    UNKNOWN_TARGET,
    DuplicateRequest,
    RateLimited,
)
from orgs.press.times import DEFAULT_ZONE, in_zone
from orgs.press.times import margin as deadline_margin
from orgs.press.topics import (
    network_press_topics_update,
    networks_coordinated,
    networks_fitting,
    press_topics_seed,
)

__all__ = [
    "ACTIVE_STATUSES",
    "ALREADY_EXPERT",
    "CHOOSE_EXPERT",
    "COMMENT_LANGUAGES",
    "CONTACT_EMAIL",
    "CONTACT_KINDS",
    "CONTACT_NOT_ALLOWED",
    "CONTACT_PHONE",
    "DEADLINE_PAST",
    "DEADLINE_TOO_FAR",
    "DECLINED_OUTLET_COOLDOWN",
    "DEFAULT_ZONE",
    "DUPLICATE_REQUEST",
    "EXPERT_JOIN_MAX_AGE",
    "EXPERT_JOIN_SALT",
    "EXPERT_NOT_ELIGIBLE",
    "HONEYPOT_FIELD",
    "HONEYPOT_FILLED",
    "LINK_EXPIRED",
    "LINK_INVALID",
    "LINK_USED",
    "MAX_DEADLINE_AHEAD",
    "NOTHING_TO_SHARE",
    "NOT_COORDINATOR",
    "NOT_OWNER",
    "NOT_YOUR_PROFILE",
    "OPEN_STATUSES",
    "PROFILE_FIELDS",
    "RATE_LIMITED",
    "RATE_WINDOW_S",
    "REQUESTS_PER_EMAIL_PER_HOUR",
    "REQUESTS_PER_IP_PER_HOUR",
    "REQUEST_NOT_OPEN",
    "SHARE_SOMETHING",
    "UNCONFIRMED_TTL",
    "UNKNOWN_CATEGORY",
    "UNKNOWN_NETWORK",
    "UNKNOWN_PLACE",
    "UNKNOWN_TARGET",
    "Created",
    "DuplicateRequest",
    "NotYours",
    "RankedExpert",
    "RateLimited",
    "can_coordinate",
    "close_overdue",
    "deadline_margin",
    "disclosures_of_user",
    "expert_invite_person",
    "expert_join",
    "expert_join_payload",
    "expert_join_token",
    "expert_profile_update",
    "experts_of_organisation",
    "experts_of_user",
    "experts_ranked",
    "in_zone",
    "invitation_answer",
    "invitation_by_token",
    "invitation_state_error",
    "invitations_of_user",
    "network_press_topics_update",
    "networks_coordinated",
    "networks_fitting",
    "new_token",
    "press_housekeeping",
    "press_request_confirm",
    "press_request_create",
    "press_request_for_coordinator",
    "press_request_mark_no_expert",
    "press_request_pending_confirmation",
    "press_request_send",
    "press_request_track",
    "press_request_widen",
    "press_request_withdraw",
    "press_requests_for",
    "press_topics_seed",
    "request_network_ids",
    "shareable_contacts",
    "token_hash",
    "topic_score",
]

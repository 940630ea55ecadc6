"""Coalition membership: an organisation applies, members recommend it, and a
coordinator decides by the coalition's own rules. The candidates whose term
is up are read by ``orgs.moderation.candidates_due_for_review``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services import decision_mail, notifications
from orgs.services.common import NOT_ALLOWED, NOT_COORDINATOR, _require, _save

NOT_A_MEMBER = gettext_lazy("Only active members of this coalition may recommend.")
OWN_RECOMMENDATION = gettext_lazy("An organisation cannot recommend itself.")
ROLE_NOT_OFFERED = gettext_lazy("This coalition does not have the role “%(role)s”.")
NOT_ENOUGH_RECOMMENDATIONS = gettext_lazy(
    "Membership needs at least %(needed)s recommendations from members; this application has %(have)s. "
    "It can be accepted as a candidate instead."
)
NO_CANDIDATE_TERM = gettext_lazy("This coalition has no candidate status.")


@transaction.atomic
def membership_apply(*, user: User, organisation: m.Organisation, network: m.Network, role: str) -> m.Membership:
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    if role not in network.roles:
        raise ValidationError({"role": [ROLE_NOT_OFFERED % {"role": role}]})
    membership = m.Membership(organisation=organisation, network=network, role=role, status=m.MembershipStatus.APPLIED)
    _save(membership, prefix="", exclude=["decided_by"])
    notifications.membership_applied(membership)
    return membership


@transaction.atomic
def membership_recommend(
    *, user: User, recommender: m.Organisation, membership: m.Membership, text: str = ""
) -> m.Recommendation:
    """A member organisation of the same coalition vouches for an applicant."""
    _require(permissions.can_edit_organisation(user, recommender), NOT_ALLOWED)
    if recommender.pk == membership.organisation_id:
        raise ValidationError({"recommender": [OWN_RECOMMENDATION]})
    is_member = m.Membership.objects.filter(
        organisation=recommender,
        network=membership.network,
        role=m.MembershipRole.MEMBER,
        status=m.MembershipStatus.ACTIVE,
    ).exists()
    if not is_member:
        raise ValidationError({"recommender": [NOT_A_MEMBER]})
    recommendation, _created = m.Recommendation.objects.get_or_create(
        membership=membership, recommender=recommender, defaults={"text": text}
    )
    return recommendation


@transaction.atomic
def membership_decide(
    *, user: User, membership: m.Membership, decision: str, reason: str = "", today: dt.date | None = None
) -> m.Membership:
    """Accept (as applied for, or as a candidate), reject, suspend or exclude,
    by the coalition's own rules (``Network.min_recommendations``,
    ``Network.candidate_term_days``)."""
    _require(permissions.can_moderate_membership(user, membership), NOT_COORDINATOR)
    ms = m.Membership.objects.select_for_update().select_related("network").get(pk=membership.pk)
    network = ms.network
    today = today or timezone.localdate()
    if decision == "accept":
        if ms.role == m.MembershipRole.MEMBER:
            have = ms.recommendations.count()
            if have < network.min_recommendations:
                raise ValidationError(
                    {"decision": [NOT_ENOUGH_RECOMMENDATIONS % {"needed": network.min_recommendations, "have": have}]}
                )
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = ms.since or today
        ms.until = None
    elif decision == "accept_as_candidate":
        if not network.candidate_term_days or m.MembershipRole.CANDIDATE not in network.roles:
            raise ValidationError({"decision": [NO_CANDIDATE_TERM]})
        ms.role = m.MembershipRole.CANDIDATE
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = today
        ms.until = today + dt.timedelta(days=network.candidate_term_days)
    elif decision in {"reject", "suspend", "exclude"}:
        if not reason.strip():
            raise ValidationError({"reason": [_("Give the reason: it is sent to the organisation.")]})
        ms.status = {
            "reject": m.MembershipStatus.REJECTED,
            "suspend": m.MembershipStatus.SUSPENDED,
            "exclude": m.MembershipStatus.EXCLUDED,
        }[decision]
    else:
        raise ValidationError({"decision": [_("Unknown decision.")]})
    ms.decided_by = user
    ms.note = reason or ms.note
    _save(ms, prefix="")
    decision_mail.membership_decided(ms, reason=reason)
    return ms

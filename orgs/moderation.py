"""What waits for a moderator's or coordinator's decision (selectors): the
queue a moderator or coordinator sees, and the candidates whose term is up.
The decisions themselves are in ``orgs.services.moderation`` and
``orgs.services.membership``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orgs import models as m
from orgs import permissions
from orgs.duplicates import possible_duplicates


def _scope(user: User | AnonymousUser) -> Q | None:
    """None: everything (site moderators); otherwise the listings a coordinator
    may decide on (``permissions.can_decide_organisation``): active members of
    their coalitions, and pending registrations that apply to one."""
    if permissions.is_moderator(user):
        return None
    networks = permissions.coordinated_network_ids(user)
    deciding = m.Membership.objects.filter(network_id__in=networks).filter(
        Q(status=m.MembershipStatus.ACTIVE)
        | Q(status=m.MembershipStatus.APPLIED, organisation__status=m.PublicationStatus.PENDING)
    )
    return Q(pk__in=deciding.values("organisation_id"))


def organisations_pending(user: User | AnonymousUser) -> QuerySet[m.Organisation]:
    qs = m.Organisation.objects.filter(status=m.PublicationStatus.PENDING)
    scope = _scope(user)
    return qs if scope is None else qs.filter(scope).distinct()


def _candidates_due(today: dt.date) -> QuerySet[m.Membership]:
    """Active candidates whose term is up, in every coalition."""
    return m.Membership.objects.filter(
        role=m.MembershipRole.CANDIDATE, status=m.MembershipStatus.ACTIVE, until__lte=today
    )


def candidates_due_for_review(*, network: m.Network, today: dt.date | None = None) -> list[m.Membership]:
    """Candidates whose term is up: the board reviews them."""
    today = today or timezone.localdate()
    return list(_candidates_due(today).filter(network=network).select_related("organisation"))


def moderation_queue(*, user: User | AnonymousUser, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    scope = _scope(user)
    networks = None if scope is None else permissions.coordinated_network_ids(user)

    def scoped(qs: QuerySet[Any]) -> QuerySet[Any]:
        if scope is None:
            return qs
        return qs.filter(organisation__in=m.Organisation.objects.filter(scope))

    change_requests = scoped(m.ChangeRequest.objects.filter(status=m.Decision.PENDING).select_related("organisation"))
    claims = scoped(m.Claim.objects.filter(status=m.Decision.PENDING).select_related("organisation", "requested_by"))
    memberships = (
        m.Membership.objects.filter(status=m.MembershipStatus.APPLIED)
        .select_related("organisation", "network")
        .annotate(recommendation_count=Count("recommendations"))
    )
    candidates = _candidates_due(today).select_related("organisation", "network")
    if networks is not None:
        memberships = memberships.filter(network_id__in=networks)
        candidates = candidates.filter(network_id__in=networks)
    return {
        "organisations": [
            {
                "slug": o.slug,
                "name": o.name,
                "created_at": o.created_at,
                # Look-alikes of any status, by true points: for the moderator's
                # eyes only (the registrant is told of public ones only).
                "possible_duplicates": [
                    {
                        "slug": d.organisation.slug,
                        "name": d.organisation.name,
                        "status": d.organisation.status,
                        "reason": d.reason,
                    }
                    for d in possible_duplicates(o)
                ],
            }
            for o in organisations_pending(user)
        ],
        "change_requests": [
            {"id": c.pk, "organisation": c.organisation.slug, "changes": c.changes, "created_at": c.created_at}
            for c in change_requests
        ],
        "claims": [
            {"id": c.pk, "organisation": c.organisation.slug, "message": c.message, "created_at": c.created_at}
            for c in claims
        ],
        "memberships": [
            {
                "id": ms.pk,
                "organisation": ms.organisation.slug,
                "network": ms.network.slug,
                "role": ms.role,
                "recommendations": ms.recommendation_count,
                "needed": ms.network.min_recommendations,
            }
            for ms in memberships
        ],
        "candidates_due": [
            {"id": ms.pk, "organisation": ms.organisation.slug, "network": ms.network.slug, "until": ms.until}
            for ms in candidates
        ],
    }

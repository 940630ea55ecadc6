"""The partner's start page: their listings, their claims, and how much waits in the moderation queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orgs import models as m
from orgs import permissions, quality
from orgs.corrections import corrections_open
from orgs.moderation import moderation_queue
from orgs.permissions import signed_in_user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    orgs = list(
        m.Organisation.objects.filter(access__user=user)
        .prefetch_related(
            Prefetch(
                "change_requests",
                queryset=m.ChangeRequest.objects.filter(status=m.Decision.PENDING).order_by("created_at"),
                to_attr="pending_changes",
            ),
            Prefetch("memberships", queryset=m.Membership.objects.select_related("network").order_by("network__name")),
        )
        .distinct()
        .order_by("name")
    )
    my_claims = list(
        m.Claim.objects.filter(requested_by=user).select_related("organisation").order_by("-created_at")[:20]
    )
    moderates = permissions.is_moderator(user) or bool(permissions.coordinated_network_ids(user))
    queue_size = 0
    if moderates:
        queue = moderation_queue(user=user)
        queue_size = sum(len(queue[k]) for k in ("organisations", "change_requests", "claims", "memberships"))
        queue_size += corrections_open(user).count()
    return render(
        request,
        "frontend/partner/dashboard.html",
        {
            "orgs": orgs,
            "claims": my_claims,
            "moderates": moderates,
            "queue_size": queue_size,
            "quality_networks": list(quality.coordinated_networks(user)) if moderates else [],
            "can_recommend": m.Membership.objects.filter(
                organisation__access__user=user, role=m.MembershipRole.MEMBER, status=m.MembershipStatus.ACTIVE
            ).exists(),
        },
    )

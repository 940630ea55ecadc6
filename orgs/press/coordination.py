"""Coordinators (of the request's coalition) and site moderators handle a
request: they see their requests, look at the ranking of experts, send the
request to chosen experts, or tell the journalist nobody is available.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from orgs import models as m
from orgs import permissions
from orgs.press.closing import close_if_overdue
from orgs.press.housekeeping import close_overdue
from orgs.press.matching import ask_next, experts_ranked, invite, no_expert, request_network_ids
from orgs.press.rules import (
    CHOOSE_EXPERT,
    EXPERT_NOT_ELIGIBLE,
    NOT_COORDINATOR,
    NOT_WIDER,
    OPEN_STATUSES,
    REQUEST_NOT_OPEN,
    now_or_current,
)


def can_coordinate(user: permissions.User, req: m.PressRequest) -> bool:
    if permissions.is_moderator(user):
        return True
    return bool(request_network_ids(req) & set(permissions.coordinated_network_ids(user)))


def press_requests_for(*, user: permissions.User, now: dt.datetime | None = None) -> QuerySet[m.PressRequest]:
    """Confirmed requests a coordinator (of any coalition it went to) or moderator (all) may see."""
    close_overdue(now=now_or_current(now))
    qs = m.PressRequest.objects.exclude(status=m.PressRequestStatus.UNCONFIRMED).select_related("network", "place")
    if not permissions.is_moderator(user):
        mine = list(permissions.coordinated_network_ids(user))
        routed = m.PressRequest.networks.through.objects.filter(network_id__in=mine)
        qs = qs.filter(Q(network_id__in=mine) | Q(pk__in=routed.values("pressrequest_id")))
    return qs.order_by("deadline")


class NotYours(PermissionDenied):
    """A coordinator opened another coalition's request: which coalitions it is with."""

    def __init__(self, networks: Sequence[m.Network]) -> None:
        super().__init__(str(NOT_COORDINATOR))
        self.networks = list(networks)


def press_request_for_coordinator(*, user: permissions.User, pk: int, now: dt.datetime | None = None) -> m.PressRequest:
    """The request a coordinator opens. Another coalition's request raises
    ``NotYours`` naming whose it is, for a coordinator (never for anyone else:
    to them it does not exist)."""
    req = m.PressRequest.objects.select_related("network", "place").filter(pk=pk).first()
    if req is None or req.status == m.PressRequestStatus.UNCONFIRMED:
        raise PermissionDenied(NOT_COORDINATOR)
    if not can_coordinate(user, req):
        if permissions.coordinated_network_ids(user):
            raise NotYours(list(m.Network.objects.filter(pk__in=request_network_ids(req)).order_by("name")))
        raise PermissionDenied(NOT_COORDINATOR)
    with transaction.atomic():
        close_if_overdue(req, now=now_or_current(now))
    return req


@transaction.atomic
def press_request_send(
    *,
    user: User,
    press_request: m.PressRequest,
    expert_ids: Sequence[int],
    base_url: str,
    now: dt.datetime | None = None,
) -> list[m.ExpertInvitation]:
    """A coordinator or moderator sends the request to chosen experts from the ranking."""
    now = now_or_current(now)
    if not can_coordinate(user, press_request):
        raise PermissionDenied(NOT_COORDINATOR)
    req = m.PressRequest.objects.select_for_update().get(pk=press_request.pk)
    close_if_overdue(req, now=now)
    if req.status not in OPEN_STATUSES:
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    if not expert_ids:
        raise ValidationError({"experts": [CHOOSE_EXPERT]})
    eligible = {r.expert.pk: r.expert for r in experts_ranked(press_request=req, now=now)}
    missing = [pk for pk in dict.fromkeys(expert_ids) if pk not in eligible]
    if missing:
        names = m.Expert.objects.filter(pk__in=missing).values_list("full_name", flat=True)
        raise ValidationError({"experts": [EXPERT_NOT_ELIGIBLE % {"name": name} for name in names] or [CHOOSE_EXPERT]})
    return [invite(req, eligible[pk], base_url=base_url, now=now, sent_by=user) for pk in dict.fromkeys(expert_ids)]


@transaction.atomic
def press_request_mark_no_expert(*, user: User, press_request: m.PressRequest, now: dt.datetime | None = None) -> None:
    """A coordinator finds nobody: the journalist is told at once rather than at the deadline."""
    now = now_or_current(now)
    if not can_coordinate(user, press_request):
        raise PermissionDenied(NOT_COORDINATOR)
    req = m.PressRequest.objects.select_for_update().get(pk=press_request.pk)
    if req.status not in (m.PressRequestStatus.RECEIVED, m.PressRequestStatus.SEARCHING):
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)
    no_expert(req)


@transaction.atomic
def press_request_widen(
    *,
    user: User,
    press_request: m.PressRequest,
    network_ids: Sequence[int] = (),
    everywhere: bool = False,
    base_url: str,
    now: dt.datetime | None = None,
) -> m.ExpertInvitation | None:
    """A coordinator widens the search to other coalitions (or to every
    coalition's experts); the best expert there is asked at once, and the
    coordinators are told again if that list runs out too."""
    now = now_or_current(now)
    if not can_coordinate(user, press_request):
        raise PermissionDenied(NOT_COORDINATOR)
    req = m.PressRequest.objects.select_for_update().get(pk=press_request.pk)
    close_if_overdue(req, now=now)
    if req.status not in OPEN_STATUSES:
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    added = list(m.Network.objects.filter(pk__in=network_ids).exclude(pk__in=request_network_ids(req)))
    if not added and not (everywhere and not req.any_network):
        raise ValidationError({"networks": [NOT_WIDER]})
    req.networks.add(*added)
    req.any_network = req.any_network or everywhere
    req.exhausted_at = None
    if req.status == m.PressRequestStatus.NO_EXPERT:
        req.status = m.PressRequestStatus.SEARCHING
    req.save(update_fields=["any_network", "exhausted_at", "status", "updated_at"])
    if req.invitations.filter(status=m.InvitationStatus.SENT).exists():
        return None
    return ask_next(req, base_url=base_url, now=now, sent_by=user)

"""Closing a request whose deadline has passed.

Every step of the flow closes an overdue request on the way (a journalist
opening the tracking link, an expert answering, a coordinator's list, the
scheduled housekeeping), so nobody ever sees or acts on a stale state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from orgs import models as m
from orgs.press.rules import ACTIVE_STATUSES


def close(requests: Sequence[m.PressRequest], *, now: dt.datetime) -> None:
    """Close the requests and cancel the invitations still waiting for an answer."""
    ids = [r.pk for r in requests]
    m.ExpertInvitation.objects.filter(request_id__in=ids, status=m.InvitationStatus.SENT).update(
        status=m.InvitationStatus.CANCELLED
    )
    m.PressRequest.objects.filter(pk__in=ids).update(status=m.PressRequestStatus.CLOSED, closed_at=now, updated_at=now)
    for r in requests:
        r.status, r.closed_at = m.PressRequestStatus.CLOSED, now


def close_if_overdue(req: m.PressRequest, *, now: dt.datetime) -> None:
    if req.status in ACTIVE_STATUSES and req.deadline <= now:
        close([req], now=now)

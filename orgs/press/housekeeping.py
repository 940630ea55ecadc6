"""The flow's scheduled upkeep (manage.py press_housekeeping, every few
minutes): requests past their deadline close, unconfirmed ones are deleted,
unanswered invitations expire and the next expert is asked.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from orgs import models as m
from orgs.press.closing import close
from orgs.press.experts import expire
from orgs.press.matching import no_expert
from orgs.press.rules import OPEN_STATUSES, UNCONFIRMED_TTL, now_or_current
from orgs.press.times import margin


def close_overdue(*, now: dt.datetime | None = None) -> int:
    """Close every request past its deadline; delete unconfirmed ones (they
    never went anywhere and hold someone's address)."""
    now = now_or_current(now)
    with transaction.atomic():
        stale_unconfirmed = m.PressRequest.objects.filter(status=m.PressRequestStatus.UNCONFIRMED).filter(
            Q(deadline__lte=now) | Q(created_at__lte=now - UNCONFIRMED_TTL)
        )
        stale_unconfirmed.delete()
        overdue = list(m.PressRequest.objects.select_for_update().filter(status__in=OPEN_STATUSES, deadline__lte=now))
        close(overdue, now=now)
    return len(overdue)


def press_housekeeping(*, base_url: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Close requests past their deadline, expire unanswered invitations and ask the next expert."""
    now = now_or_current(now)
    closed = close_overdue(now=now)
    expired = 0
    with transaction.atomic():
        due = list(
            m.ExpertInvitation.objects.select_for_update(skip_locked=True).filter(
                status=m.InvitationStatus.SENT, expires_at__lte=now
            )
        )
        if due:
            expired = expire(due, base_url=base_url, now=now)
    told = tell_no_expert_near_deadline(now=now)
    return {"closed": closed, "expired_invitations": expired, "no_expert": told}


def tell_no_expert_near_deadline(*, now: dt.datetime) -> int:
    """A request still without an expert, nobody deciding, its deadline within
    the margin: the journalist hears "no expert" now, while she can still
    look elsewhere (until then she saw "still looking")."""
    with transaction.atomic():
        waiting = m.PressRequest.objects.select_for_update(skip_locked=True).filter(
            status__in=(m.PressRequestStatus.RECEIVED, m.PressRequestStatus.SEARCHING),
            deadline__gt=now,
            deadline__lte=now + margin(),
        )
        waiting = waiting.exclude(
            Exists(m.ExpertInvitation.objects.filter(request_id=OuterRef("pk"), status=m.InvitationStatus.SENT))
        )
        told = list(waiting)
        for req in told:
            no_expert(req)
    return len(told)

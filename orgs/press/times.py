"""Time as the people of the press flow live it.

An expert's answer window is the coalition's number of hours
(``Network.press_answer_hours``, 48 by default), counted only in working hours
on the expert's clock when the expert gave a time zone, and never past the
journalist's deadline less the margin (``settings.PRESS_DEADLINE_MARGIN_HOURS``):
a link sent at 22:44 must still work in the morning, and the journalist must
hear in time when nobody can comment. Every time shown names its zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import formats

from orgs import models as m

DEFAULT_ZONE = "Europe/Moscow"
# Working hours on the expert's clock: 9:00 to 19:00, Monday to Friday.
WORK_START_H, WORK_END_H = 9, 19
WORK_DAYS = range(0, 5)


def margin() -> dt.timedelta:
    return dt.timedelta(hours=settings.PRESS_DEADLINE_MARGIN_HOURS)


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def add_working_hours(start: dt.datetime, hours: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """``start`` plus ``hours`` of working time on the clock ``tz``."""
    left = dt.timedelta(hours=hours)
    current = start.astimezone(tz)
    # Bounded: at most one step per day, and 14 days of hours take under 50 working days.
    for _day in range(400):
        day_start = current.replace(hour=WORK_START_H, minute=0, second=0, microsecond=0)
        day_end = current.replace(hour=WORK_END_H, minute=0, second=0, microsecond=0)
        if current.weekday() in WORK_DAYS and current < day_end:
            current = max(current, day_start)
            available = day_end - current
            if left <= available:
                return (current + left).astimezone(dt.UTC)
            left -= available
        nxt = (current + dt.timedelta(days=1)).date()
        current = dt.datetime(nxt.year, nxt.month, nxt.day, WORK_START_H, tzinfo=tz)
    return (current + left).astimezone(dt.UTC)


def answer_window_end(req: m.PressRequest, expert: m.Expert, *, now: dt.datetime) -> dt.datetime:
    """When an invitation to ``expert`` expires."""
    network = _network_of(req, expert)
    hours = network.press_answer_hours if network is not None else m.PRESS_ANSWER_HOURS_DEFAULT
    end = add_working_hours(now, hours, zone(expert.time_zone)) if expert.time_zone else now + dt.timedelta(hours=hours)
    last = req.deadline - margin()
    # Past the margin already (a coordinator sends late): the deadline itself is the limit.
    return min(end, last if last > now else req.deadline)


def looking_ends(req: m.PressRequest) -> dt.datetime:
    """From when a request still without an expert is answered "no expert"."""
    return req.deadline - margin()


def _network_of(req: m.PressRequest, expert: m.Expert) -> m.Network | None:
    """The request's coalition the expert belongs to (its answer window applies)."""
    return (
        m.Network.objects.filter(
            memberships__organisation_id=expert.organisation_id,
            memberships__status=m.MembershipStatus.ACTIVE,
        )
        .filter(pk__in=[n.pk for n in req.networks.all()] or ([req.network_id] if req.network_id else []))
        .order_by("name")
        .first()
    )


def in_zone(value: dt.datetime | None, zone_name: str | None) -> str:
    """A moment on a person's clock, the zone named: «2 декабря 2026, 18:00 (Europe/Moscow, UTC+03:00)»."""
    if value is None:
        return ""
    tz = zone(zone_name)
    local = value.astimezone(tz)
    offset = local.strftime("%z")
    return f"{formats.date_format(local, 'j E Y, H:i')} ({tz.key}, UTC{offset[:3]}:{offset[3:]})"

"""Reads of the public directory: the taxonomy, published organisations and
their coalition memberships, and whether a location is open now.

The search engine's reads (the nearest statement, the map, text search and the
ORM oracle the tests check them against) live in ``orgs.search``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connections, router
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from orgs import models as m

# --- taxonomy ---------------------------------------------------------------------


def category_descendant_ids(category_ids: Iterable[int]) -> set[int]:
    """The categories and all categories below them."""
    ids = {int(i) for i in category_ids}
    if not ids:
        return set()
    with connections[router.db_for_read(m.Category)].cursor() as cur:
        cur.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT id FROM orgs_category WHERE id = ANY(%s)
              UNION
                SELECT c.id FROM orgs_category c JOIN down d ON c.parent_id = d.id
            ) SELECT id FROM down
            """,
            [list(ids)],
        )
        return {row[0] for row in cur.fetchall()}


def is_open(location: m.Location, now: dt.datetime | None = None) -> bool | None:
    """Open now in the location's own time zone; None when it has no hours."""
    hours = list(location.hours.all())
    if not hours:
        return None
    import zoneinfo

    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(location.timezone))
    today, t = local.weekday(), local.time()
    yesterday = (today - 1) % 7
    for h in hours:
        overnight = h.closes <= h.opens
        if h.weekday == today and t >= h.opens and (overnight or t < h.closes):
            return True
        if overnight and h.weekday == yesterday and t < h.closes:
            return True
    return False


def next_opening(location: m.Location, now: dt.datetime | None = None) -> tuple[int, int, dt.time] | None:
    """When a closed place opens next, in its own time zone: (days ahead, the
    weekday, 0 = Monday, the time); None when it has no hours. Read with ``is_open``: for a place open
    now it is the next opening after the current one."""
    hours = list(location.hours.all())
    if not hours:
        return None
    import zoneinfo

    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(location.timezone))
    for ahead in range(8):
        day = (local.weekday() + ahead) % 7
        times = sorted(h.opens for h in hours if h.weekday == day and (ahead or h.opens > local.time()))
        if times:
            return ahead, day, times[0]
    return None


# --- organisations ------------------------------------------------------------------


def organisations_public() -> QuerySet[m.Organisation]:
    return m.Organisation.objects.filter(status=m.PublicationStatus.PUBLISHED)


def memberships_public(lookup: str = "memberships") -> Prefetch:
    """Active memberships with their network, as ``active_memberships`` on each organisation."""
    return Prefetch(
        lookup,
        queryset=m.Membership.objects.filter(status=m.MembershipStatus.ACTIVE).select_related("network").order_by("pk"),
        to_attr="active_memberships",
    )

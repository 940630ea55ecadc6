"""The search filters (category, target group, format, free, open now,
language, coalition) and the SQL conditions they become on the derived search
rows. One definition shared by the nearest statement, the map viewport and the
test oracle in ``reference``, so the three cannot filter differently."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class SearchFilters:
    """Filters shared by the nearest search, the map and the organisation list.

    ``facets`` are category ids (each matches its sub-categories too); the
    other id lists are already resolved from slugs by the caller.
    """

    facets: tuple[int, ...] = ()
    target_ids: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    free: bool = False
    open_now: bool = False
    languages: tuple[str, ...] = ()
    network_ids: tuple[int, ...] = ()
    now: dt.datetime | None = None
    # Help for people and families only: services filed under these
    # categories (for specialists and the media: methodological help, a
    # comment for the media …), or for these target groups alone
    # (specialists), are left out. Empty: everything (a specialist's search).
    professional_facets: tuple[int, ...] = ()
    specialist_target_ids: tuple[int, ...] = ()

    @property
    def has_service_filter(self) -> bool:
        return bool(self.facets or self.target_ids or self.formats or self.free or self.languages)


def row_conditions(filters: SearchFilters, params: dict[str, Any]) -> list[str]:
    """WHERE conditions on orgs_searchentry rows (aliased ``e``) for the non-facet filters."""
    conds: list[str] = []
    if filters.target_ids:
        # Cast to the column's type: a parameter of another integer type makes
        # PostgreSQL fall back from an index condition to a filter.
        conds.append("e.target_ids && %(target_ids)s::bigint[]")
        params["target_ids"] = list(filters.target_ids)
    if filters.formats:
        conds.append("e.formats && %(formats)s::varchar[]")
        params["formats"] = list(filters.formats)
    if filters.free:
        conds.append("e.is_free")
    if filters.languages:
        conds.append("e.languages && %(languages)s::varchar[]")
        params["languages"] = list(filters.languages)
    if filters.network_ids:
        conds.append("e.network_ids && %(network_ids)s::bigint[]")
        params["network_ids"] = list(filters.network_ids)
    if filters.specialist_target_ids:
        conds.append("NOT (e.target_ids <> '{}' AND e.target_ids <@ %(specialist_target_ids)s::bigint[])")
        params["specialist_target_ids"] = list(filters.specialist_target_ids)
    if filters.professional_facets:
        # One index probe on the service's categories per candidate row; the
        # rows carry no category list of their own (``facet`` is the one
        # searched for).
        conds.append(
            "NOT EXISTS (SELECT 1 FROM orgs_service_categories sc WHERE sc.service_id = e.service_id"
            " AND sc.category_id = ANY(%(professional_facets)s::bigint[]))"
        )
        params["professional_facets"] = list(filters.professional_facets)
    if filters.open_now:
        conds.append(f"({OPEN_NOW_SQL})")
        params["now"] = filters.now or timezone.now()
    return conds


# Whether a location is open at %(now)s in its own time zone: whether an
# opening-hours row ``h`` covers the local time ``local.t``, on the row's own
# weekday or, for an interval whose closing time is not after its opening time
# (it runs past midnight), on the day after.
_OPEN_ROW = """(
        (h.weekday = EXTRACT(ISODOW FROM local.t)::int - 1
         AND local.t::time >= h.opens
         AND (h.closes > h.opens AND local.t::time < h.closes OR h.closes <= h.opens))
     OR (h.closes <= h.opens
         AND h.weekday = (EXTRACT(ISODOW FROM local.t)::int + 5) %% 7
         AND local.t::time < h.closes)
    )"""


def _hours_rows(location_id: str, timezone: str) -> str:
    return f"""FROM orgs_openinghours h
    CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE {timezone}) AS t) local
    WHERE h.location_id = {location_id}"""


def open_now_sql(*, location_id: str = "e.location_id", timezone: str = "e.timezone") -> str:
    """The SQL condition, for a row whose location id and time zone are these columns."""
    return f"""
EXISTS (
    SELECT 1 {_hours_rows(location_id, timezone)} AND {_OPEN_ROW}
)
"""


def open_now_value_sql(*, location_id: str, timezone: str) -> str:
    """true or false, or NULL for a location with no opening hours (unknown),
    in one scan of its hours."""
    return f"""(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE coalesce(bool_or({_OPEN_ROW}), false) END
    {_hours_rows(location_id, timezone)})"""


OPEN_NOW_SQL = open_now_sql()

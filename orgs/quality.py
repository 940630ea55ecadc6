"""Data quality of a coalition's members: what each active member's listing
lacks, for the coordinator's page (frontend/partner/quality.py). Reads only;
the reminder to an owner is ``orgs.services.quality``.

A gap is something a family searching the map would miss: a way to get in
touch, the hours of a place they can visit, a check within the last year, a
service at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs import models as m
from orgs import permissions

# A listing nobody confirmed for this long is "not verified" on public pages
# (orgs.services.freshness marks it stale after the same time).
VERIFIED_WITHIN = dt.timedelta(days=365)
# One reminder about gaps per listing in this time, whoever sends it.
REMINDER_INTERVAL = dt.timedelta(days=7)

GAPS = {
    "contacts": _("No public phone, e-mail or website"),
    "hours": _("A place to visit without opening hours"),
    "verification": _("Not confirmed as accurate for more than 12 months"),
    "services": _("No services listed"),
}


@dataclass
class MemberQuality:
    organisation: m.Organisation
    gaps: list[str] = field(default_factory=list)

    @property
    def gap_labels(self) -> list[str]:
        return [str(GAPS[gap]) for gap in self.gaps]

    @property
    def can_remind(self) -> bool:
        sent = self.organisation.quality_reminded_at
        return bool(self.gaps) and (sent is None or sent <= timezone.now() - REMINDER_INTERVAL)


def member_gaps(organisation: m.Organisation, *, today: dt.date | None = None) -> list[str]:
    """The gaps of one listing (the same rules as ``network_quality``, for the reminder's text)."""
    rows = network_rows(m.Organisation.objects.filter(pk=organisation.pk), today=today)
    return rows[0].gaps if rows else []


def network_quality(network: m.Network, *, today: dt.date | None = None) -> list[MemberQuality]:
    """Every active member of ``network``, those with the most gaps first."""
    members = m.Organisation.objects.filter(
        memberships__network=network, memberships__status=m.MembershipStatus.ACTIVE
    ).distinct()
    rows = network_rows(members, today=today)
    return sorted(rows, key=lambda row: (-len(row.gaps), row.organisation.name.casefold()))


def network_rows(organisations: QuerySet[m.Organisation], *, today: dt.date | None = None) -> list[MemberQuality]:
    today = today or timezone.localdate()
    contact_on_service = m.Service.objects.filter(organisation=OuterRef("pk")).exclude(phone="", email="", url="")
    phone_at_place = m.Location.objects.filter(organisation=OuterRef("pk")).exclude(phone="")
    place_without_hours = m.Location.objects.filter(
        organisation=OuterRef("pk"), kind=m.LocationKind.PHYSICAL, hours__isnull=True
    )
    annotated = organisations.annotate(
        has_service_contact=Exists(contact_on_service),
        has_place_phone=Exists(phone_at_place),
        lacks_hours=Exists(place_without_hours),
        has_services=Exists(m.Service.objects.filter(organisation=OuterRef("pk"))),
    ).order_by("name")
    verified_since = today - VERIFIED_WITHIN
    rows = []
    for org in annotated:
        gaps = []
        if not (org.website or org.email or org.has_service_contact or org.has_place_phone):
            gaps.append("contacts")
        if org.lacks_hours:
            gaps.append("hours")
        if org.last_verified_at is None or org.last_verified_at < verified_since:
            gaps.append("verification")
        if not org.has_services:
            gaps.append("services")
        rows.append(MemberQuality(organisation=org, gaps=gaps))
    return rows


def coordinated_networks(user: User) -> QuerySet[m.Network]:
    """The coalitions whose data quality ``user`` may see: their own as a
    coordinator, every one as a site moderator."""
    if permissions.is_moderator(user):
        return m.Network.objects.order_by("name")
    return m.Network.objects.filter(coordinators__user=user).distinct().order_by("name")

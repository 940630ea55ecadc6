"""Visitors' corrections waiting to be dealt with (selectors): a coordinator
or site moderator sees those of the listings they decide; an owner or editor
those of their own listings. Writes are in ``orgs.services.corrections``."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from orgs import models as m
from orgs import permissions


def corrections_open(user: User | AnonymousUser) -> QuerySet[m.Correction]:
    """Open corrections in a coordinator's or site moderator's queue."""
    qs = m.Correction.objects.filter(resolved_at__isnull=True).select_related("organisation").order_by("created_at")
    if permissions.is_moderator(user):
        return qs
    networks = permissions.coordinated_network_ids(user)
    if not networks:
        return qs.none()
    # Every coalition that looks after the listing (permissions.can_moderate_organisation).
    members = m.Membership.objects.filter(network_id__in=networks, status__in=permissions.REVIEWABLE_MEMBERSHIP)
    return qs.filter(organisation_id__in=members.values("organisation_id"))


def corrections_of(organisation: m.Organisation) -> QuerySet[m.Correction]:
    """Open corrections of one listing (its team's page)."""
    return m.Correction.objects.filter(organisation=organisation, resolved_at__isnull=True).order_by("created_at")

"""Objects looked up from a URL (a slug, an id) for a signed-in user.

Whatever the user may not see answers 404, exactly as a missing object does:
a 403 for an existing slug told a stranger that a pending or suspended
listing exists (an outside review found the partner API doing so, and the
claim page showing such listings' names). What the public sees anyway (a
published listing) may still answer 403 for a write the user may not make.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from orgs import models as m
from orgs import permissions


def _get(queryset: Any, **lookup: Any) -> Any:
    """The object, or a bare 404: the same answer (no model name) for a
    missing object as for one the user may not see."""
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def can_see_organisation(user: User | AnonymousUser, organisation: m.Organisation) -> bool:
    """Published listings, and those the user edits or reviews."""
    return organisation.status == m.PublicationStatus.PUBLISHED or _reviews(user, organisation)


def require_visible(user: User | AnonymousUser, organisation: m.Organisation) -> None:
    if not can_see_organisation(user, organisation):
        raise Http404


def visible_organisation(user: User | AnonymousUser, slug: str) -> m.Organisation:
    organisation = _get(m.Organisation.objects, slug=slug)
    require_visible(user, organisation)
    return organisation


def visible_location(user: User | AnonymousUser, pk: int) -> m.Location:
    location: m.Location = _get(m.Location.objects.select_related("organisation"), pk=pk)
    require_visible(user, location.organisation)
    return location


def _reviews(user: User | AnonymousUser, organisation: m.Organisation) -> bool:
    return isinstance(user, User) and (
        permissions.can_edit_organisation(user, organisation)
        or permissions.can_moderate_organisation(user, organisation)
    )


def visible_change_request(user: User | AnonymousUser, pk: int) -> m.ChangeRequest:
    """A change request is never public: its organisation's editors and reviewers see it."""
    cr = _get(m.ChangeRequest.objects.select_related("organisation"), pk=pk)
    if not _reviews(user, cr.organisation):
        raise Http404
    return cr


def visible_claim(user: User | AnonymousUser, pk: int) -> m.Claim:
    claim = _get(m.Claim.objects.select_related("organisation"), pk=pk)
    if not (claim.requested_by_id == getattr(user, "pk", None) or _reviews(user, claim.organisation)):
        raise Http404
    return claim


def visible_membership(user: User | AnonymousUser, pk: int, queryset: QuerySet[Any] | None = None) -> m.Membership:
    """An active membership of a published listing is public (the coalition's
    page lists it); any other is seen by the coalition's coordinators, site
    moderators, the organisation's editors, and the editors of the
    coalition's active members (who recommend applicants)."""
    qs = queryset if queryset is not None else m.Membership.objects.select_related("network", "organisation")
    membership = _get(qs, pk=pk)
    org = membership.organisation
    if membership.status == m.MembershipStatus.ACTIVE and org.status == m.PublicationStatus.PUBLISHED:
        return membership
    if isinstance(user, User) and (
        permissions.can_moderate_membership(user, membership)
        or permissions.can_edit_organisation(user, org)
        or m.OrganisationAccess.objects.filter(
            user=user,
            organisation__memberships__network_id=membership.network_id,
            organisation__memberships__status=m.MembershipStatus.ACTIVE,
        ).exists()
    ):
        return membership
    raise Http404


def require_team(user: User | AnonymousUser, organisation: m.Organisation) -> None:
    """Editors' accounts and invitations (by id) are the listing's team's
    business: anyone else gets a 404 for them, existing or not."""
    if not _reviews(user, organisation):
        raise Http404

"""Who may do what: object-level rules shared by the web forms, the API and the admin.

Roles: a partner edits the organisations they own or were invited to; a
coalition coordinator acts for their own coalition only; a site moderator (the
"moderators" group) and an admin (superuser) act everywhere.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied

from orgs import models as m

MODERATORS_GROUP = "moderators"

User = AuthUser | AnonymousUser


class _RequestWithUser(Protocol):
    # Django's HttpRequest and DRF's Request both carry the user this way.
    @property
    def user(self) -> Any: ...


def signed_in_user(request: _RequestWithUser) -> AuthUser:
    """The request's signed-in user, typed. Every caller's view requires a
    signed-in user first (login_required, IsAuthenticated), so the refusal
    below is a guard, never the answer a visitor sees."""
    user = request.user
    if not isinstance(user, AuthUser) or not user.is_authenticated:  # pragma: no cover - guarded by the view
        raise PermissionDenied
    return user


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_superuser", False))


def is_moderator(user: User) -> bool:
    """A site moderator or an admin."""
    if not (user.is_authenticated and user.is_active):
        return False
    return is_admin(user) or user.groups.filter(name=MODERATORS_GROUP).exists()


def coordinated_network_ids(user: User) -> set[int]:
    if not (user.is_authenticated and user.is_active):
        return set()
    return set(m.NetworkCoordinator.objects.filter(user=user).values_list("network_id", flat=True))


def coordinates(user: User, network: m.Network) -> bool:
    return network.pk in coordinated_network_ids(user)


def can_edit_organisation(user: User, organisation: m.Organisation) -> bool:
    """The owner or an invited editor, or a site moderator."""
    if not (user.is_authenticated and user.is_active):
        return False
    if is_moderator(user):
        return True
    return m.OrganisationAccess.objects.filter(organisation=organisation, user=user).exists()


def is_owner(user: User, organisation: m.Organisation) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return m.OrganisationAccess.objects.filter(organisation=organisation, user=user, role=m.AccessRole.OWNER).exists()


# A coordinator's rights over an organisation come from its membership of
# their coalition, and only while that membership is alive: an application
# being considered, or an active membership. A rejected, suspended or excluded
# organisation is no longer the coalition's business (an outside review showed
# a coordinator approving a stranger's claim of a listing they had rejected).
REVIEWABLE_MEMBERSHIP = (m.MembershipStatus.APPLIED, m.MembershipStatus.ACTIVE)


def _coordinator_membership(user: User, organisation: m.Organisation, statuses: tuple[str, ...]) -> bool:
    networks = coordinated_network_ids(user)
    return bool(networks) and organisation.memberships.filter(network_id__in=networks, status__in=statuses).exists()


def can_moderate_organisation(user: User, organisation: m.Organisation) -> bool:
    """Who may look at an organisation's partner pages (protected addresses
    included): site moderators everywhere; a coordinator while the
    organisation applies to, or is an active member of, their coalition."""
    return is_moderator(user) or _coordinator_membership(user, organisation, REVIEWABLE_MEMBERSHIP)


def can_decide_organisation(user: User, organisation: m.Organisation) -> bool:
    """Who may take site-wide decisions on a listing (publish, reject, suspend,
    approve its change requests and claims): site moderators, and coordinators
    of a coalition it is an active member of. A new registration that applies
    to a coalition is that coalition's to approve or turn down while it is
    pending; once it is public, an application alone gives the coordinator
    the membership decision only."""
    if is_moderator(user) or _coordinator_membership(user, organisation, (m.MembershipStatus.ACTIVE,)):
        return True
    return organisation.status == m.PublicationStatus.PENDING and _coordinator_membership(
        user, organisation, (m.MembershipStatus.APPLIED,)
    )


def can_moderate_membership(user: User, membership: m.Membership) -> bool:
    return is_moderator(user) or membership.network_id in coordinated_network_ids(user)


def can_manage_editors(user: User, organisation: m.Organisation) -> bool:
    """Who invites and removes editors: an owner, or a site moderator. An
    invited editor edits the listing but does not decide who else may."""
    return is_moderator(user) or is_owner(user, organisation)

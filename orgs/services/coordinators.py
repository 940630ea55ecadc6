"""Who coordinates a coalition: a site moderator appoints an existing account
by its e-mail address, or removes a coordinator; the person is told by e-mail
either way. What a coordinator may then do is in ``orgs.permissions``.

A coordinator may also invite a co-coordinator by e-mail: a signed,
expiring, single-use link (``coordinator_invite``, ``coordinator_invitation_accept``),
as owners invite editors. Recorded: the appointment's date
(``NetworkCoordinator.created_at``) and who made it (``appointed_by``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import _notify, _require

log = logging.getLogger(__name__)

NOT_SITE_MODERATOR = gettext_lazy("Only a site moderator may appoint or remove a coalition's coordinators.")
NO_ACCOUNT = gettext_lazy("No account uses this address: ask the person to sign up first, then appoint them.")
ALREADY_COORDINATOR = gettext_lazy("This person already coordinates this coalition.")
SEVERAL_ACCOUNTS = gettext_lazy(
    "Several accounts use this address: ask an administrator to merge them, then appoint the person."
)
EMAIL_REQUIRED = gettext_lazy("Enter the e-mail address of the person's account.")
# Lazy: each is translated in the reader's language inside _mail.
APPOINTED_SUBJECT = gettext_lazy("Help Locator: you now coordinate “%(network)s”")
REMOVED_SUBJECT = gettext_lazy("Help Locator: you no longer coordinate “%(network)s”")


def _account(email: str) -> User:
    """The one active account of this address (its e-mail or its user name,
    as sign-in accepts either), compared case-insensitively."""
    address = email.strip()
    if not address:
        raise ValidationError({"email": [EMAIL_REQUIRED]})
    accounts = list(
        User.objects.filter(Q(email__iexact=address) | Q(username__iexact=address), is_active=True).order_by("pk")[:2]
    )
    if not accounts:
        raise ValidationError({"email": [NO_ACCOUNT]})
    if len(accounts) > 1:
        raise ValidationError({"email": [SEVERAL_ACCOUNTS]})
    return accounts[0]


def _check_actor(by: User | None) -> None:
    # ``by=None`` is the system acting: only ``manage.py appoint_coordinator``
    # passes it, for a new deployment's first coordinator, when no moderator
    # may exist yet. Every page and the admin pass the signed-in user.
    if by is not None:
        _require(permissions.is_moderator(by), NOT_SITE_MODERATOR)


def _mail(*, user: User, subject: Promise, template: str, network: m.Network, base_url: str) -> None:
    """The mail in the site's language (Russian by default): the project
    records no language per person, and the moderator's own page language
    says nothing about the reader's."""
    base = base_url.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "network": network,
            "link": f"{base}{reverse('frontend:partner:moderation')}" if base else "",
            "contact": settings.COORDINATORS_EMAIL,
        }
        _notify(
            to=[user.email or user.username],
            subject=str(subject) % {"network": network.name},
            body=render_to_string(f"orgs/email/{template}", context),
        )


@transaction.atomic
def coordinator_appoint(*, by: User | None, network: m.Network, email: str, base_url: str = "") -> m.NetworkCoordinator:
    """Make the account of ``email`` a coordinator of ``network`` and e-mail
    them what they may now do, with a link to their queue when ``base_url``
    (the site's address) is known. Refusals are ValidationErrors on ``email``."""
    _check_actor(by)
    user = _account(email)
    # The row lock makes two moderators appointing the same person at once
    # see each other's appointment instead of the unique constraint's error.
    m.Network.objects.select_for_update().get(pk=network.pk)
    if m.NetworkCoordinator.objects.filter(network=network, user=user).exists():
        raise ValidationError({"email": [ALREADY_COORDINATOR]})
    coordinator = m.NetworkCoordinator.objects.create(network=network, user=user, appointed_by=by)
    log.info(
        "coordinator appointed",
        extra={"network": network.slug, "coordinator": user.pk, "by": by.pk if by is not None else "system"},
    )
    _mail(
        user=user, subject=APPOINTED_SUBJECT, template="coordinator_appointed.txt", network=network, base_url=base_url
    )
    return coordinator


@transaction.atomic
def coordinator_remove(*, by: User, coordinator: m.NetworkCoordinator, base_url: str = "") -> None:
    """A site moderator ends a coordinator's appointment; the person is told."""
    _check_actor(by)
    row = m.NetworkCoordinator.objects.select_for_update().select_related("network", "user").filter(pk=coordinator.pk)
    found = row.first()
    if found is None:
        return  # removed meanwhile by another moderator: the outcome they asked for holds
    network, user = found.network, found.user
    found.delete()
    log.info(
        "coordinator removed",
        extra={"network": network.slug, "coordinator": user.pk, "by": by.pk if by is not None else "system"},
    )
    _mail(user=user, subject=REMOVED_SUBJECT, template="coordinator_removed.txt", network=network, base_url=base_url)


# --- co-coordinators, invited by a coordinator ----------------------------------

NOT_COORDINATOR_OF = gettext_lazy("Only a coordinator of this coalition or a site moderator may invite coordinators.")
INVITATION_INVALID = gettext_lazy(
    "This invitation link is invalid, has expired or was already used. Ask the coalition's coordinator for a new one."
)
INVITATION_OTHER_ADDRESS = gettext_lazy(
    "This invitation was sent to another e-mail address. Sign in with the account of that address "
    "(or create one with it), then open the link again."
)
INVITED_SUBJECT = gettext_lazy("Help Locator: you are invited to coordinate “%(network)s”")
INVITATION_SALT = "orgs.coordinator-invitation"
INVITATION_MAX_AGE = dt.timedelta(days=14)


def coordinator_invitation_token(invitation: m.CoordinatorInvitation) -> str:
    """Names the invitation only (the address stays out of the URL)."""
    return signing.dumps({"inv": invitation.pk}, salt=INVITATION_SALT)


def coordinator_invitation_from_token(token: str) -> m.CoordinatorInvitation:
    """The pending, unexpired invitation a token names, or a ValidationError on ``token``."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError({"token": [INVITATION_INVALID]}) from exc
    pk = payload.get("inv") if isinstance(payload, dict) else None
    invitation = m.CoordinatorInvitation.objects.select_related("network").filter(pk=int(pk or 0)).first()
    if invitation is None or invitation.status != "pending" or invitation.expires_at <= timezone.now():
        raise ValidationError({"token": [INVITATION_INVALID]})
    return invitation


@transaction.atomic
def coordinator_invite(*, by: User, network: m.Network, email: str, accept_url: str) -> m.CoordinatorInvitation:
    """A coordinator (or a site moderator) invites a co-coordinator; the link
    (``accept_url`` with the token) goes to that address only. Inviting the
    same address again renews its invitation."""
    _require(permissions.is_moderator(by) or permissions.coordinates(by, network), NOT_COORDINATOR_OF)
    address = email.strip().lower()
    if not address:
        raise ValidationError({"email": [EMAIL_REQUIRED]})
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    m.Network.objects.select_for_update().get(pk=network.pk)
    already = m.NetworkCoordinator.objects.filter(network=network).filter(
        Q(user__email__iexact=address) | Q(user__username__iexact=address)
    )
    if already.exists():
        raise ValidationError({"email": [ALREADY_COORDINATOR]})
    invitation = m.CoordinatorInvitation.objects.filter(network=network, email=address, status="pending").first()
    invitation = invitation or m.CoordinatorInvitation(network=network, email=address)
    invitation.invited_by = by
    invitation.expires_at = timezone.now() + INVITATION_MAX_AGE
    invitation.full_clean(exclude=["invited_by", "accepted_by"])
    invitation.save()
    link = f"{accept_url}?token={coordinator_invitation_token(invitation)}"
    with translation.override(settings.LANGUAGE_CODE):
        _notify(
            to=[address],
            subject=str(INVITED_SUBJECT) % {"network": network.name},
            body=render_to_string(
                "orgs/email/coordinator_invited.txt",
                {"network": network, "link": link, "days": INVITATION_MAX_AGE.days, "by": by.get_full_name()},
            ),
        )
    return invitation


@transaction.atomic
def coordinator_invitation_accept(*, user: User, token: str) -> m.NetworkCoordinator:
    """The invited person, signed in with the invited address, becomes a
    coordinator; the link works once."""
    found = coordinator_invitation_from_token(token)
    invitation = m.CoordinatorInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.status != "pending":
        raise ValidationError({"token": [INVITATION_INVALID]})
    addresses = {user.email.casefold(), user.get_username().casefold()}
    _require(bool(user.is_active) and invitation.email.casefold() in addresses, INVITATION_OTHER_ADDRESS)
    coordinator, _created = m.NetworkCoordinator.objects.get_or_create(
        network=invitation.network, user=user, defaults={"appointed_by": invitation.invited_by}
    )
    invitation.status = "accepted"
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save()
    log.info(
        "co-coordinator accepted",
        extra={"network": invitation.network.slug, "coordinator": user.pk, "by": invitation.invited_by_id},
    )
    return coordinator

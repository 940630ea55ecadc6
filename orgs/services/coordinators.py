"""Who coordinates a coalition: a site moderator appoints an existing account
by its e-mail address, or removes a coordinator; the person is told by e-mail
either way. What a coordinator may then do is in ``orgs.permissions``.

Recorded: the appointment's date (``NetworkCoordinator.created_at``) and, in
the log, who made it; the model has no column for the appointer, and this
slice adds no migration.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
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
    coordinator = m.NetworkCoordinator.objects.create(network=network, user=user)
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

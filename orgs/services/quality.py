"""A coordinator reminds a member's owners of what its listing lacks
(orgs.quality finds the gaps). The mail goes through the outbox with the
transaction; one reminder per listing a week, whoever sends it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from orgs import models as m
from orgs import permissions, quality
from orgs.services.common import NOT_ALLOWED, _notify, _owner_emails

NOTHING_MISSING = _("This listing lacks nothing: there is nothing to remind its owners of.")
REMINDED_RECENTLY = _("Its owners were reminded less than a week ago.")
NO_OWNER = _("Nobody manages this listing yet: there is no one to remind.")


@transaction.atomic
def quality_reminder_send(*, by: User, network: m.Network, organisation: m.Organisation, base_url: str = "") -> None:
    """E-mail the owners of ``organisation`` (an active member of ``network``,
    which ``by`` coordinates or moderates) what their listing lacks, with a
    link to its page in the partner area. Refusals are ValidationErrors."""
    member = m.Membership.objects.filter(
        network=network, organisation=organisation, status=m.MembershipStatus.ACTIVE
    ).exists()
    if not member or not (permissions.is_moderator(by) or permissions.coordinates(by, network)):
        raise PermissionDenied(NOT_ALLOWED)
    # Locked, so two coordinators pressing the button at once send one mail.
    org = m.Organisation.objects.select_for_update().get(pk=organisation.pk)
    gaps = quality.member_gaps(org)
    if not gaps:
        raise ValidationError(NOTHING_MISSING)
    sent = org.quality_reminded_at
    if sent is not None and sent > timezone.now() - quality.REMINDER_INTERVAL:
        raise ValidationError(REMINDED_RECENTLY)
    recipients = _owner_emails(org)
    if not recipients:
        raise ValidationError(NO_OWNER)
    base = base_url.rstrip("/")
    # The site's language (Russian by default): the project records no
    # language per person, and the coordinator's page language says nothing
    # about the owner's.
    with translation.override(settings.LANGUAGE_CODE):
        labels = [str(quality.GAPS[gap]) for gap in gaps]
        context = {
            "organisation": org,
            "network": network,
            "gaps": labels,
            "link": f"{base}{reverse('frontend:partner:organisation', args=[org.slug])}" if base else "",
            "contact": settings.COORDINATORS_EMAIL,
        }
        _notify(
            to=recipients,
            subject=str(_("Help Locator: the listing “%(name)s” needs a few details")) % {"name": org.name},
            body=render_to_string("orgs/email/quality_reminder.txt", context),
        )
    m.Organisation.objects.filter(pk=org.pk).update(quality_reminded_at=timezone.now())

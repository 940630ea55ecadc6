"""Keeping listings fresh: owners confirm "still accurate" (signed in, or by
the signed link in the reminder e-mail); a daily job reminds them and marks
year-old listings as stale."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs import models as m
from orgs import permissions
from orgs.services.common import NOT_ALLOWED, _notify, _owner_emails, _require

VERIFY_SALT = "orgs.verify"
VERIFY_LINK_MAX_AGE = dt.timedelta(days=60)


def verify_token(organisation: m.Organisation) -> str:
    return signing.dumps({"org": organisation.pk}, salt=VERIFY_SALT)


@transaction.atomic
def organisation_confirm_accurate(
    *, organisation: m.Organisation, user: User | None = None, token: str | None = None
) -> m.Organisation:
    """ "Still accurate": by an owner, or by the signed link in the reminder e-mail."""
    if token is not None:
        try:
            payload = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_LINK_MAX_AGE)
        except signing.BadSignature as exc:
            raise PermissionDenied(_("This link is invalid or has expired. Sign in to confirm.")) from exc
        _require(payload.get("org") == organisation.pk, NOT_ALLOWED)
    else:
        _require(user is not None and permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    m.Organisation.objects.filter(pk=organisation.pk).update(last_verified_at=timezone.localdate(), is_stale=False)
    organisation.refresh_from_db()
    return organisation


def verification_reminders(*, now: dt.datetime | None = None, base_url: str = "") -> dict[str, int]:
    """Remind owners whose listing was not confirmed for 6 months (once a
    month at most); mark listings not confirmed for 12 months as stale."""
    now = now or timezone.now()
    today = now.date()
    remind_before = today - dt.timedelta(days=182)
    stale_before = today - dt.timedelta(days=365)
    reminded = 0
    due = m.Organisation.objects.filter(
        status=m.PublicationStatus.PUBLISHED, last_verified_at__lt=remind_before
    ).filter(Q(verification_reminded_at__isnull=True) | Q(verification_reminded_at__lt=now - dt.timedelta(days=30)))
    for org in due.prefetch_related("access__user"):
        link = f"{base_url}/verify/{org.slug}/?token={verify_token(org)}"
        _notify(
            to=_owner_emails(org),
            subject=_("Help Locator: is “%(name)s” still accurate?") % {"name": org.name},
            body=_("Please check the listing and confirm it in one click: %(link)s") % {"link": link},
        )
        m.Organisation.objects.filter(pk=org.pk).update(verification_reminded_at=now)
        reminded += 1
    stale = m.Organisation.objects.filter(last_verified_at__lt=stale_before, is_stale=False).update(is_stale=True)
    fresh = m.Organisation.objects.filter(last_verified_at__gte=stale_before, is_stale=True).update(is_stale=False)
    return {"reminded": reminded, "marked_stale": stale, "unmarked": fresh}

"""Anyone may tell a listing is wrong ("wrong phone", "closed") without an
account: a short form with a trap field and limits. The suggestion goes to
the listing's owners and to the coordinators who decide it (an e-mail through
the outbox, and a line in their queue); whoever deals with it marks it done.

Nothing about the visitor is stored beyond what they typed (an optional
e-mail for a reply, erased when the correction is dealt with); the limits
count keyed hashes of the client's address in the shared cache, never the
address itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from locator import ratelimit
from orgs import models as m
from orgs import permissions
from orgs.services import notifications
from orgs.services.common import _notify, _require

HONEYPOT_FIELD = "website"
HONEYPOT_FILLED = gettext_lazy("Leave this field empty.")
CORRECTION_TEXT_REQUIRED = gettext_lazy("Say what is wrong, e.g. the right phone number or since when it is closed.")
KIND_REQUIRED = gettext_lazy("Choose what is wrong.")
TOO_MANY = gettext_lazy("Too many suggestions from here in the last hour. Please try again later.")
NOT_YOURS = gettext_lazy("Only the listing's team or its coordinators may mark a suggestion as dealt with.")
CORRECTION_SUBJECT = gettext_lazy("Help Locator: a visitor suggests a correction to %(name)s")

PER_CLIENT_PER_HOUR = 5
PER_LISTING_PER_DAY = 20
HOUR_S, DAY_S = 3600, 86400


class CorrectionsLimited(Exception):
    def __init__(self) -> None:
        super().__init__(str(TOO_MANY))
        self.message = str(TOO_MANY)


def _rate_key(kind: str, value: str) -> str:
    return "correction-rate:" + salted_hmac(f"correction-rate-{kind}", value).hexdigest()


def _count(*, organisation: m.Organisation, client_ip: str | None) -> None:
    # Count first, then compare (as the press limits do): workers answering at
    # once each get their own count. A refused suggestion is taken back.
    keys = [(_rate_key("listing", str(organisation.pk)), PER_LISTING_PER_DAY, DAY_S)]
    if client_ip:
        keys.insert(0, (_rate_key("ip", client_ip), PER_CLIENT_PER_HOUR, HOUR_S))
    counted: list[str] = []
    for key, limit, window in keys:
        counted.append(key)
        if ratelimit.hit(key, window_s=window) > limit:
            for done in counted:
                ratelimit.undo(done)
            raise CorrectionsLimited


@transaction.atomic
def correction_suggest(
    *, organisation: m.Organisation, data: Mapping[str, Any], client_ip: str | None, base_url: str = ""
) -> m.Correction:
    """``data``: kind, text, email (optional) and the trap field a person leaves empty."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        raise ValidationError({HONEYPOT_FIELD: [HONEYPOT_FILLED]})
    kind = str(data.get("kind") or "")
    text = str(data.get("text") or "").strip()
    errors: dict[str, list[Any]] = {}
    if kind not in m.CorrectionKind.values:
        errors["kind"] = [KIND_REQUIRED]
    if not text:
        errors["text"] = [CORRECTION_TEXT_REQUIRED]
    if errors:
        raise ValidationError(errors)
    correction = m.Correction(
        organisation=organisation, kind=kind, text=text, email=str(data.get("email") or "").strip()
    )
    correction.full_clean(exclude=["resolved_by"])
    _count(organisation=organisation, client_ip=client_ip)
    correction.save()
    _tell_owners(correction, base_url=base_url)
    notifications.queue_item_added(
        kind=notifications.CORRECTION,
        organisation=organisation,
        key=correction.pk,
        details=[_KindLabel(correction), text[:300]],
        base_url=base_url,
    )
    return correction


class _KindLabel:
    """The kind's label in the reader's language."""

    def __init__(self, correction: m.Correction) -> None:
        self.correction = correction

    def __str__(self) -> str:
        return str(m.CorrectionKind(self.correction.kind).label)


def _tell_owners(correction: m.Correction, *, base_url: str) -> None:
    org = correction.organisation
    base = notifications.site_url(base_url)
    for access in org.access.select_related("user"):
        user = access.user
        with translation.override(notifications.language_of(user)):
            _notify(
                to=[user.email or user.username],
                subject=str(CORRECTION_SUBJECT) % {"name": org.name},
                body=render_to_string(
                    "orgs/email/correction_owner.txt",
                    {
                        "org": org,
                        "correction": correction,
                        "kind": correction.get_kind_display(),
                        "link": f"{base}{reverse('frontend:partner:organisation', args=[org.slug])}" if base else "",
                        "contact": settings.COORDINATORS_EMAIL,
                    },
                ),
            )


def can_resolve(user: User, correction: m.Correction) -> bool:
    org = correction.organisation
    return permissions.can_edit_organisation(user, org) or permissions.can_moderate_organisation(user, org)


@transaction.atomic
def correction_resolve(*, user: User, correction: m.Correction) -> m.Correction:
    """Mark a suggestion dealt with; the visitor's e-mail is erased with it."""
    row = m.Correction.objects.select_for_update().select_related("organisation").get(pk=correction.pk)
    _require(can_resolve(user, row), NOT_YOURS)
    if row.resolved_at is None:
        row.resolved_at = timezone.now()
        row.resolved_by = user
        row.email = ""
        row.save(update_fields=["resolved_at", "resolved_by", "email", "updated_at"])
    return row

"""What a coordinator hears about their queue: an e-mail for each new item
(a registration, a change request, a claim, a membership application, a
visitor's correction) or one digest a day, by their choice
(``NotificationPreference``), in their language.

Who hears: the coordinators who may decide the item (``orgs.permissions``:
coordinators of a coalition the organisation is an active member of, or
applies to while it is pending; for an application, the coalition's own).
An item no coordinator covers would otherwise reach nobody, so it goes to the
site's coordinators' address (``COORDINATORS_EMAIL``), which site moderators
read. Mails go through the outbox in the caller's transaction: an item that
is rolled back announces nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import _notify

log = logging.getLogger(__name__)

REGISTRATION = "registration"
CHANGE = "change"
CLAIM = "claim"
MEMBERSHIP = "membership"
CORRECTION = "correction"

# What each kind of item is called in the mails (singular) and the digest (a heading).
KIND_LABELS = {
    REGISTRATION: pgettext_lazy("queue item", "A new organisation to check"),
    CHANGE: pgettext_lazy("queue item", "A change to a published listing"),
    CLAIM: pgettext_lazy("queue item", "A request to manage a listing"),
    MEMBERSHIP: pgettext_lazy("queue item", "An application to a coalition"),
    CORRECTION: pgettext_lazy("queue item", "A visitor's correction"),
}
ITEM_SUBJECT = gettext_lazy("Help Locator: %(what)s — %(name)s")
DIGEST_SUBJECT = gettext_lazy("Help Locator: %(count)s new in your queue")
ASKED_BY = gettext_lazy("Asked by: %(email)s")
SENT_BACK = gettext_lazy("Corrected and sent back after a rejection. The reason then: %(reason)s")
UNKNOWN_MODE = gettext_lazy("Choose an e-mail for each item or one digest a day.")
UNKNOWN_LANGUAGE = gettext_lazy("Choose one of the site's languages.")
# Digests go out once a day; a second run on the same day (a timer catching
# up after downtime) sends nothing new.
DIGEST_MIN_INTERVAL = dt.timedelta(hours=20)


def language_of(user: User | None) -> str:
    """The language of a person's mails: their choice, else the site's (Russian)."""
    if user is not None:
        pref = m.NotificationPreference.objects.filter(user=user).first()
        if pref is not None and pref.language:
            return pref.language
    return str(settings.LANGUAGE_CODE)


def site_url(base_url: str = "") -> str:
    """The site's address for links: the request's, else PUBLIC_BASE_URL (jobs, services without a request)."""
    return (base_url or getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")


def mode_of(user: User) -> str:
    pref = m.NotificationPreference.objects.filter(user=user).first()
    return pref.mode if pref is not None else m.NotificationMode.EACH


@transaction.atomic
def notification_preference_set(*, user: User, mode: str, language: str = "") -> m.NotificationPreference:
    if mode not in m.NotificationMode.values:
        raise ValidationError({"mode": [UNKNOWN_MODE]})
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": [UNKNOWN_LANGUAGE]})
    pref, _created = m.NotificationPreference.objects.get_or_create(user=user)
    pref.mode = mode
    pref.language = language
    pref.save(update_fields=["mode", "language"])
    return pref


def _deciders(organisation: m.Organisation, network: m.Network | None, kind: str) -> list[User]:
    if network is not None:
        return list(User.objects.filter(coordinates__network=network, is_active=True).distinct().order_by("pk"))
    networks = m.Membership.objects.filter(organisation=organisation, status__in=permissions.REVIEWABLE_MEMBERSHIP)
    users = User.objects.filter(coordinates__network__in=networks.values("network_id"), is_active=True)
    # A correction is news for every coalition that looks after the listing
    # (an applicant's too); a decision only for those who may take it, as in the queue.
    rule = permissions.can_moderate_organisation if kind == CORRECTION else permissions.can_decide_organisation
    return [u for u in users.distinct().order_by("pk") if rule(u, organisation)]


def _anchor(kind: str, key: str | int) -> str:
    prefix = {
        REGISTRATION: "org-",
        CHANGE: "change-",
        CLAIM: "claim-",
        MEMBERSHIP: "membership-",
        CORRECTION: "correction-",
    }.get(kind)
    return f"#{prefix}{key}" if prefix else ""


def queue_item_added(
    *,
    kind: str,
    organisation: m.Organisation,
    key: str | int = "",
    network: m.Network | None = None,
    details: Iterable[object] = (),
    base_url: str = "",
) -> int:
    """Tell the coordinators who decide this item that it waits (those who chose
    the digest hear of it there). ``details`` are short lines already in human
    words (the fields a change touches). Returns the number of mails queued."""
    base = site_url(base_url)
    sent = 0
    deciders = _deciders(organisation, network, kind)
    for user in deciders:
        if mode_of(user) == m.NotificationMode.DIGEST:
            continue
        _item_mail(
            to=user.email or user.username,
            language=language_of(user),
            kind=kind,
            organisation=organisation,
            network=network,
            details=details,
            link=f"{base}{reverse('frontend:partner:moderation')}{_anchor(kind, key)}" if base else "",
            settings_link=f"{base}{reverse('frontend:partner:notifications')}" if base else "",
        )
        sent += 1
    if not deciders:
        _item_mail(
            to=settings.COORDINATORS_EMAIL,
            language=str(settings.LANGUAGE_CODE),
            kind=kind,
            organisation=organisation,
            network=network,
            details=details,
            link=f"{base}{reverse('frontend:partner:moderation')}{_anchor(kind, key)}" if base else "",
            settings_link="",
        )
        sent += 1
    log.info("queue item announced", extra={"kind": kind, "mails": sent})
    return sent


def _item_mail(
    *,
    to: str,
    language: str,
    kind: str,
    organisation: m.Organisation,
    network: m.Network | None,
    details: Iterable[object],
    link: str,
    settings_link: str,
) -> None:
    with translation.override(language):
        what = str(KIND_LABELS[kind])
        context = {
            "what": what,
            "organisation": organisation,
            "network": network,
            "details": [str(d) for d in details],
            "link": link,
            "settings_link": settings_link,
        }
        _notify(
            to=[to],
            subject=str(ITEM_SUBJECT) % {"what": what, "name": organisation.name},
            body=render_to_string("orgs/email/queue_item.txt", context),
        )


# A change request's fields as people call them (never the column names).
CHANGE_LABELS: dict[str, Promise | str] = {
    "name": gettext_lazy("Name"),
    "ogrn": "ОГРН",
    "inn": "ИНН",
    "identifiers": gettext_lazy("Registry numbers of other countries"),
    "point": gettext_lazy("Where it is on the map"),
    "address": gettext_lazy("Address"),
    "city": gettext_lazy("Town or city"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "visibility": gettext_lazy("How exactly the place is shown"),
    "kind": gettext_lazy("Kind of place"),
}


SHOWN_AS_TEXT = {"name", "ogrn", "inn", "address", "city", "region"}


def change_summary(cr: m.ChangeRequest) -> list[str]:
    """What a change request asks, one line each, in the active language."""
    place = cr.changes.get("location")
    if isinstance(place, dict):
        if place.get("new") is not None:
            name = (place["new"] or {}).get("name") or (place["new"] or {}).get("city") or ""
            return [str(gettext_lazy("A new place: %(place)s")) % {"place": name}]
        old = place.get("old") or {}
        return [
            str(gettext_lazy("Removing the place “%(place)s”")) % {"place": old.get("name") or old.get("city") or ""}
        ]
    lines = []
    for field, change in cr.changes.items():
        label = str(CHANGE_LABELS.get(field, gettext_lazy("Other details")))
        if cr.location_id:
            label = f"{cr.location}: {label}"
        old, new = (change or {}).get("old"), (change or {}).get("new")
        # Words are shown as they were and will be; a point, a list or a code only by its label.
        if field in SHOWN_AS_TEXT and isinstance(new, str):
            label = f"{label}: «{old or '—'}» → «{new or '—'}»"
        lines.append(label)
    return lines


def change_requested(cr: m.ChangeRequest, *, base_url: str = "") -> m.ChangeRequest:
    """Announce an owner's change request to a published listing; returns it."""
    queue_item_added(kind=CHANGE, organisation=cr.organisation, key=cr.pk, details=_Summary(cr), base_url=base_url)
    return cr


def membership_applied(ms: m.Membership, *, base_url: str = "") -> None:
    """Announce an application. A pending registration's applications are
    announced with the registration itself (one mail, not one per coalition)."""
    if ms.organisation.status == m.PublicationStatus.PENDING:
        return
    queue_item_added(kind=MEMBERSHIP, organisation=ms.organisation, key=ms.pk, network=ms.network, base_url=base_url)


class Worded:
    """A message and its arguments, worded when the mail is written (in the reader's language)."""

    def __init__(self, message: Promise, **args: object) -> None:
        self.message, self.args = message, args

    def __str__(self) -> str:
        return str(self.message) % self.args


class _Summary:
    """A change's lines, worded when the mail is written (in the reader's language)."""

    def __init__(self, cr: m.ChangeRequest) -> None:
        self.cr = cr

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(change_summary(self.cr))


# --- the daily digest ----------------------------------------------------------------------


@dataclass
class DigestResult:
    sent: int = 0
    nothing_new: int = 0


def _digest_items(user: User) -> dict[str, list[tuple[str, dt.datetime]]]:
    """What waits in this person's queue: (organisation name, since when) per kind."""
    from orgs.corrections import corrections_open
    from orgs.moderation import moderation_queue

    queue = moderation_queue(user=user)
    names = dict(
        m.Organisation.objects.filter(
            slug__in={o["organisation"] for k in ("change_requests", "claims", "memberships") for o in queue[k]}
        ).values_list("slug", "name")
    )
    items: dict[str, list[tuple[str, dt.datetime]]] = {
        REGISTRATION: [(o["name"], o["created_at"]) for o in queue["organisations"]],
        CHANGE: [(names.get(c["organisation"], ""), c["created_at"]) for c in queue["change_requests"]],
        CLAIM: [(names.get(c["organisation"], ""), c["created_at"]) for c in queue["claims"]],
        MEMBERSHIP: [],
        CORRECTION: [(c.organisation.name, c.created_at) for c in corrections_open(user)],
    }
    applications = m.Membership.objects.filter(pk__in=[ms["id"] for ms in queue["memberships"]]).select_related(
        "organisation"
    )
    items[MEMBERSHIP] = [(ms.organisation.name, ms.created_at) for ms in applications]
    return items


def digest_send(*, base_url: str = "", now: dt.datetime | None = None) -> DigestResult:
    """Send each coordinator who chose the digest what waits for them, once a
    day, when something arrived since their last digest. Each person's digest
    is its own transaction, so one failure does not hold back the others."""
    now = now or timezone.now()
    base = site_url(base_url)
    result = DigestResult()
    prefs = m.NotificationPreference.objects.filter(mode=m.NotificationMode.DIGEST, user__is_active=True)
    for pref_id in prefs.values_list("pk", flat=True):
        with transaction.atomic():
            pref = m.NotificationPreference.objects.select_for_update().select_related("user").get(pk=pref_id)
            if pref.digest_sent_at is not None and now - pref.digest_sent_at < DIGEST_MIN_INTERVAL:
                continue
            user = pref.user
            if not (permissions.is_moderator(user) or permissions.coordinated_network_ids(user)):
                continue
            items = _digest_items(user)
            new = sum(
                1
                for rows in items.values()
                for _n, at in rows
                if pref.digest_sent_at is None or at > pref.digest_sent_at
            )
            if not new:
                result.nothing_new += 1
                continue
            language = pref.language or str(settings.LANGUAGE_CODE)
            with translation.override(language):
                sections = [
                    {
                        "label": str(KIND_LABELS[kind]),
                        "rows": [
                            {"name": name, "new": pref.digest_sent_at is None or at > pref.digest_sent_at}
                            for name, at in sorted(rows, key=lambda r: r[1])
                        ],
                    }
                    for kind, rows in items.items()
                    if rows
                ]
                context = {
                    "sections": sections,
                    "new": new,
                    "link": f"{base}{reverse('frontend:partner:moderation')}" if base else "",
                    "settings_link": f"{base}{reverse('frontend:partner:notifications')}" if base else "",
                }
                _notify(
                    to=[user.email or user.username],
                    subject=str(DIGEST_SUBJECT) % {"count": new},
                    body=render_to_string("orgs/email/queue_digest.txt", context),
                )
            pref.digest_sent_at = now
            pref.save(update_fields=["digest_sent_at"])
            result.sent += 1
    return result

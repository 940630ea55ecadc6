"""The e-mails partners get about a decision: which item (the organisation's
name, the change in human words), what was decided, the reason, what to do
next, and a link to the page where they can do it. Each recipient reads it in
their language (``NotificationPreference.language``, else the site's)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs.services.common import _notify
from orgs.services.notifications import change_summary, language_of, site_url

ORGANISATION_SUBJECT = gettext_lazy("Help Locator: %(name)s — %(status)s")
CHANGE_SUBJECT = gettext_lazy("Help Locator: your change to %(name)s was %(decision)s")
CLAIM_SUBJECT = gettext_lazy("Help Locator: your request to manage %(name)s was %(decision)s")


def _recipients(users: list[User]) -> list[tuple[str, str]]:
    """(address, language) once per address."""
    seen: dict[str, str] = {}
    for user in users:
        address = user.email or user.username
        if address and address not in seen:
            seen[address] = language_of(user)
    return sorted(seen.items())


def _owners(org: m.Organisation) -> list[User]:
    return [a.user for a in org.access.select_related("user")]


def _send(
    users: list[User], *, subject: Promise, subject_args: dict[str, Any], template: str, context: dict[str, Any]
) -> None:
    for address, language in _recipients(users):
        with translation.override(language):
            args = {k: str(v) for k, v in subject_args.items()}
            _notify(
                to=[address],
                subject=str(subject) % args,
                body=render_to_string(f"orgs/email/{template}", {**context, "contact": settings.COORDINATORS_EMAIL}),
            )


def _links(org: m.Organisation, base_url: str) -> dict[str, str]:
    base = site_url(base_url)
    if not base:
        return {"public": "", "manage": ""}
    return {
        "public": f"{base}{reverse('frontend:organisation', args=[org.slug])}",
        "manage": f"{base}{reverse('frontend:partner:organisation', args=[org.slug])}",
    }


def organisation_decided(org: m.Organisation, *, reason: str, base_url: str = "") -> None:
    _send(
        _owners(org),
        subject=ORGANISATION_SUBJECT,
        subject_args={"name": org.name, "status": org.get_status_display()},
        template="decision_organisation.txt",
        context={
            "org": org,
            "status": org.status,
            "status_label": org.get_status_display,
            "reason": reason,
            "published": org.status == m.PublicationStatus.PUBLISHED,
            **_links(org, base_url),
        },
    )


def change_decided(cr: m.ChangeRequest, *, reason: str, base_url: str = "") -> None:
    org = cr.organisation
    _send(
        [cr.requested_by, *_owners(org)],
        subject=CHANGE_SUBJECT,
        subject_args={"name": org.name, "decision": cr.get_status_display()},
        template="decision_change.txt",
        context={
            "org": org,
            "cr": cr,
            "approved": cr.status == m.Decision.APPROVED,
            "summary": _Lazy(lambda: change_summary(cr)),
            "reason": reason,
            **_links(org, base_url),
        },
    )


def claim_decided(claim: m.Claim, *, reason: str, base_url: str = "") -> None:
    org = claim.organisation
    _send(
        [claim.requested_by],
        subject=CLAIM_SUBJECT,
        subject_args={"name": org.name, "decision": claim.get_status_display()},
        template="decision_claim.txt",
        context={
            "org": org,
            "approved": claim.status == m.Decision.APPROVED,
            "reason": reason,
            **_links(org, base_url),
        },
    )


class _Lazy:
    """A value computed when the template reads it, so inside the recipient's language."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __str__(self) -> str:
        return str(self.fn())

    def __iter__(self) -> Any:
        return iter(self.fn())

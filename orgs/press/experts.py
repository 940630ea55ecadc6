"""An expert accepts or declines a press request, and what they chose to share.

The expert answers through the one-time link of an invitation
(orgs/press/matching.py sends it). On acceptance the journalist receives by
e-mail exactly the contacts the expert agreed to give, and the disclosure is
logged for the expert to see; on a decline, or when the link's time runs out,
the next expert is asked.

Experts' contacts leave the system only through ``invitation_answer`` (the
journalist's e-mail on acceptance) and the expert's own pages. No selector of
the press flow returns them to anyone else. The expert's profile (which
contacts may be given at all) is in orgs/press/profiles.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.press.closing import close_if_overdue
from orgs.press.links import mail, token_hash
from orgs.press.matching import ask_next, shareable_contacts
from orgs.press.rules import (
    CONTACT_EMAIL,
    CONTACT_NOT_ALLOWED,
    CONTACT_PHONE,
    LINK_EXPIRED,
    LINK_INVALID,
    LINK_USED,
    NOTHING_TO_SHARE,
    OPEN_STATUSES,
    REQUEST_NOT_OPEN,
    SHARE_SOMETHING,
    now_or_current,
)
from orgs.press.times import DEFAULT_ZONE

# --- the answer link -------------------------------------------------------------------


def invitation_by_token(*, token: str) -> m.ExpertInvitation | None:
    """The invitation an answer link opens (for the page with the two buttons)."""
    if not token:
        return None
    return (
        m.ExpertInvitation.objects.select_related("request", "expert", "expert__organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_state_error(invitation: m.ExpertInvitation, *, now: dt.datetime | None = None) -> str | None:
    """Why this invitation can no longer be answered, or None."""
    now = now_or_current(now)
    if invitation.status == m.InvitationStatus.EXPIRED or (
        invitation.status == m.InvitationStatus.SENT and invitation.expires_at <= now
    ):
        return str(LINK_EXPIRED)
    if invitation.status in (m.InvitationStatus.ACCEPTED, m.InvitationStatus.DECLINED):
        return str(LINK_USED)
    if invitation.status == m.InvitationStatus.CANCELLED or invitation.request.status not in OPEN_STATUSES:
        return str(REQUEST_NOT_OPEN)
    return None


# --- accepting or declining ------------------------------------------------------------


def invitation_answer(
    *,
    token: str,
    accept: bool,
    base_url: str,
    contacts: Sequence[str] | None = None,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> m.ExpertInvitation:
    """The expert accepts or declines through the one-time link.

    On acceptance the journalist is e-mailed exactly the contacts chosen
    (``contacts``, by default every one the profile allows; never one it does
    not), the disclosure is logged, and other experts' pending invitations are
    cancelled. On a decline the next expert is asked once nobody else is
    still deciding. A used, expired or cancelled link is refused
    (PermissionDenied with the reason); an expired one also passes the
    request on to the next expert, as the housekeeping would."""
    now = now_or_current(now)
    with transaction.atomic():
        found = m.ExpertInvitation.objects.select_for_update().filter(token_hash=token_hash(token or "")).first()
        if found is None:
            raise PermissionDenied(LINK_INVALID)
        invitation = found
        req = m.PressRequest.objects.select_for_update().get(pk=invitation.request_id)
        close_if_overdue(req, now=now)
        invitation.request = req
        problem = invitation_state_error(invitation, now=now)
        if problem is None:
            _answer(invitation, accept=accept, contacts=contacts, user=user, base_url=base_url, now=now)
        elif invitation.status == m.InvitationStatus.SENT and invitation.expires_at <= now:
            expire([invitation], base_url=base_url, now=now)
    # Raised after the commit, so an expiry noticed here is kept.
    if problem is not None:
        raise PermissionDenied(problem)
    return invitation


def _answer(
    invitation: m.ExpertInvitation,
    *,
    accept: bool,
    contacts: Sequence[str] | None,
    user: User | None,
    base_url: str,
    now: dt.datetime,
) -> None:
    req = invitation.request
    expert = invitation.expert
    invitation.responded_at = now
    if not accept:
        invitation.status = m.InvitationStatus.DECLINED
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
        if not req.invitations.filter(status=m.InvitationStatus.SENT).exists():
            ask_next(req, base_url=base_url, now=now)
        return

    allowed = shareable_contacts(expert)
    chosen = list(dict.fromkeys(contacts)) if contacts is not None else allowed
    if not chosen:
        raise ValidationError({"contacts": [NOTHING_TO_SHARE if allowed else SHARE_SOMETHING]})
    if any(c not in allowed for c in chosen):
        raise ValidationError({"contacts": [CONTACT_NOT_ALLOWED]})
    invitation.status = m.InvitationStatus.ACCEPTED
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)
    req.status = m.PressRequestStatus.FOUND
    req.save(update_fields=["status", "updated_at"])
    m.Disclosure.objects.create(
        expert=expert,
        request=req,
        journalist_email=req.email,
        contacts=chosen,
        by_user=user if user is not None and user.is_authenticated else None,
        by_expert=True,
    )
    mail(
        to=[req.email],
        subject=gettext_lazy("An expert agreed to comment: %(name)s"),
        subject_params={"name": expert.full_name},
        language=req.interface_language,
        template="press_contacts.txt",
        context={
            "req": req,
            "zone": req.time_zone,
            "expert": expert,
            "email": expert.email if CONTACT_EMAIL in chosen else "",
            "phone": expert.phone if CONTACT_PHONE in chosen else "",
        },
    )
    mail(
        to=[expert.email],
        subject=gettext_lazy("You agreed to comment for %(outlet)s"),
        subject_params={"outlet": req.outlet},
        language=expert.interface_language,
        template="press_accepted_expert.txt",
        context={
            "req": req,
            "expert": expert,
            "zone": expert.time_zone or DEFAULT_ZONE,
            "contacts": chosen,
            "profile_link": base_url.rstrip("/") + reverse("frontend:press:me"),
        },
    )


def expire(invitations: Sequence[m.ExpertInvitation], *, base_url: str, now: dt.datetime) -> int:
    """The expert did not answer in time: the invitations expire and, where
    nobody else is still deciding, the next expert is asked."""
    ids = [i.pk for i in invitations]
    m.ExpertInvitation.objects.filter(pk__in=ids, status=m.InvitationStatus.SENT).update(
        status=m.InvitationStatus.EXPIRED, updated_at=now
    )
    for req_id in sorted({i.request_id for i in invitations}):
        req = m.PressRequest.objects.select_for_update().get(pk=req_id)
        if (
            req.status == m.PressRequestStatus.SEARCHING
            and not req.invitations.filter(status=m.InvitationStatus.SENT).exists()
        ):
            ask_next(req, base_url=base_url, now=now)
    return len(ids)


# --- the expert's own record -----------------------------------------------------------


def disclosures_of_user(*, user: permissions.User) -> QuerySet[m.Disclosure]:
    """The expert's own log: every time one of their contacts went to a journalist."""
    if not user.is_authenticated:
        return m.Disclosure.objects.none()
    return m.Disclosure.objects.filter(expert__user_id=user.pk).select_related("expert", "request")


def invitations_of_user(*, user: permissions.User) -> QuerySet[m.ExpertInvitation]:
    if not user.is_authenticated:
        return m.ExpertInvitation.objects.none()
    return (
        m.ExpertInvitation.objects.filter(expert__user_id=user.pk)
        .select_related("request", "expert")
        .order_by("-created_at")
    )

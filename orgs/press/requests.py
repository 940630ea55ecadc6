"""A journalist's request: submitted without an account, confirmed through an
e-mailed link, followed and withdrawn through a private tracking link.

On confirmation the request goes to a coalition (that of the best-matching
expert, orgs/press/matching.py) and either to that expert at once, when the
coalition allows it, or to the coalition's coordinators
(orgs/press/coordination.py). The same request sent twice is saved once
(orgs/press/duplicates.py); well-formed requests are rate-limited per address
and per e-mail.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from locator import ratelimit
from orgs import models as m
from orgs.press.closing import close, close_if_overdue
from orgs.press.duplicates import lock_and_find_duplicate
from orgs.press.inputs import resolve_place, slugs_to
from orgs.press.links import link, mail, new_token, token_hash
from orgs.press.matching import ask_next, coordinator_emails, network_for
from orgs.press.rules import (
    DEADLINE_PAST,
    DEADLINE_TOO_FAR,
    HONEYPOT_FIELD,
    HONEYPOT_FILLED,
    LINK_INVALID,
    MAX_DEADLINE_AHEAD,
    OPEN_STATUSES,
    RATE_WINDOW_S,
    REQUEST_NOT_OPEN,
    REQUESTS_PER_EMAIL_PER_HOUR,
    REQUESTS_PER_IP_PER_HOUR,
    UNKNOWN_CATEGORY,
    UNKNOWN_NETWORK,
    UNKNOWN_TARGET,
    DuplicateRequest,
    RateLimited,
    language_name,
    now_or_current,
)
from orgs.press.times import DEFAULT_ZONE, looking_ends
from orgs.press.topics import route

# --- rate limits -----------------------------------------------------------------------


def _rate_key(kind: str, value: str) -> str:
    # A keyed hash: the cache never holds an address or e-mail in the clear.
    return "press-rate:" + salted_hmac(f"press-rate-{kind}", value.strip().lower()).hexdigest()


def _rate_keys(*, email: str, client_ip: str | None) -> list[tuple[str, int]]:
    keys = [(_rate_key("email", email), REQUESTS_PER_EMAIL_PER_HOUR)]
    if client_ip:
        keys.append((_rate_key("ip", client_ip), REQUESTS_PER_IP_PER_HOUR))
    return keys


def _rate_check_and_count(*, email: str, client_ip: str | None) -> None:
    # Count first, then compare: workers answering at once each get their own
    # count from the shared cache, so exactly the allowed number pass. A refused
    # request is taken back and does not count against the next.
    counted: list[str] = []
    for key, limit in _rate_keys(email=email, client_ip=client_ip):
        counted.append(key)
        if ratelimit.hit(key, window_s=RATE_WINDOW_S) > limit:
            for done in counted:
                ratelimit.undo(done)
            raise RateLimited


# --- submitting and confirming ---------------------------------------------------------


@dataclass(frozen=True)
class Created:
    request: m.PressRequest
    confirm_token: str


@transaction.atomic
def press_request_create(
    *, data: Mapping[str, Any], client_ip: str | None, base_url: str, now: dt.datetime | None = None
) -> Created:
    """A journalist's request, waiting for confirmation by the e-mailed link.

    ``data``: journalist_name, outlet, email, phone, topic, questions,
    categories and target_groups (slugs), place (a town's name) or place_id,
    region, language, format, deadline (aware), network (slug, optional) and
    the honeypot field, which a person leaves empty. Refused with
    ``RateLimited`` beyond the per-address and per-e-mail limits; the client
    address is not stored."""
    now = now_or_current(now)
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        raise ValidationError({HONEYPOT_FIELD: [HONEYPOT_FILLED]})
    deadline = data.get("deadline")
    if not isinstance(deadline, dt.datetime):
        raise ValidationError({"deadline": [_("Give the deadline: a date and time.")]})
    if timezone.is_naive(deadline):
        raise ValidationError({"deadline": [_("Give the deadline with its time zone.")]})
    if deadline <= now:
        raise ValidationError({"deadline": [DEADLINE_PAST]})
    if deadline > now + MAX_DEADLINE_AHEAD:
        raise ValidationError({"deadline": [DEADLINE_TOO_FAR]})
    categories = slugs_to(m.Category, data.get("categories") or [], "categories", UNKNOWN_CATEGORY)
    targets = slugs_to(m.TargetGroup, data.get("target_groups") or [], "target_groups", UNKNOWN_TARGET)
    place = resolve_place(data)
    network = None
    if data.get("network"):
        network = m.Network.objects.filter(slug=data["network"]).first()
        if network is None:
            raise ValidationError({"network": [UNKNOWN_NETWORK]})
    confirm_raw, confirm_hash = new_token()
    _unused, tracking_hash = new_token()  # replaced on confirmation, when the journalist gets the link
    req = m.PressRequest(
        journalist_name=str(data.get("journalist_name") or "").strip(),
        outlet=str(data.get("outlet") or "").strip(),
        email=str(data.get("email") or "").strip(),
        phone=str(data.get("phone") or "").strip(),
        topic=str(data.get("topic") or "").strip(),
        questions=str(data.get("questions") or "").strip(),
        place=place,
        region=str(data.get("region") or "").strip(),
        language=data.get("language") or "ru",
        format=data.get("format") or m.PressFormat.WRITTEN,
        deadline=deadline,
        status=m.PressRequestStatus.UNCONFIRMED,
        confirm_token_hash=confirm_hash,
        tracking_token_hash=tracking_hash,
        network=network,
        time_zone=_zone_of(deadline, data),
        interface_language=_interface_language(),
    )
    req.full_clean()
    # The same request sent again (a double click, two at once) is not saved twice.
    if lock_and_find_duplicate(email=req.email, topic=req.topic, questions=req.questions, now=now) is not None:
        raise DuplicateRequest
    # Counted only for well-formed requests, just before anything is written or sent.
    _rate_check_and_count(email=req.email, client_ip=client_ip)
    req.save()
    req.categories.set(categories)
    req.target_groups.set(targets)
    mail(
        to=[req.email],
        subject=gettext_lazy("Confirm your request for an expert comment"),
        language=req.interface_language,
        template="press_confirm.txt",
        context={
            "req": req,
            "zone": req.time_zone,
            "link": link(base_url, "frontend:press:confirm", t=confirm_raw),
            **_asked(req),
        },
    )
    return Created(req, confirm_raw)


def _zone_of(deadline: dt.datetime, data: Mapping[str, Any]) -> str:
    """The journalist's clock: the zone she typed the deadline in."""
    named = str(data.get("deadline_zone") or getattr(deadline.tzinfo, "key", "") or "")
    try:
        zoneinfo.ZoneInfo(named)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return named


def _interface_language() -> str:
    """The language she used the site in: her e-mails are written in it."""
    code = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _asked(req: m.PressRequest) -> dict[str, Any]:
    """What she asked, for the e-mails that show it back to her."""
    return {
        "topics": list(req.categories.all()),
        "targets": list(req.target_groups.all()),
        "language_name": language_name(req.language),
    }


def _request_by(field: str, token: str) -> m.PressRequest:
    if not token:
        raise PermissionDenied(LINK_INVALID)
    req = m.PressRequest.objects.select_for_update().filter(**{field: token_hash(token)}).first()
    if req is None:
        raise PermissionDenied(LINK_INVALID)
    return req


def press_request_pending_confirmation(*, token: str) -> m.PressRequest | None:
    """The request a confirm link opens (for the page that asks to confirm), or None."""
    if not token:
        return None
    return m.PressRequest.objects.filter(confirm_token_hash=token_hash(token)).first()


def press_request_confirm(
    *, token: str, base_url: str, now: dt.datetime | None = None
) -> tuple[m.PressRequest, str | None]:
    """The journalist confirmed the address: the request is received, routed to
    a coalition, sent to the best expert when the coalition allows it, or
    announced to its coordinators. Returns the request and the new private
    tracking token (None when the link had already been used)."""
    now = now_or_current(now)
    with transaction.atomic():
        req = _request_by("confirm_token_hash", token)
        if req.status != m.PressRequestStatus.UNCONFIRMED:
            return req, None
        overdue = req.deadline <= now
        if overdue:
            close([req], now=now)
        else:
            tracking_raw = _confirm(req, base_url=base_url, now=now)
    # Raised after the commit: the request is closed even though the answer is a refusal.
    if overdue:
        raise PermissionDenied(REQUEST_NOT_OPEN)
    return req, tracking_raw


def _confirm(req: m.PressRequest, *, base_url: str, now: dt.datetime) -> str:
    tracking_raw, tracking_hash = new_token()
    req.tracking_token_hash = tracking_hash
    req.status = m.PressRequestStatus.RECEIVED
    req.confirmed_at = now
    networks = route(req)
    if req.network_id is None:
        # The first fitting coalition; with none declaring the topic, that of
        # the best-matching expert (site moderators see every request anyway).
        req.network = networks[0] if networks else network_for(req, now=now)
        if req.network is not None and not networks:
            req.networks.set([req.network])
    req.save()
    mail(
        to=[req.email],
        subject=gettext_lazy("Your request is received: follow it here"),
        language=req.interface_language,
        template="press_tracking.txt",
        context={
            "req": req,
            "zone": req.time_zone,
            "looking_ends": looking_ends(req),
            "link": link(base_url, "frontend:press:track", t=tracking_raw),
            **_asked(req),
        },
    )
    auto = [n for n in req.networks.all() if n.auto_match_experts]
    if auto:
        ask_next(req, base_url=base_url, now=now, sent_by=None)
    else:
        mail(
            to=coordinator_emails(req),
            subject=gettext_lazy("A journalist asks for an expert comment: %(topic)s"),
            subject_params={"topic": req.topic[:80]},
            template="press_coordinators.txt",
            context={
                "req": req,
                "zone": req.time_zone,
                "networks": list(req.networks.all()),
                "link": base_url.rstrip("/") + reverse("frontend:press:coordinate", args=[req.pk]),
                **_asked(req),
            },
        )
    return tracking_raw


# --- following and withdrawing ---------------------------------------------------------


def press_request_track(*, token: str, now: dt.datetime | None = None) -> m.PressRequest:
    """The request a private tracking link opens; a request past its deadline
    is closed on the way (the scheduled housekeeping does the same)."""
    with transaction.atomic():
        req = _request_by("tracking_token_hash", token)
        if req.status == m.PressRequestStatus.UNCONFIRMED:
            raise PermissionDenied(LINK_INVALID)
        close_if_overdue(req, now=now_or_current(now))
    return req


def press_request_withdraw(*, token: str, now: dt.datetime | None = None) -> m.PressRequest:
    """The journalist withdraws the request; unanswered invitations are cancelled."""
    now = now_or_current(now)
    with transaction.atomic():
        req = _request_by("tracking_token_hash", token)
        if req.status == m.PressRequestStatus.UNCONFIRMED:
            raise PermissionDenied(LINK_INVALID)
        close_if_overdue(req, now=now)
        can_withdraw = req.status in (*OPEN_STATUSES, m.PressRequestStatus.FOUND)
        if can_withdraw:
            req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)
            req.status = m.PressRequestStatus.WITHDRAWN
            req.closed_at = now
            req.save(update_fields=["status", "closed_at", "updated_at"])
    if not can_withdraw:
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    return req

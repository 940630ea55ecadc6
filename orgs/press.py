"""Journalists ask for an expert comment; experts decide case by case.

The flow: a journalist submits a request (no account) and confirms it through
an e-mailed link; the request goes to a coalition (from its topic). Either the
coalition's coordinators (or a site moderator) look at the ranking of experts
and send it to one or more of them, or, when the coalition allows it, it goes
to the best match automatically. An expert answers through one-time links
that expire; on acceptance the journalist receives exactly the contacts the
expert chose to share, and the disclosure is logged; on a decline or no answer
the next expert is asked.

Experts' contacts leave the system only through ``invitation_answer`` (the
journalist's e-mail on acceptance) and the expert's own pages. No selector
here returns them to anyone else.

Tokens (confirm, tracking, answer) are random, sent once by e-mail and stored
as SHA-256 hashes, so the database alone cannot open a request or answer for
an expert. Links carry them in the query string, which the production access
log leaves out (deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from locator import ratelimit
from orgs import gazetteer, permissions
from orgs import models as m
from orgs.press_duplicates import lock_and_find_duplicate

# --- settings of the flow ------------------------------------------------------------

# A journalist on a deadline needs an answer within hours; an expert who has not
# answered by then is passed over for the next one.
INVITATION_TTL = dt.timedelta(hours=12)
# An expert who declined an outlet is not asked again for its requests for this long.
DECLINED_OUTLET_COOLDOWN = dt.timedelta(days=90)
# An unconfirmed request holds someone's address; it is deleted if not
# confirmed within this time (or by its deadline, whichever comes first).
UNCONFIRMED_TTL = dt.timedelta(hours=48)
MAX_DEADLINE_AHEAD = dt.timedelta(days=90)
# The signed link an organisation's owner sends a person to create their expert profile.
EXPERT_JOIN_SALT = "orgs.press.expert-join"
EXPERT_JOIN_MAX_AGE = dt.timedelta(days=14)
# Rate limits (fixed one-hour windows in the shared cache, locator/ratelimit.py;
# the client address and the e-mail are kept there only as keyed hashes).
RATE_WINDOW_S = 3600
REQUESTS_PER_EMAIL_PER_HOUR = 3
REQUESTS_PER_IP_PER_HOUR = 10
HONEYPOT_FIELD = "website"

CONTACT_EMAIL = "email"
CONTACT_PHONE = "phone"
CONTACT_KINDS = (CONTACT_EMAIL, CONTACT_PHONE)

OPEN_STATUSES = (m.PressRequestStatus.RECEIVED, m.PressRequestStatus.SEARCHING, m.PressRequestStatus.NO_EXPERT)
ACTIVE_STATUSES = (m.PressRequestStatus.UNCONFIRMED, *OPEN_STATUSES)

# --- messages users see (tests assert on them) ------------------------------------------

RATE_LIMITED = gettext_lazy(
    "Too many requests from this address in the last hour. Please wait an hour and try again, "
    "or write to the coalition directly."
)
DUPLICATE_REQUEST = gettext_lazy(
    "This request was already sent a moment ago: it is saved once. Open the link in the e-mail we sent to confirm it."
)
HONEYPOT_FILLED = gettext_lazy("Leave this field empty.")
LINK_INVALID = gettext_lazy("This link is not valid. Check that you copied the whole link from the e-mail.")
LINK_USED = gettext_lazy("This link has already been used.")
LINK_EXPIRED = gettext_lazy("This link has expired: the request went on to another expert or closed.")
REQUEST_NOT_OPEN = gettext_lazy("This request is no longer open.")
DEADLINE_PAST = gettext_lazy("The deadline must be in the future.")
DEADLINE_TOO_FAR = gettext_lazy("The deadline can be at most 90 days ahead.")
UNKNOWN_PLACE = gettext_lazy("We do not know a town called “%(q)s”. Check the spelling or leave it empty.")
UNKNOWN_CATEGORY = gettext_lazy("Unknown topic: %(values)s. Choose from the list.")
UNKNOWN_TARGET = gettext_lazy("Unknown target group: %(values)s. Choose from the list.")
UNKNOWN_NETWORK = gettext_lazy("Unknown coalition.")
NOT_COORDINATOR = gettext_lazy("Only a coordinator of this request's coalition or a site moderator may do this.")
NOT_OWNER = gettext_lazy("Only an owner of this organisation may invite its experts.")
NOT_YOUR_PROFILE = gettext_lazy("This is not your expert profile.")
EXPERT_NOT_ELIGIBLE = gettext_lazy(
    "%(name)s cannot be asked: paused, already asked, declined this outlet recently, or not matching the request."
)
CHOOSE_EXPERT = gettext_lazy("Choose at least one expert.")
NOTHING_TO_SHARE = gettext_lazy("Choose at least one contact to give the journalist.")
CONTACT_NOT_ALLOWED = gettext_lazy("Your profile does not allow sharing this contact, or it is empty.")
SHARE_SOMETHING = gettext_lazy("Allow at least one contact (e-mail or phone) to be given to journalists.")
ALREADY_EXPERT = gettext_lazy("You already have an expert profile in this organisation.")


class DuplicateRequest(Exception):
    """The same request from the same address was just saved (orgs/press_duplicates.py)."""

    def __init__(self) -> None:
        super().__init__(str(DUPLICATE_REQUEST))
        self.message = str(DUPLICATE_REQUEST)


class RateLimited(Exception):
    """Too many requests from one address or one e-mail in the window."""

    def __init__(self) -> None:
        super().__init__(str(RATE_LIMITED))
        self.message = str(RATE_LIMITED)


# --- tokens, mail ----------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, _token_hash(raw)


def _link(base_url: str, name: str, **query: str) -> str:
    return f"{base_url.rstrip('/')}{reverse(name)}?{urlencode(query)}"


def _mail(*, to: Iterable[str], subject: str, template: str, context: Mapping[str, Any]) -> None:
    recipients = sorted({address for address in to if address})
    if recipients:
        body = render_to_string(f"orgs/email/{template}", dict(context))
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


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


# --- the journalist's request ----------------------------------------------------------


@dataclass(frozen=True)
class Created:
    request: m.PressRequest
    confirm_token: str


def _slugs_to(model: Any, slugs: Sequence[str], field: str, message: Any) -> list[Any]:
    slugs = list(dict.fromkeys(s for s in slugs if s))
    found = list(model.objects.filter(slug__in=slugs))
    unknown = sorted(set(slugs) - {obj.slug for obj in found})
    if unknown:
        raise ValidationError({field: [message % {"values": ", ".join(unknown)}]})
    return found


def _resolve_place(data: Mapping[str, Any]) -> m.Place | None:
    if data.get("place_id"):
        place = m.Place.objects.filter(pk=data["place_id"]).first()
        if place is None:
            raise ValidationError({"place_id": [UNKNOWN_PLACE % {"q": data["place_id"]}]})
        return place
    name = str(data.get("place") or "").strip()
    if not name:
        return None
    place, _alternatives = gazetteer.place_resolve(q=name)
    if place is None:
        raise ValidationError({"place": [UNKNOWN_PLACE % {"q": name}]})
    return place


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
    now = _now(now)
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
    categories = _slugs_to(m.Category, data.get("categories") or [], "categories", UNKNOWN_CATEGORY)
    targets = _slugs_to(m.TargetGroup, data.get("target_groups") or [], "target_groups", UNKNOWN_TARGET)
    place = _resolve_place(data)
    network = None
    if data.get("network"):
        network = m.Network.objects.filter(slug=data["network"]).first()
        if network is None:
            raise ValidationError({"network": [UNKNOWN_NETWORK]})
    confirm_raw, confirm_hash = _new_token()
    _unused, tracking_hash = _new_token()  # replaced on confirmation, when the journalist gets the link
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
    _mail(
        to=[req.email],
        subject=_("Confirm your request for an expert comment"),
        template="press_confirm.txt",
        context={"req": req, "link": _link(base_url, "frontend:press:confirm", t=confirm_raw)},
    )
    return Created(req, confirm_raw)


def _request_by(field: str, token: str) -> m.PressRequest:
    if not token:
        raise PermissionDenied(LINK_INVALID)
    req = m.PressRequest.objects.select_for_update().filter(**{field: _token_hash(token)}).first()
    if req is None:
        raise PermissionDenied(LINK_INVALID)
    return req


def press_request_pending_confirmation(*, token: str) -> m.PressRequest | None:
    """The request a confirm link opens (for the page that asks to confirm), or None."""
    if not token:
        return None
    return m.PressRequest.objects.filter(confirm_token_hash=_token_hash(token)).first()


def press_request_confirm(
    *, token: str, base_url: str, now: dt.datetime | None = None
) -> tuple[m.PressRequest, str | None]:
    """The journalist confirmed the address: the request is received, routed to
    a coalition, sent to the best expert when the coalition allows it, or
    announced to its coordinators. Returns the request and the new private
    tracking token (None when the link had already been used)."""
    now = _now(now)
    with transaction.atomic():
        req = _request_by("confirm_token_hash", token)
        if req.status != m.PressRequestStatus.UNCONFIRMED:
            return req, None
        overdue = req.deadline <= now
        if overdue:
            _close([req], now=now)
        else:
            tracking_raw = _confirm(req, base_url=base_url, now=now)
    # Raised after the commit: the request is closed even though the answer is a refusal.
    if overdue:
        raise PermissionDenied(REQUEST_NOT_OPEN)
    return req, tracking_raw


def _confirm(req: m.PressRequest, *, base_url: str, now: dt.datetime) -> str:
    tracking_raw, tracking_hash = _new_token()
    req.tracking_token_hash = tracking_hash
    req.status = m.PressRequestStatus.RECEIVED
    req.confirmed_at = now
    if req.network_id is None:
        req.network = _network_for(req, now=now)
    req.save()
    _mail(
        to=[req.email],
        subject=_("Your request is received: follow it here"),
        template="press_tracking.txt",
        context={"req": req, "link": _link(base_url, "frontend:press:track", t=tracking_raw)},
    )
    if req.network is not None and req.network.auto_match_experts:
        _ask_next(req, base_url=base_url, now=now, sent_by=None)
    else:
        _mail(
            to=_coordinator_emails(req),
            subject=_("A journalist asks for an expert comment: %(topic)s") % {"topic": req.topic[:80]},
            template="press_coordinators.txt",
            context={"req": req, "link": base_url.rstrip("/") + reverse("frontend:press:coordinate", args=[req.pk])},
        )
    return tracking_raw


def _coordinator_emails(req: m.PressRequest) -> list[str]:
    if req.network_id is not None:
        users = User.objects.filter(coordinates__network_id=req.network_id, is_active=True)
        emails = list(users.values_list("email", flat=True))
        if emails:
            return emails
    moderators = User.objects.filter(is_active=True).filter(
        Q(groups__name=permissions.MODERATORS_GROUP) | Q(is_superuser=True)
    )
    return list(moderators.values_list("email", flat=True).distinct())


def _network_for(req: m.PressRequest, *, now: dt.datetime) -> m.Network | None:
    """The coalition whose coordinators handle a request: that of the
    organisation of the best-matching expert (one of its active memberships,
    by name). None when no expert matches: site moderators handle it."""
    ranking = experts_ranked(press_request=req, now=now, limit=1, any_network=True)
    if not ranking:
        return None
    membership = (
        m.Membership.objects.filter(organisation_id=ranking[0].expert.organisation_id, status=m.MembershipStatus.ACTIVE)
        .select_related("network")
        .order_by("-network__auto_match_experts", "network__name")
        .first()
    )
    return membership.network if membership else None


def press_request_track(*, token: str, now: dt.datetime | None = None) -> m.PressRequest:
    """The request a private tracking link opens; a request past its deadline
    is closed on the way (the scheduled housekeeping does the same)."""
    with transaction.atomic():
        req = _request_by("tracking_token_hash", token)
        if req.status == m.PressRequestStatus.UNCONFIRMED:
            raise PermissionDenied(LINK_INVALID)
        _close_if_overdue(req, now=_now(now))
    return req


def press_request_withdraw(*, token: str, now: dt.datetime | None = None) -> m.PressRequest:
    """The journalist withdraws the request; unanswered invitations are cancelled."""
    now = _now(now)
    with transaction.atomic():
        req = _request_by("tracking_token_hash", token)
        if req.status == m.PressRequestStatus.UNCONFIRMED:
            raise PermissionDenied(LINK_INVALID)
        _close_if_overdue(req, now=now)
        can_withdraw = req.status in (*OPEN_STATUSES, m.PressRequestStatus.FOUND)
        if can_withdraw:
            req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)
            req.status = m.PressRequestStatus.WITHDRAWN
            req.closed_at = now
            req.save(update_fields=["status", "closed_at", "updated_at"])
    if not can_withdraw:
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    return req


def _close(requests: Sequence[m.PressRequest], *, now: dt.datetime) -> None:
    ids = [r.pk for r in requests]
    m.ExpertInvitation.objects.filter(request_id__in=ids, status=m.InvitationStatus.SENT).update(
        status=m.InvitationStatus.CANCELLED
    )
    m.PressRequest.objects.filter(pk__in=ids).update(status=m.PressRequestStatus.CLOSED, closed_at=now, updated_at=now)
    for r in requests:
        r.status, r.closed_at = m.PressRequestStatus.CLOSED, now


def _close_if_overdue(req: m.PressRequest, *, now: dt.datetime) -> None:
    if req.status in ACTIVE_STATUSES and req.deadline <= now:
        _close([req], now=now)


# --- matching --------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedExpert:
    """An expert proposed for a request. Carries no contact: it is shown to coordinators."""

    expert: m.Expert
    topic_score: int
    language_match: bool
    distance_m: float | None

    @property
    def distance_km(self) -> int | None:
        return None if self.distance_m is None else round(self.distance_m / 1000)


def _category_links() -> dict[int, int | None]:
    return dict(m.Category.objects.values_list("id", "parent_id"))


def _ancestors(cat: int, parents: Mapping[int, int | None]) -> set[int]:
    out: set[int] = set()
    current = parents.get(cat)
    while current is not None and current not in out:
        out.add(current)
        current = parents.get(current)
    return out


def topic_score(request_topics: Iterable[int], expert_topics: Iterable[int], parents: Mapping[int, int | None]) -> int:
    """2 for each of the request's topics the expert names exactly; 1 when the
    expert names a broader topic above it, or a narrower one below it."""
    expert_set = set(expert_topics)
    below: dict[int, set[int]] = {}
    for topic in expert_set:
        for ancestor in _ancestors(topic, parents):
            below.setdefault(ancestor, set()).add(topic)
    score = 0
    for cat in set(request_topics):
        if cat in expert_set:
            score += 2
        elif _ancestors(cat, parents) & expert_set or below.get(cat):
            score += 1
    return score


def _eligible_experts(req: m.PressRequest, *, now: dt.datetime, any_network: bool) -> QuerySet[m.Expert]:
    qs = m.Expert.objects.filter(paused=False, organisation__status=m.PublicationStatus.PUBLISHED).exclude(email="")
    if req.network_id is not None and not any_network:
        qs = qs.filter(
            Exists(
                m.Membership.objects.filter(
                    organisation_id=OuterRef("organisation_id"),
                    network_id=req.network_id,
                    status=m.MembershipStatus.ACTIVE,
                )
            )
        )
    if req.format == m.PressFormat.CAMERA:
        qs = qs.filter(on_camera=True)
    if req.pk:
        qs = qs.exclude(Exists(m.ExpertInvitation.objects.filter(request_id=req.pk, expert_id=OuterRef("pk"))))
    declined_outlet = m.ExpertInvitation.objects.filter(
        expert_id=OuterRef("pk"),
        status=m.InvitationStatus.DECLINED,
        responded_at__gte=now - DECLINED_OUTLET_COOLDOWN,
        request__outlet__iexact=req.outlet.strip(),
    )
    return qs.exclude(Exists(declined_outlet))


def experts_ranked(
    *,
    press_request: m.PressRequest,
    now: dt.datetime | None = None,
    limit: int | None = None,
    any_network: bool = False,
) -> list[RankedExpert]:
    """Experts who may be asked, best first: topic fit (the request's
    categories, their broader and narrower ones), then the request's language,
    then geodesic distance from the request's town (experts without a town
    last). Skipped: paused experts, experts of unpublished organisations, those
    already asked for this request, those who declined the same outlet in the
    last 90 days, experts outside the request's coalition, and for an on-camera
    request those who do not appear on camera."""
    req = press_request
    now = _now(now)
    qs = (
        _eligible_experts(req, now=now, any_network=any_network)
        .select_related("organisation")
        .prefetch_related("topics")
    )
    origin = None
    if req.place_id is not None and req.place is not None:
        origin = Point(req.place.point.x, req.place.point.y, srid=4326)
        qs = qs.annotate(distance=Distance("place__point", origin))
    request_topics = list(req.categories.values_list("pk", flat=True)) if req.pk else []
    parents = _category_links() if request_topics else {}
    ranked: list[RankedExpert] = []
    for expert in qs:
        score = topic_score(request_topics, (t.pk for t in expert.topics.all()), parents) if request_topics else 0
        if request_topics and score == 0:
            continue
        distance = getattr(expert, "distance", None)
        ranked.append(
            RankedExpert(
                expert=expert,
                topic_score=score,
                language_match=req.language in (expert.languages or []),
                distance_m=distance.m if distance is not None else None,
            )
        )
    ranked.sort(
        key=lambda r: (
            -r.topic_score,
            not r.language_match,
            r.distance_m is None,
            r.distance_m or 0.0,
            r.expert.pk,
        )
    )
    return ranked[:limit] if limit is not None else ranked


# --- coordinators ----------------------------------------------------------------------


def can_coordinate(user: permissions.User, req: m.PressRequest) -> bool:
    if permissions.is_moderator(user):
        return True
    return req.network_id is not None and req.network_id in permissions.coordinated_network_ids(user)


def press_requests_for(*, user: permissions.User, now: dt.datetime | None = None) -> QuerySet[m.PressRequest]:
    """Confirmed requests a coordinator (their coalitions') or moderator (all) may see."""
    close_overdue(now=_now(now))
    qs = m.PressRequest.objects.exclude(status=m.PressRequestStatus.UNCONFIRMED).select_related("network", "place")
    if not permissions.is_moderator(user):
        qs = qs.filter(network_id__in=permissions.coordinated_network_ids(user))
    return qs.order_by("deadline")


def press_request_for_coordinator(*, user: permissions.User, pk: int, now: dt.datetime | None = None) -> m.PressRequest:
    req = m.PressRequest.objects.select_related("network", "place").filter(pk=pk).first()
    if req is None or req.status == m.PressRequestStatus.UNCONFIRMED or not can_coordinate(user, req):
        raise PermissionDenied(NOT_COORDINATOR)
    with transaction.atomic():
        _close_if_overdue(req, now=_now(now))
    return req


@transaction.atomic
def press_request_send(
    *,
    user: User,
    press_request: m.PressRequest,
    expert_ids: Sequence[int],
    base_url: str,
    now: dt.datetime | None = None,
) -> list[m.ExpertInvitation]:
    """A coordinator or moderator sends the request to chosen experts from the ranking."""
    now = _now(now)
    if not can_coordinate(user, press_request):
        raise PermissionDenied(NOT_COORDINATOR)
    req = m.PressRequest.objects.select_for_update().get(pk=press_request.pk)
    _close_if_overdue(req, now=now)
    if req.status not in OPEN_STATUSES:
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    if not expert_ids:
        raise ValidationError({"experts": [CHOOSE_EXPERT]})
    eligible = {r.expert.pk: r.expert for r in experts_ranked(press_request=req, now=now)}
    missing = [pk for pk in dict.fromkeys(expert_ids) if pk not in eligible]
    if missing:
        names = m.Expert.objects.filter(pk__in=missing).values_list("full_name", flat=True)
        raise ValidationError({"experts": [EXPERT_NOT_ELIGIBLE % {"name": name} for name in names] or [CHOOSE_EXPERT]})
    return [_invite(req, eligible[pk], base_url=base_url, now=now, sent_by=user) for pk in dict.fromkeys(expert_ids)]


@transaction.atomic
def press_request_mark_no_expert(*, user: User, press_request: m.PressRequest, now: dt.datetime | None = None) -> None:
    """A coordinator finds nobody: the journalist is told at once rather than at the deadline."""
    now = _now(now)
    if not can_coordinate(user, press_request):
        raise PermissionDenied(NOT_COORDINATOR)
    req = m.PressRequest.objects.select_for_update().get(pk=press_request.pk)
    if req.status not in (m.PressRequestStatus.RECEIVED, m.PressRequestStatus.SEARCHING):
        raise ValidationError({"status": [REQUEST_NOT_OPEN]})
    req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)
    _no_expert(req)


def _invite(
    req: m.PressRequest, expert: m.Expert, *, base_url: str, now: dt.datetime, sent_by: User | None
) -> m.ExpertInvitation:
    raw, token_hash = _new_token()
    invitation = m.ExpertInvitation(
        request=req,
        expert=expert,
        token_hash=token_hash,
        expires_at=min(now + INVITATION_TTL, req.deadline),
        sent_by=sent_by,
    )
    invitation.full_clean()
    invitation.save()
    if req.status != m.PressRequestStatus.SEARCHING:
        req.status = m.PressRequestStatus.SEARCHING
        req.save(update_fields=["status", "updated_at"])
    _mail(
        to=[expert.email],
        subject=_("A journalist asks for your comment: %(topic)s") % {"topic": req.topic[:80]},
        template="press_invitation.txt",
        context={
            "req": req,
            "expert": expert,
            "invitation": invitation,
            "topics": list(req.categories.all()),
            "targets": list(req.target_groups.all()),
            "link": _link(base_url, "frontend:press:answer", t=raw),
        },
    )
    return invitation


def _ask_next(
    req: m.PressRequest, *, base_url: str, now: dt.datetime, sent_by: User | None = None
) -> m.ExpertInvitation | None:
    """Ask the best expert not asked yet; with nobody left and nobody still
    deciding, tell the journalist no expert is available."""
    if req.deadline <= now:
        _close([req], now=now)
        return None
    ranking = experts_ranked(press_request=req, now=now, limit=1)
    if ranking:
        return _invite(req, ranking[0].expert, base_url=base_url, now=now, sent_by=sent_by)
    if not req.invitations.filter(status=m.InvitationStatus.SENT).exists():
        _no_expert(req)
    return None


def _no_expert(req: m.PressRequest) -> None:
    req.status = m.PressRequestStatus.NO_EXPERT
    req.save(update_fields=["status", "updated_at"])
    _mail(
        to=[req.email],
        subject=_("No expert is available for your request"),
        template="press_no_expert.txt",
        context={"req": req},
    )


# --- the expert's answer ---------------------------------------------------------------


def invitation_by_token(*, token: str) -> m.ExpertInvitation | None:
    """The invitation an answer link opens (for the page with the two buttons)."""
    if not token:
        return None
    return (
        m.ExpertInvitation.objects.select_related("request", "expert", "expert__organisation")
        .filter(token_hash=_token_hash(token))
        .first()
    )


def invitation_state_error(invitation: m.ExpertInvitation, *, now: dt.datetime | None = None) -> str | None:
    """Why this invitation can no longer be answered, or None."""
    now = _now(now)
    if invitation.status == m.InvitationStatus.EXPIRED or (
        invitation.status == m.InvitationStatus.SENT and invitation.expires_at <= now
    ):
        return str(LINK_EXPIRED)
    if invitation.status in (m.InvitationStatus.ACCEPTED, m.InvitationStatus.DECLINED):
        return str(LINK_USED)
    if invitation.status == m.InvitationStatus.CANCELLED or invitation.request.status not in OPEN_STATUSES:
        return str(REQUEST_NOT_OPEN)
    return None


def shareable_contacts(expert: m.Expert) -> list[str]:
    """Which contacts the expert's profile allows giving out (and has)."""
    out = []
    if expert.share_email and expert.email:
        out.append(CONTACT_EMAIL)
    if expert.share_phone and expert.phone:
        out.append(CONTACT_PHONE)
    return out


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
    now = _now(now)
    with transaction.atomic():
        found = m.ExpertInvitation.objects.select_for_update().filter(token_hash=_token_hash(token or "")).first()
        if found is None:
            raise PermissionDenied(LINK_INVALID)
        invitation = found
        req = m.PressRequest.objects.select_for_update().get(pk=invitation.request_id)
        _close_if_overdue(req, now=now)
        invitation.request = req
        problem = invitation_state_error(invitation, now=now)
        if problem is None:
            _answer(invitation, accept=accept, contacts=contacts, user=user, base_url=base_url, now=now)
        elif invitation.status == m.InvitationStatus.SENT and invitation.expires_at <= now:
            _expire([invitation], base_url=base_url, now=now)
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
            _ask_next(req, base_url=base_url, now=now)
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
    _mail(
        to=[req.email],
        subject=_("An expert agreed to comment: %(name)s") % {"name": expert.full_name},
        template="press_contacts.txt",
        context={
            "req": req,
            "expert": expert,
            "email": expert.email if CONTACT_EMAIL in chosen else "",
            "phone": expert.phone if CONTACT_PHONE in chosen else "",
        },
    )
    _mail(
        to=[expert.email],
        subject=_("You agreed to comment for %(outlet)s") % {"outlet": req.outlet},
        template="press_accepted_expert.txt",
        context={"req": req, "expert": expert, "contacts": chosen},
    )


def _expire(invitations: Sequence[m.ExpertInvitation], *, base_url: str, now: dt.datetime) -> int:
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
            _ask_next(req, base_url=base_url, now=now)
    return len(ids)


# --- housekeeping (scheduled) ----------------------------------------------------------


def close_overdue(*, now: dt.datetime | None = None) -> int:
    """Close every request past its deadline; delete unconfirmed ones (they
    never went anywhere and hold someone's address)."""
    now = _now(now)
    with transaction.atomic():
        stale_unconfirmed = m.PressRequest.objects.filter(status=m.PressRequestStatus.UNCONFIRMED).filter(
            Q(deadline__lte=now) | Q(created_at__lte=now - UNCONFIRMED_TTL)
        )
        stale_unconfirmed.delete()
        overdue = list(m.PressRequest.objects.select_for_update().filter(status__in=OPEN_STATUSES, deadline__lte=now))
        _close(overdue, now=now)
    return len(overdue)


def press_housekeeping(*, base_url: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Close requests past their deadline, expire unanswered invitations and ask the next expert."""
    now = _now(now)
    closed = close_overdue(now=now)
    expired = 0
    with transaction.atomic():
        due = list(
            m.ExpertInvitation.objects.select_for_update(skip_locked=True).filter(
                status=m.InvitationStatus.SENT, expires_at__lte=now
            )
        )
        if due:
            expired = _expire(due, base_url=base_url, now=now)
    return {"closed": closed, "expired_invitations": expired}


# --- expert profiles -------------------------------------------------------------------

PROFILE_FIELDS = ("full_name", "languages", "on_camera", "paused", "email", "phone", "share_email", "share_phone")


def expert_join_token(*, organisation: m.Organisation, email: str) -> str:
    return signing.dumps({"org": organisation.pk, "email": email.strip().lower()}, salt=EXPERT_JOIN_SALT)


def expert_join_payload(*, token: str) -> tuple[m.Organisation, str]:
    """The organisation and address a join link was sent for."""
    try:
        payload = signing.loads(token, salt=EXPERT_JOIN_SALT, max_age=EXPERT_JOIN_MAX_AGE)
    except signing.BadSignature as exc:
        raise PermissionDenied(LINK_INVALID) from exc
    org = m.Organisation.objects.filter(pk=payload.get("org")).first()
    if org is None:
        raise PermissionDenied(LINK_INVALID)
    return org, str(payload.get("email", ""))


@transaction.atomic
def expert_invite_person(*, user: User, organisation: m.Organisation, email: str, base_url: str) -> None:
    """An owner e-mails a person a link to create their expert profile in the organisation."""
    if not permissions.is_owner(user, organisation) and not permissions.is_moderator(user):
        raise PermissionDenied(NOT_OWNER)
    probe = m.Expert(organisation=organisation, full_name="-", email=email.strip())
    try:
        probe.clean_fields(exclude=[f.name for f in m.Expert._meta.fields if f.name != "email"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if not email.strip():
        raise ValidationError({"email": [_("This field cannot be blank.")]})
    token = expert_join_token(organisation=organisation, email=email)
    _mail(
        to=[email.strip()],
        subject=_("%(org)s invites you to comment for the media as its expert") % {"org": organisation.name},
        template="press_expert_join.txt",
        context={
            "organisation": organisation,
            "inviter": user,
            "link": _link(base_url, "frontend:press:join", t=token),
        },
    )


def _apply_profile(expert: m.Expert, data: Mapping[str, Any]) -> None:
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(expert, field, data[field])
    if "place" in data or "place_id" in data:
        expert.place = _resolve_place(data)
    if not shareable_contacts(expert):
        raise ValidationError({"share_email": [SHARE_SOMETHING]})
    expert.full_clean()
    expert.save()
    if "topics" in data:
        expert.topics.set(_slugs_to(m.Category, data["topics"] or [], "topics", UNKNOWN_CATEGORY))


@transaction.atomic
def expert_join(*, user: User, token: str, data: Mapping[str, Any]) -> m.Expert:
    """The invited person, signed in, creates their profile from the owner's link."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(LINK_INVALID)
    organisation, email = expert_join_payload(token=token)
    if m.Expert.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({"full_name": [ALREADY_EXPERT]})
    expert = m.Expert(organisation=organisation, user=user, email=data.get("email") or email)
    _apply_profile(expert, data)
    return expert


@transaction.atomic
def expert_profile_update(*, user: User, expert: m.Expert, data: Mapping[str, Any]) -> m.Expert:
    """The expert edits their own profile (topics, languages, town, camera, contacts, pause)."""
    if expert.user_id is None or expert.user_id != user.pk:
        raise PermissionDenied(NOT_YOUR_PROFILE)
    locked = m.Expert.objects.select_for_update().get(pk=expert.pk)
    _apply_profile(locked, data)
    return locked


def experts_of_user(*, user: permissions.User) -> QuerySet[m.Expert]:
    if not user.is_authenticated:
        return m.Expert.objects.none()
    return m.Expert.objects.filter(user_id=user.pk).select_related("organisation", "place").prefetch_related("topics")


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


def experts_of_organisation(*, user: permissions.User, organisation: m.Organisation) -> QuerySet[m.Expert]:
    """An owner's view of the organisation's experts (names and availability)."""
    if not (permissions.is_owner(user, organisation) or permissions.is_moderator(user)):
        raise PermissionDenied(NOT_OWNER)
    return organisation.experts.order_by("full_name").prefetch_related("topics")

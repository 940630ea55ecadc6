"""Which experts fit a request, best first, and asking them.

The ranking is shown to coordinators (no contact in it); it also picks the
coalition a request goes to and, where the coalition allows it, the expert
asked automatically. Asking an expert e-mails them a one-time answer link
(orgs/press/experts.py takes the answer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.press.closing import close
from orgs.press.links import link, mail, new_token
from orgs.press.rules import CONTACT_EMAIL, CONTACT_PHONE, DECLINED_OUTLET_COOLDOWN, now_or_current
from orgs.press.times import DEFAULT_ZONE, answer_window_end, looking_ends

# --- ranking ---------------------------------------------------------------------------


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


def category_links() -> dict[int, int | None]:
    return dict(m.Category.objects.values_list("id", "parent_id"))


def related_categories(cats: Iterable[int], parents: Mapping[int, int | None]) -> set[int]:
    """The categories, with every broader and every narrower one."""
    cats = set(cats)
    out = set(cats)
    for cat in cats:
        out |= _ancestors(cat, parents)
    for cat in parents:
        if _ancestors(cat, parents) & cats:
            out.add(cat)
    return out


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


def request_network_ids(req: m.PressRequest) -> set[int]:
    """The coalitions a request went to (by topic, or widened by coordinators)."""
    ids = set(req.networks.values_list("pk", flat=True)) if req.pk else set()
    if req.network_id is not None:
        ids.add(req.network_id)
    return ids


def _eligible_experts(req: m.PressRequest, *, now: dt.datetime, any_network: bool) -> QuerySet[m.Expert]:
    qs = m.Expert.objects.filter(paused=False, organisation__status=m.PublicationStatus.PUBLISHED).exclude(email="")
    network_ids = request_network_ids(req)
    if network_ids and not any_network and not req.any_network:
        qs = qs.filter(
            Exists(
                m.Membership.objects.filter(
                    organisation_id=OuterRef("organisation_id"),
                    network_id__in=network_ids,
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
    now = now_or_current(now)
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
    parents = category_links() if request_topics else {}
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


def network_for(req: m.PressRequest, *, now: dt.datetime) -> m.Network | None:
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


# --- asking experts --------------------------------------------------------------------


def invite(
    req: m.PressRequest, expert: m.Expert, *, base_url: str, now: dt.datetime, sent_by: User | None
) -> m.ExpertInvitation:
    """Ask one expert: an invitation with a one-time answer link, valid for the
    coalition's answer window (orgs/press/times.py)."""
    raw, token_hash = new_token()
    invitation = m.ExpertInvitation(
        request=req,
        expert=expert,
        token_hash=token_hash,
        expires_at=answer_window_end(req, expert, now=now),
        sent_by=sent_by,
    )
    invitation.full_clean()
    invitation.save()
    if req.status != m.PressRequestStatus.SEARCHING:
        req.status = m.PressRequestStatus.SEARCHING
        req.save(update_fields=["status", "updated_at"])
    mail(
        to=[expert.email],
        subject=gettext_lazy("A journalist asks for your comment: %(topic)s"),
        subject_params={"topic": req.topic[:80]},
        language=expert.interface_language,
        template="press_invitation.txt",
        context={
            "req": req,
            "expert": expert,
            "zone": expert.time_zone or DEFAULT_ZONE,
            "invitation": invitation,
            "topics": list(req.categories.all()),
            "targets": list(req.target_groups.all()),
            "contacts": shareable_contacts(expert),
            "link": link(base_url, "frontend:press:answer", t=raw),
            "decline_link": link(base_url, "frontend:press:answer", t=raw, answer="decline"),
            "profile_link": base_url.rstrip("/") + reverse("frontend:press:me"),
        },
    )
    return invitation


def shareable_contacts(expert: m.Expert) -> list[str]:
    """Which contacts the expert's profile allows giving out (and has)."""
    out = []
    if expert.share_email and expert.email:
        out.append(CONTACT_EMAIL)
    if expert.share_phone and expert.phone:
        out.append(CONTACT_PHONE)
    return out


def ask_next(
    req: m.PressRequest, *, base_url: str, now: dt.datetime, sent_by: User | None = None
) -> m.ExpertInvitation | None:
    """Ask the best expert not asked yet. With nobody left and nobody still
    deciding, the coordinators are told (once): they may widen the search or
    answer "no expert"; the journalist keeps seeing "still looking" until they
    do or the deadline nears (orgs/press/housekeeping.py)."""
    if req.deadline <= now:
        close([req], now=now)
        return None
    ranking = experts_ranked(press_request=req, now=now, limit=1)
    if ranking:
        return invite(req, ranking[0].expert, base_url=base_url, now=now, sent_by=sent_by)
    if not req.invitations.filter(status=m.InvitationStatus.SENT).exists():
        exhausted(req, base_url=base_url, now=now)
    return None


def exhausted(req: m.PressRequest, *, base_url: str, now: dt.datetime) -> None:
    """Nobody left to ask: the coordinators decide, the journalist waits."""
    if req.exhausted_at is not None:
        return
    req.exhausted_at = now
    if req.status == m.PressRequestStatus.RECEIVED:
        req.status = m.PressRequestStatus.SEARCHING
    req.save(update_fields=["exhausted_at", "status", "updated_at"])
    mail(
        to=coordinator_emails(req),
        subject=gettext_lazy("No expert left to ask: %(topic)s"),
        subject_params={"topic": req.topic[:80]},
        template="press_exhausted.txt",
        context={
            "req": req,
            "zone": req.time_zone,
            "looking_ends": looking_ends(req),
            "asked": list(req.invitations.select_related("expert").order_by("created_at")),
            "link": base_url.rstrip("/") + reverse("frontend:press:coordinate", args=[req.pk]),
        },
    )


def coordinator_emails(req: m.PressRequest) -> list[str]:
    """The coordinators of every coalition the request went to; site moderators when none."""
    network_ids = request_network_ids(req)
    if network_ids:
        users = User.objects.filter(coordinates__network_id__in=network_ids, is_active=True)
        emails = list(users.values_list("email", flat=True).distinct())
        if emails:
            return emails
    moderators = User.objects.filter(is_active=True).filter(
        Q(groups__name=permissions.MODERATORS_GROUP) | Q(is_superuser=True)
    )
    return list(moderators.values_list("email", flat=True).distinct())


def no_expert(req: m.PressRequest) -> None:
    """Tell the journalist that nobody is available (the request stays open for a coordinator)."""
    req.status = m.PressRequestStatus.NO_EXPERT
    req.save(update_fields=["status", "updated_at"])
    mail(
        to=[req.email],
        subject=gettext_lazy("No expert is available for your request"),
        language=req.interface_language,
        template="press_no_expert.txt",
        context={"req": req, "zone": req.time_zone},
    )

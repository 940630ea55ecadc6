"""A coalition's own page for its coordinators (and site moderators): its
membership queue by the coalition's rules (applications with who
recommended them and their words and the checklist answers, candidates and
their review, members to suspend, exclude or restore, each with a reason),
its contact address, and its co-coordinators. The rules are
``orgs.services.membership``'s and ``orgs.services.coordinators``'."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from frontend.partner.service_errors import messages_of
from orgs import models as m
from orgs import permissions, services
from orgs.permissions import signed_in_user

# The sections of the queue: which memberships, which decisions each offers.
SECTIONS = [
    ("applications", (m.MembershipStatus.APPLIED,), None),
    ("candidates", (m.MembershipStatus.ACTIVE,), m.MembershipRole.CANDIDATE),
    ("members", (m.MembershipStatus.ACTIVE,), "not-candidate"),
    ("paused", (m.MembershipStatus.SUSPENDED, m.MembershipStatus.EXCLUDED), None),
]


def _network_for(request: HttpRequest, slug: str) -> tuple[User, m.Network]:
    """Its coordinators and site moderators; anyone else is told nothing is here."""
    user = signed_in_user(request)
    network = get_object_or_404(m.Network, slug=slug)
    if not (permissions.is_moderator(user) or permissions.coordinates(user, network)):
        raise Http404
    return user, network


def _page(
    request: HttpRequest,
    user: User,
    network: m.Network,
    *,
    failed: tuple[str, list[str], str] | None = None,
    typed: dict[str, str] | None = None,
) -> HttpResponse:
    """``failed``: (the item refused — a membership's id, "contact" or
    "invite" — its messages, what was typed), shown on that item with a 400."""
    today = timezone.localdate()
    rows = list(
        network.memberships.filter(status__in=[m.MembershipStatus.APPLIED, m.MembershipStatus.ACTIVE, *SECTIONS[3][1]])
        .select_related("organisation", "decided_by", "eligibility_confirmed_by")
        .order_by("until", "organisation__name")
    )
    sections: dict[str, list[m.Membership]] = {name: [] for name, _s, _r in SECTIONS}
    conditions = network.eligibility
    for ms in rows:
        if ms.status == m.MembershipStatus.APPLIED:
            counted = {r.pk for r in services.valid_recommendations(ms)}
            ms.recs = [  # type: ignore[attr-defined]
                (r, r.pk in counted) for r in ms.recommendations.select_related("recommender").order_by("created_at")
            ]
            ms.valid_count = len(counted)  # type: ignore[attr-defined]
            sections["applications"].append(ms)
        elif ms.status == m.MembershipStatus.ACTIVE and ms.role == m.MembershipRole.CANDIDATE:
            ms.due = bool(ms.until and ms.until <= today)  # type: ignore[attr-defined]
            sections["candidates"].append(ms)
        elif ms.status == m.MembershipStatus.ACTIVE:
            sections["members"].append(ms)
        else:
            sections["paused"].append(ms)
        ms.checklist = [(c["text"], ms.answers.get(c["key"])) for c in conditions]  # type: ignore[attr-defined]
        hit = failed is not None and failed[0] == str(ms.pk)
        ms.form_errors, ms.typed = (failed[1], failed[2]) if failed and hit else ([], "")  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "network": network,
        "sections": sections,
        "coordinators": network.coordinators.select_related("user", "appointed_by").order_by("created_at"),
        "invitations": network.coordinator_invitations.filter(status="pending", expires_at__gt=timezone.now()),
        "offers_candidate": bool(network.candidate_term_days and m.MembershipRole.CANDIDATE in network.roles),
        "contact_errors": failed[1] if failed and failed[0] == "contact" else [],
        "invite_errors": failed[1] if failed and failed[0] == "invite" else [],
        "typed": typed or {},
    }
    return render(request, "frontend/partner/coalition.html", context, status=400 if failed else 200)


@login_required
def coalition(request: HttpRequest, slug: str) -> HttpResponse:
    user, network = _network_for(request, slug)
    return _page(request, user, network)


@login_required
@require_POST
def membership_decision(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user, network = _network_for(request, slug)
    ms = get_object_or_404(m.Membership, pk=pk, network=network)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision == "confirm_eligibility":
            services.membership_confirm_eligibility(user=user, membership=ms)
            done = _("The answers of %(org)s are confirmed.") % {"org": ms.organisation.name}
        else:
            ms = services.membership_decide(
                user=user, membership=ms, decision=decision, reason=reason, base_url=request.build_absolute_uri("/")
            )
            done = _("%(org)s: %(role)s, %(status)s.") % {
                "org": ms.organisation.name,
                "role": ms.get_role_display(),
                "status": ms.get_status_display(),
            }
    except ValidationError as exc:
        return _page(request, user, network, failed=(str(pk), messages_of(exc), reason))
    messages.success(request, done)
    return redirect(f"{reverse('frontend:partner:coalition', args=[network.slug])}#membership-{pk}")


@login_required
@require_POST
def contact(request: HttpRequest, slug: str) -> HttpResponse:
    user, network = _network_for(request, slug)
    address = request.POST.get("contact_email", "")
    try:
        services.network_contact_update(user=user, network=network, contact_email=address)
    except ValidationError as exc:
        return _page(request, user, network, failed=("contact", messages_of(exc), address), typed={"contact": address})
    messages.success(request, _("The coalition's contact address is saved."))
    return redirect("frontend:partner:coalition", slug=network.slug)


@login_required
@require_POST
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    user, network = _network_for(request, slug)
    address = request.POST.get("email", "")
    try:
        invitation = services.coordinator_invite(
            by=user,
            network=network,
            email=address,
            accept_url=request.build_absolute_uri(reverse("frontend:partner:coordinator_invitation")),
        )
    except ValidationError as exc:
        return _page(request, user, network, failed=("invite", messages_of(exc), address), typed={"invite": address})
    messages.success(request, _("An invitation is e-mailed to %(email)s.") % {"email": invitation.email})
    return redirect("frontend:partner:coalition", slug=network.slug)


@require_http_methods(["GET", "POST"])
def coordinator_invitation(request: HttpRequest) -> HttpResponse:
    """The e-mailed link: opening it shows the invitation; the button accepts
    it (so a mail scanner opening links accepts nothing)."""
    token = request.POST.get("token") or request.GET.get("token", "")
    page = "frontend/partner/coordinator_invitation.html"
    try:
        found = services.coordinator_invitation_from_token(token)
    except ValidationError as exc:
        return render(request, page, {"error": messages_of(exc)[0]}, status=400)
    context: dict[str, Any] = {"invitation": found, "token": token}
    if not request.user.is_authenticated:
        back = f"{reverse('frontend:partner:coordinator_invitation')}?{urlencode({'token': token})}"
        context["login_url"] = f"{reverse('frontend:login')}?{urlencode({'next': back})}"
        return render(request, page, context)
    if request.method == "POST":
        try:
            coordinator = services.coordinator_invitation_accept(user=signed_in_user(request), token=token)
        except ValidationError as exc:
            return render(request, page, {"error": messages_of(exc)[0]}, status=400)
        except PermissionDenied as exc:
            return render(request, page, {**context, "error": str(exc)}, status=403)
        messages.success(
            request, _("Welcome: you now coordinate “%(network)s”.") % {"network": coordinator.network.name}
        )
        return redirect("frontend:partner:coalition", slug=coordinator.network.slug)
    return render(request, page, context)

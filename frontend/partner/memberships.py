"""Coalitions: applying to join one, and members recommending applicants."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from frontend.partner.forms.memberships import NetworksForm
from frontend.partner.service_errors import messages_of
from frontend.partner.shared import org_for
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


@login_required
@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    networks = m.Network.objects.exclude(memberships__organisation=org).order_by("name")
    form = NetworksForm(request.POST, prefix="net", networks=networks)
    if form.is_valid():
        try:
            for application in form.applications():
                network = m.Network.objects.get(slug=application["network"])
                services.membership_apply(
                    user=signed_in_user(request),
                    organisation=org,
                    network=network,
                    role=application["role"],
                    answers=application["answers"],
                )
        except ValidationError as exc:
            for msg in messages_of(exc):
                messages.error(request, msg)
        else:
            if form.applications():
                messages.success(request, _("Sent. The coalition's coordinators will decide."))
    return redirect("frontend:partner:organisation", slug=org.slug)


@login_required
@require_POST
def answers(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The applicant answers its coalition's conditions after applying (an
    application sent with the registration form has none yet)."""
    org = org_for(request, slug, edit=True)
    ms = get_object_or_404(m.Membership.objects.select_related("network"), pk=pk, organisation=org)
    given = {item["key"]: request.POST.get(f"elig_{item['key']}") == "on" for item in ms.network.eligibility}
    try:
        services.membership_answer(user=signed_in_user(request), membership=ms, answers=given)
    except ValidationError as exc:
        for msg in messages_of(exc):
            messages.error(request, msg)
    else:
        messages.success(request, _("Your answers are sent to the coalition's coordinators."))
    return redirect("frontend:partner:organisation", slug=org.slug)


# --- recommending applicants (members of a coalition) -----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recommend(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    member_of = m.Membership.objects.filter(
        organisation__access__user=user, role=m.MembershipRole.MEMBER, status=m.MembershipStatus.ACTIVE
    ).select_related("organisation", "network")
    mine = {ms.network_id: [] for ms in member_of}  # type: dict[int, list[m.Organisation]]
    for ms in member_of:
        mine[ms.network_id].append(ms.organisation)
    if request.method == "POST":
        membership = get_object_or_404(m.Membership, pk=request.POST.get("membership") or 0, network_id__in=list(mine))
        recommender = get_object_or_404(m.Organisation, slug=request.POST.get("recommender", ""))
        try:
            services.membership_recommend(
                user=user, recommender=recommender, membership=membership, text=request.POST.get("text", "")
            )
        except ValidationError as exc:
            for msg in messages_of(exc):
                messages.error(request, msg)
        else:
            messages.success(request, _("Your recommendation is recorded."))
        return redirect("frontend:partner:recommend")
    applications = list(
        m.Membership.objects.filter(network_id__in=list(mine), status=m.MembershipStatus.APPLIED)
        .exclude(organisation__access__user=user)
        .select_related("organisation", "network")
        .prefetch_related("recommendations__recommender")
        .order_by("network__name", "created_at")
    )
    for ms in applications:
        given = {r.recommender_id for r in ms.recommendations.all()}
        ms.my_orgs = [o for o in mine[ms.network_id] if o.pk not in given]  # type: ignore[attr-defined]
    return render(request, "frontend/partner/recommend.html", {"applications": applications})

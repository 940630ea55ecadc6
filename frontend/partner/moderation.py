"""The moderation queue of site moderators and coalition coordinators, and
the decisions taken from it (publish, approve a change, a claim, a membership)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import labels
from frontend.partner.changes import change_rows
from frontend.partner.forms.locations import VISIBILITY_LABELS
from frontend.partner.service_errors import messages_of
from orgs import lookups, permissions, services
from orgs import models as m
from orgs.corrections import corrections_open
from orgs.moderation import moderation_queue
from orgs.permissions import signed_in_user


@dataclass
class Failed:
    """A refused decision: shown again on its item (kind and key), with what the moderator typed."""

    kind: str
    key: str
    messages: list[str]
    reason: str


def _require_moderator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not (permissions.is_moderator(user) or permissions.coordinated_network_ids(user)):
        raise PermissionDenied(services.NOT_COORDINATOR)
    return user


def _queue_context(user: User, failed: Failed | None = None) -> dict[str, Any]:
    queue = moderation_queue(user=user)
    org_slugs = [o["slug"] for o in queue["organisations"]]
    orgs = list(
        m.Organisation.objects.filter(slug__in=org_slugs)
        .prefetch_related(
            Prefetch("locations", queryset=m.Location.objects.order_by("pk")),
            Prefetch("services", queryset=m.Service.objects.prefetch_related("categories").order_by("pk")),
            Prefetch("memberships", queryset=m.Membership.objects.select_related("network")),
            Prefetch("access", queryset=m.OrganisationAccess.objects.select_related("user")),
            "identifiers",
        )
        .order_by("created_at")
    )
    changes = change_rows(
        m.ChangeRequest.objects.filter(pk__in=[c["id"] for c in queue["change_requests"]])
        .select_related("organisation", "location", "requested_by")
        .order_by("created_at")
    )
    claims = list(
        m.Claim.objects.filter(pk__in=[c["id"] for c in queue["claims"]])
        .select_related("organisation", "requested_by")
        .order_by("created_at")
    )
    counts = {ms["id"]: ms for ms in queue["memberships"]}
    memberships = list(
        m.Membership.objects.filter(pk__in=list(counts))
        .select_related("organisation", "network")
        .order_by("created_at")
    )
    look_alikes = {
        o["slug"]: [{**d, "status_label": m.PublicationStatus(d["status"]).label} for d in o["possible_duplicates"]]
        for o in queue["organisations"]
    }
    for org in orgs:
        org.possible_duplicates = look_alikes.get(org.slug, [])  # type: ignore[attr-defined]
    for ms in memberships:
        ms.recommendation_count = counts[ms.pk]["recommendations"]  # type: ignore[attr-defined]
        ms.offers_candidate = bool(  # type: ignore[attr-defined]
            ms.network.candidate_term_days and m.MembershipRole.CANDIDATE in ms.network.roles
        )
    due = list(
        m.Membership.objects.filter(pk__in=[c["id"] for c in queue["candidates_due"]])
        .select_related("organisation", "network")
        .order_by("until")
    )
    # The refused decision's messages and typed reason go back on its item.
    items: list[tuple[str, str, Any]] = [
        *(("org", o.slug, o) for o in orgs),
        *(("change", str(c["cr"].pk), c) for c in changes),
        *(("claim", str(c.pk), c) for c in claims),
        *(("membership", str(ms.pk), ms) for ms in [*memberships, *due]),
    ]
    shown = False
    for kind, key, item in items:
        hit = failed is not None and (failed.kind, failed.key) == (kind, key)
        shown = shown or hit
        errors, reason = (failed.messages, failed.reason) if failed is not None and hit else ([], "")
        if isinstance(item, dict):
            item.update(errors=errors, typed=reason)
        else:
            item.form_errors, item.typed = errors, reason
    return {
        # A refusal about an item no longer in the queue (decided meanwhile) shows at the top.
        "errors": failed.messages if failed is not None and not shown else [],
        "orgs": orgs,
        "changes": changes,
        "claims": claims,
        "memberships": memberships,
        "due": due,
        "is_moderator": permissions.is_moderator(user),
        # The coalitions' own pages: each one's members and admission (frontend.partner.coalition).
        "coalitions": m.Network.objects.order_by("name")
        if permissions.is_moderator(user)
        else m.Network.objects.filter(pk__in=permissions.coordinated_network_ids(user)).order_by("name"),
        "visibility_labels": VISIBILITY_LABELS,
        "role_labels": labels.ROLES,
        "corrections": list(corrections_open(user)),
    }


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    user = _require_moderator(request)
    return render(request, "frontend/partner/moderation.html", _queue_context(user))


def _decided(request: HttpRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("frontend:partner:moderation")


def _refused(request: HttpRequest, user: User, failed: Failed) -> HttpResponse:
    return render(request, "frontend/partner/moderation.html", _queue_context(user, failed), status=400)


@login_required
@require_POST
def moderate_organisation(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish or reject from the queue; publish, suspend or reject from the
    organisation's own page (``next=organisation``)."""
    user = _require_moderator(request)
    org = lookups.visible_organisation(user, slug)
    reason = request.POST.get("reason", "")
    status = request.POST.get("status", "")
    from_page = request.POST.get("next") == "organisation"
    problem: list[str] = []
    try:
        org = services.organisation_moderate(
            user=user, organisation=org, status=status, reason=reason, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        # Includes "no place and no remote service": the service checks it before
        # the database's commit-time trigger would.
        problem = messages_of(exc)
    if problem and from_page:
        for msg in problem:
            messages.error(request, msg)
        return redirect("frontend:partner:organisation", slug=org.slug)
    if problem:
        return _refused(request, user, Failed("org", org.slug, problem, reason))
    done = _("“%(name)s”: %(status)s. The organisation is told by e-mail.") % {
        "name": org.name,
        "status": org.get_status_display(),
    }
    if from_page:
        messages.success(request, done)
        return redirect("frontend:partner:organisation", slug=org.slug)
    return _decided(request, done)


def _approve(request: HttpRequest) -> bool:
    return request.POST.get("approve") == "1"


@login_required
@require_POST
def decide_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    cr = lookups.visible_change_request(user, pk)
    reason = request.POST.get("reason", "")
    try:
        cr = services.change_request_decide(
            user=user,
            change_request=cr,
            approve=_approve(request),
            reason=reason,
            base_url=request.build_absolute_uri("/"),
        )
    except ValidationError as exc:
        return _refused(request, user, Failed("change", str(pk), messages_of(exc), reason))
    return _decided(request, _("The change is %(decision)s.") % {"decision": cr.get_status_display().lower()})


@login_required
@require_POST
def decide_claim(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    item = lookups.visible_claim(user, pk)
    reason = request.POST.get("reason", "")
    try:
        item = services.claim_decide(
            user=user, claim=item, approve=_approve(request), reason=reason, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        return _refused(request, user, Failed("claim", str(pk), messages_of(exc), reason))
    return _decided(request, _("The request is %(decision)s.") % {"decision": item.get_status_display().lower()})


@login_required
@require_POST
def decide_membership(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    ms = lookups.visible_membership(user, pk)
    reason = request.POST.get("reason", "")
    try:
        ms = services.membership_decide(
            user=user, membership=ms, decision=request.POST.get("decision", ""), reason=reason
        )
    except ValidationError as exc:
        return _refused(request, user, Failed("membership", str(pk), messages_of(exc), reason))
    return _decided(
        request,
        _("%(org)s in %(network)s: %(status)s.")
        % {"org": ms.organisation.name, "network": ms.network.name, "status": ms.get_status_display()},
    )
